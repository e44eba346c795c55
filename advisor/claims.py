"""The course chapter's benchmark table, checked on one device (pure: inputs already resolved).

Each row of the chapter claims a memory saving and a speed-up for a framework's quantization. The chapter does not
say against what; the advisor compares with the same backend's FP16 (BF16 for MLX) on the same compute unit, for a
7B-class model unless the caller names another. Memory is the weights (the chapter's "~4 GB for a 7B model" is a
file size); speed is decode tokens/s. A figure is *consistent* when its 80 % interval overlaps the claimed range,
*contradicted* when the whole interval lies outside it; a row whose backend (or quantization) the decision tree
does not admit on the device is *not applicable*, with the tree's reason.
"""

from __future__ import annotations

from typing import Any, Literal

import math
from dataclasses import dataclass

from .architecture import count_params
from .calibration import Calibration
from .decide import decide
from .knowledge import Knowledge
from .predict import Workload, predict
from .report_schemas import ClaimRow, ClaimsReport, Range
from .schemas import Constraints, DeviceProfile, Estimate, ModelSpec

DEFAULT_MODEL = "llama-2-7b"  # the chapter's "7B model": Llama 2 7B, the model its ~4 GB figure is quoted for
SEVEN_B = 7.0e9               # an absolute claim ("~4 GB for a 7B model") scales with the parameters
ABOUT = 0.25                  # "~4 GB" read as 4 GB ± 25 %
GB = 1e9


@dataclass(frozen=True)
class Claim:
    framework: str
    backend: str
    quants: tuple[str, ...]
    memory: str
    speedup: str
    use: str
    baseline_quant: str
    reduction_pct: tuple[float, float] | None = None   # "60-75 % less"
    about_gb: float | None = None                      # "~4 GB" (for a 7B model)
    speedup_x: tuple[float, float] = (1.0, 1.0)


# The chapter's table (docs/reports.md, "claims"), as the chapter states it.
CLAIMS: tuple[Claim, ...] = (
    Claim("llama.cpp", "llamacpp", ("Q4_K_M",), "~4 GB", "2-3x", "cross-platform", "F16",
          about_gb=4.0, speedup_x=(2.0, 3.0)),
    Claim("Olive", "olive", ("int4",), "60-75 % less", "2-6x", "enterprise workflows", "fp16",
          reduction_pct=(60.0, 75.0), speedup_x=(2.0, 6.0)),
    Claim("OpenVINO", "openvino", ("int8", "int4"), "50-75 % less", "2-5x", "Intel hardware", "fp16",
          reduction_pct=(50.0, 75.0), speedup_x=(2.0, 5.0)),
    Claim("QNN", "qnn", ("w8a16", "w4a16"), "50-80 % less", "5-15x", "Qualcomm mobile / edge", "fp16",
          reduction_pct=(50.0, 80.0), speedup_x=(5.0, 15.0)),
    Claim("MLX", "mlx", ("4bit",), "~4 GB", "2-4x", "Apple Silicon", "bf16",
          about_gb=4.0, speedup_x=(2.0, 4.0)),
)


@dataclass(frozen=True)
class RatioBand:
    """How far measured speed-ups (a quantized format over a float one: same engine, device and model) fall from
    the speed model's predicted ratios: the 10th and 90th percentiles of log(measured / predicted)."""
    low: float
    high: float
    pairs: int


def ratio_band(rows, cal: Calibration, engines: dict) -> RatioBand | None:
    """From the public speed rows (advisor/speed_data.py, loaded by the caller): every quantized decode figure
    paired with the float figure of the same engine, device and model."""
    import numpy as np

    groups: dict[tuple, list] = {}
    for r in rows:
        if r.tg:
            groups.setdefault((r.x.engine, r.device, r.model), []).append(r)
    resid = []
    for (engine, _, _), rs in groups.items():
        floats = [r for r in rs if r.x.family == "float"]
        if not floats:
            continue
        f = floats[0]
        like = list(getattr(engines.get(engine), "like", None) or [])
        f_pred = cal.speed("decode", f.x, like).value
        for q in rs:
            if q.x.family == "float":
                continue
            predicted = cal.speed("decode", q.x, like).value / max(f_pred, 1e-12)
            resid.append(math.log((q.tg / f.tg) / max(predicted, 1e-12)))
    if len(resid) < 5:
        return None
    lo, hi = np.percentile(resid, [10, 90])
    return RatioBand(low=float(lo), high=float(hi), pairs=len(resid))


def check_claims(dev: DeviceProfile, model: ModelSpec, cons: Constraints, kb: Knowledge,
                 cal: Calibration, band: RatioBand | None = None) -> ClaimsReport:
    """`band`: the measured error of predicted speed-ups (ratio_band); without it a speed-up's interval only
    carries what is left of the two predictions' intervals (they share their error, so little)."""
    dec = decide(dev, model, cons, kb)
    work = Workload.of(cons)
    rows = [_row(c, q, dev, model, dec, work, kb, cal, band) for c in CLAIMS for q in c.quants]
    return ClaimsReport(device=dev.id, model=model.id, model_name=model.name, rows=rows)


def _row(c: Claim, quant: str, dev, model, dec, work, kb: Knowledge, cal, band: RatioBand | None) -> ClaimRow:
    base: dict[str, Any] = {"framework": c.framework, "backend": c.backend, "quant": quant, "claim_memory": c.memory,
            "claim_speedup": c.speedup, "use": c.use}
    routes = [r for r in dec.routes if r.backend == c.backend]
    if not routes:
        why = "; ".join(e.reason for e in dec.eliminated if e.backend == c.backend) or \
            "the decision tree admits no route for it on this device"
        return ClaimRow(**base, verdict="not-applicable", reason=f"{c.backend} is eliminated here: {why}")
    fmt, bfmt = kb.format(c.backend, quant), kb.format(c.backend, c.baseline_quant)
    route = next((r for r in routes if fmt is not None and fmt.quant in r.quants), None)
    if route is None or fmt is None or bfmt is None:
        offered = "; ".join(f"{r.compute}: {', '.join(r.quants)}" for r in routes)
        return ClaimRow(**base, verdict="not-applicable",
                        reason=f"{c.backend} runs here but offers no {quant} on any unit ({offered})")
    q, _ = predict(dev, model, c.backend, route.compute, fmt.quant, work, kb, cal)
    f, _ = predict(dev, model, c.backend, route.compute, bfmt.quant, work, kb, cal)
    gb = _scale(q.weights_gib, 2**30 / GB)
    reduction = _reduction(q.weights_gib, f.weights_gib)
    speedup = _ratio(q.decode_tokens_per_s, f.decode_tokens_per_s, band)
    claimed_gb = claimed_red = None
    if c.about_gb is not None:
        mid = c.about_gb * count_params(model).total / SEVEN_B
        claimed_gb = Range(low=round(mid * (1 - ABOUT), 3), high=round(mid * (1 + ABOUT), 3))
        mem_ok = _overlaps(gb, claimed_gb)
        mem_text = f"weights {_fmt(gb)} GB vs claimed {claimed_gb.low:g}-{claimed_gb.high:g} GB"
    else:
        assert c.reduction_pct is not None, "a claim states either ~GB or a reduction"
        claimed_red = Range(low=c.reduction_pct[0], high=c.reduction_pct[1])
        mem_ok = _overlaps(reduction, claimed_red)
        mem_text = f"weights {_fmt(reduction)} % smaller vs claimed {c.memory}"
    claimed_x = Range(low=c.speedup_x[0], high=c.speedup_x[1])
    speed_ok = _overlaps(speedup, claimed_x)
    speed_text = f"decode {_fmt(speedup)}x vs claimed {c.speedup}"
    in_base = bfmt.quant in route.quants
    baseline = (f"{c.backend} {bfmt.quant} on the same {route.compute} ({q.engine}), {model.name or model.id}"
                + ("" if in_base else f" (predicted: {bfmt.quant} is not among the {route.compute} route's "
                                     "quantizations on this device)"))
    verdict: Literal["consistent", "contradicted"] = "consistent" if mem_ok and speed_ok else "contradicted"
    wrong = [t for ok, t in ((mem_ok, mem_text), (speed_ok, speed_text)) if not ok]
    reason = ("; ".join(wrong) + " (the interval lies outside the claim)") if wrong else \
        f"{mem_text}; {speed_text} (the intervals overlap the claims)"
    return ClaimRow(
        **base, verdict=verdict, reason=reason, baseline=baseline, compute=route.compute, engine=q.engine,
        claimed_memory_reduction_pct=claimed_red, claimed_memory_gb=claimed_gb, claimed_speedup=claimed_x,
        predicted_memory_gb=gb, predicted_memory_reduction_pct=reduction, predicted_speedup=speedup,
        memory_verdict="consistent" if mem_ok else "contradicted",
        speedup_verdict="consistent" if speed_ok else "contradicted",
        evidence=f"{q.decode_tokens_per_s.evidence or 'predicted'} ({q.decode_tokens_per_s.rows or 0} rows) / "
                 f"baseline {f.decode_tokens_per_s.evidence or 'predicted'} ({f.decode_tokens_per_s.rows or 0} rows)",
    )


def _scale(e: Estimate, k: float) -> Estimate:
    return Estimate(value=round(e.value * k, 3), low=round(e.low * k, 3), high=round(e.high * k, 3),
                    basis=e.basis)


def _reduction(q: Estimate, f: Estimate) -> Estimate:
    """Weights saved, %: both sizes come from the same parameter count, so their errors move together; the
    interval pairs low with low and high with high."""
    vals = sorted(100.0 * (1 - a / max(b, 1e-12)) for a, b in ((q.value, f.value), (q.low, f.low), (q.high, f.high)))
    mid = 100.0 * (1 - q.value / max(f.value, 1e-12))
    return Estimate(value=round(mid, 1), low=round(min(vals[0], mid), 1), high=round(max(vals[-1], mid), 1),
                    basis="1 - weights / baseline weights")


def _ratio(q: Estimate, f: Estimate, band: RatioBand | None) -> Estimate:
    """Speed-up of decode. The two predictions share the device's bandwidth and the engine's fit, so their own
    intervals cancel in the ratio; its interval is how far measured speed-ups fall from predicted ones in the
    public data (`band`), or, without that, what is left of the two intervals (low with low, high with high)."""
    mid = q.value / max(f.value, 1e-12)
    if band is not None:
        lo, hi = mid * math.exp(min(band.low, 0.0)), mid * math.exp(max(band.high, 0.0))
        basis = (f"decode tokens/s / baseline decode tokens/s; interval = 10th-90th percentile of measured / "
                 f"predicted speed-up over {band.pairs} public (quantized, float) pairs")
    else:
        pair = (q.low / max(f.low, 1e-12), q.high / max(f.high, 1e-12))
        lo, hi = min(*pair, mid), max(*pair, mid)
        basis = "decode tokens/s / baseline decode tokens/s; no public pairs: interval from the predictions only"
    return Estimate(value=round(mid, 2), low=round(min(lo, mid), 2), high=round(max(hi, mid), 2), basis=basis)


def _overlaps(e: Estimate, r: Range) -> bool:
    return e.low <= r.high and e.high >= r.low


def _fmt(e: Estimate) -> str:
    return f"{e.value:g} [{e.low:g}-{e.high:g}]"
