"""Fitted parameters of the predictors and how to apply them (pure; loading is the only I/O, done once).

Speed: the physical model of advisor/speedmodel.py with per-engine efficiencies fitted by advisor/speedfit.py.
Intervals are empirical quantiles of out-of-sample log residuals (split-conformal style): per engine from refits
that left the row's device or source out; for a proxy, from refits that left the whole engine out.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import paths
from .errors import KnowledgeError
from .speedmodel import (PORT_SCALE, SpeedInput, arch_log, attention_seconds, device_key, device_offset, engine_port,
                         matrix_log, moe_log, phone_log, port_bandwidth, predict_log)

@dataclass(frozen=True)
class SpeedEstimate:
    """A speed figure with its 80 % interval and what it rests on."""

    value: float
    low: float
    high: float
    basis: str
    evidence: str  # measured-here | engine | proxy
    rows: int


class Calibration:
    """Everything the pure predictors need beyond knowledge/: fitted speed, quality and size parameters."""

    def __init__(self, data: dict):
        self.data = data
        self.speed_params = data["speed"]
        self.q = data["quality"]
        self.size = data["size"]
        self.local = data.get("local", {})  # probe-derived corrections for this machine (issue: probes)

    # ----------------------------------------------------------- size
    def size_rel_error(self, family: str) -> float:
        s = self.size.get(family) or self.size["default"]
        return float(s["rel_error"])

    def size_basis(self, family: str) -> str:
        s = self.size.get(family)
        return f"{s['n']} published sizes" if s else "no published sizes for this family; default band"

    # ----------------------------------------------------------- memory
    def overhead_gib(self, backend: str, vocab: int, hidden: int, kb=None) -> tuple[float, str]:
        """Runtime memory beyond weights and KV cache, from the backend's `runtime_overhead` in
        knowledge/backends.yaml (sourced there; not fitted)."""
        if kb is None:
            from .knowledge import load_knowledge

            kb = load_knowledge()
        return kb.backends[backend].runtime_overhead.gib(vocab, hidden)

    # ----------------------------------------------------------- speed
    def compute_ratio(self, unit: str) -> float:
        """log(peak compute / bandwidth) typical of this unit: imputes a compute figure a device does not state."""
        return float(self.speed_params["compute_ratio"].get(unit, 0.0))

    def device_of(self, profile_id: str, unit: str) -> str:
        """The measured device group whose fitted decode offset a plan for this profile uses ('' when none)."""
        have = self.speed_params["decode"].get("device", {})
        groups = self.speed_params.get("profile_devices", {}).get(profile_id, [])
        return next((g for g in groups if device_key(g, unit) in have), "")

    def _band(self, kind: str, x: SpeedInput, evidence: str) -> tuple[float, float, str]:
        bands = self.speed_params[kind]["bands"]
        if evidence == "proxy":
            key = "proxy:all"  # few engines share a unit: the all-engine spread is the honest one
            what = "leave-engine-out error of borrowing"
        else:
            key = x.engine if x.engine in bands else f"unit:{x.unit}"
            what = "out-of-sample error (device or source left out)"
        lo, hi, n = bands[key]
        # residual quantiles of a biased engine can both lie on one side of 0: the interval still holds the value
        return min(lo, 0.0), max(hi, 0.0), f"{what}, {int(n)} rows"

    def speed(self, kind: str, x: SpeedInput, like: list[str]) -> SpeedEstimate:
        """Tokens/s of `kind` ('decode' | 'prefill'), its 80 % interval and evidence."""
        y, eff = predict_log(self.speed_params, kind, x, like)
        local = self.local.get(f"{kind}:{x.engine}")
        evidence, rows = eff.evidence, eff.rows
        if local is not None:
            y += local
            evidence = "measured-here"
        lo, hi, band = self._band(kind, x, eff.evidence)
        mid = math.exp(y)
        offset = device_offset(self.speed_params[kind], x.device, x.unit, x.engine)
        moe = moe_log(self.speed_params[kind], x)
        phone = phone_log(self.speed_params[kind], x)
        matrix = matrix_log(self.speed_params[kind], x)
        arch = arch_log(self.speed_params[kind], x)
        arch_tau = arch_log(self.speed_params[kind], x, "arch_tau")
        attn_ms = attention_seconds(self.speed_params[kind], x, like) * 1e3 if kind == "decode" else 0.0
        port = engine_port(self.speed_params[kind], x, like)
        basis = (f"{eff.via}; compute {x.compute_tops:.3g} TOPS"
                 + (" (not stated: imputed from bandwidth)" if x.compute_imputed else "")
                 + (f"; this device's own rows x{math.exp(offset):.2f} ({x.device})" if offset else "")
                 + (f"; mixture of experts: active parameters cost x{math.exp(moe):.2f} (fitted on the MoE rows)"
                    if moe else "")
                 + (f"; a phone's {x.unit}: prompt attention costs x{math.exp(phone):.1f} (fitted on phones' long "
                    "prompts)" if phone else "")
                 + (f"; a matrix-engine GPU (tensor cores, XMX): its stated peak counts x{math.exp(matrix):.2f} (fitted "
                    "against vector GPUs)" if matrix else "")
                 + (f"; {x.engine} on the {x.arch} generation x{math.exp(arch):.2f} (fitted on that generation's "
                    "rows)" if arch else "")
                 + (f"; its per-layer cost on the {x.arch} generation x{math.exp(arch_tau):.2f} (fitted on that "
                    "generation's rows)" if arch_tau else "")
                 + (f"; decode attention over the context costs {attn_ms:.1f} ms a token at the memory's rate "
                    f"(fitted on {x.engine}'s long-context rows)" if attn_ms else "")
                 + (f"; {x.engine} streams the weights over its unit's own port: "
                    f"{port_bandwidth(x.bandwidth_gbs, port.log):.0f} of the device's {x.bandwidth_gbs:g} GB/s "
                    + ("(" if port.owner == x.engine else f"({port.owner}'s ")
                    + (f"port fitted at {PORT_SCALE * math.exp(port.log):.0f} GB/s)" if port.measured else
                       f"port {PORT_SCALE * math.exp(port.log):.0f} GB/s, the mean of the ports fitted on the "
                       "generations measured: none on this one)")
                    if port is not None else "")
                 + f"; interval = {band}")
        return SpeedEstimate(mid, mid * math.exp(lo), mid * math.exp(hi), basis, evidence, rows)

    # ----------------------------------------------------------- quality
    def quality(self, fmt, params_b: float, architecture: str | None = None) -> tuple[float, float, float, str]:
        """Perplexity increase in % (mid, low, high, basis); probe corrections apply per backend, quant and
        architecture."""
        quant = (fmt.quality_proxy or fmt.quant).upper()  # priors are llama.cpp types; others name a proxy
        if fmt.family == "float":
            return 0.0, 0.0, 0.1, "unquantized (16-bit): no loss beyond rounding"
        a = self.q["intercepts"].get(quant)
        if a is None:
            raise KnowledgeError(f"no quality prior for {quant}; add it to knowledge/data/quant_quality.csv and rerun calibrate")
        y = a + self.q["slope_log_params"] * math.log(max(params_b, 0.01))
        y += self.local.get(f"quality:{fmt.backend}:{fmt.quant.upper()}:{architecture}", 0.0)
        lo, hi = self.q["resid"]
        widen = fmt.quality_uncertainty
        mid = math.exp(y)
        via = f" via {quant}, interval x{widen:g}" if fmt.quality_proxy else ""
        basis = (f"llama.cpp perplexity priors ({self.q['n_rows']} rows, {self.q['counts'].get(quant, 0)} for {quant}), "
                 f"size slope {self.q['slope_log_params']:.2f}{via}")
        return mid, mid * math.exp(lo * widen), mid * math.exp(hi * widen), basis


@lru_cache(maxsize=4)
def load_calibration(path: Path | None = None) -> Calibration:
    """The fitted parameters, validated; the shipped file from its snapshot (snapshot.py) when it has not changed
    since it was last read (parsing and checking it is ~5 ms of every cold plan)."""
    if path is None:
        from .snapshot import cached

        return cached(lambda: _read_calibration(paths.CALIBRATION_FILE), paths.CALIBRATION_FILE, name="calibration")
    return _read_calibration(path)


def _read_calibration(p: Path) -> Calibration:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{p} is missing; run `advisor calibrate --rebuild`") from None
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"{p} is unreadable ({exc.__class__.__name__}); run `advisor calibrate --rebuild`") from None
    check_calibration(data, p)
    return Calibration(data)


def check_calibration(data: object, where: Path | str) -> None:
    """The keys and types every reader of calibration.json relies on (a malformed file is one line, not a
    KeyError in the middle of a plan)."""
    from pydantic import BaseModel, ConfigDict, ValidationError

    class Loose(BaseModel):
        model_config = ConfigDict(extra="allow")

    class SpeedKind(Loose):
        engine: dict[str, float]
        unit_mean: dict[str, float]
        family: dict[str, float]
        rows: dict[str, int]
        bands: dict[str, tuple[float, float, float]]
        device: dict[str, float] = {}

    class Speed(Loose):
        decode: SpeedKind
        prefill: SpeedKind
        compute_ratio: dict[str, float]
        profile_devices: dict[str, list[str]] = {}

    class SizeBand(Loose):
        rel_error: float

    class Quality(Loose):
        intercepts: dict[str, float]
        slope_log_params: float
        resid: tuple[float, float]

    class File(Loose):
        speed: Speed
        quality: Quality
        size: dict[str, SizeBand]

    try:
        File.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        at = ".".join(str(x) for x in e["loc"])
        raise KnowledgeError(f"{where}: {at}: {e['msg'].lower()}; run `advisor calibrate --rebuild`") from None
    if "default" not in data["size"]:  # type: ignore[index]
        raise KnowledgeError(f"{where}: size.default: field required; run `advisor calibrate --rebuild`")
