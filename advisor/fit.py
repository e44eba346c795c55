"""Fitting the predictors on public measurements (knowledge/data/*.csv): `advisor calibrate --rebuild`.

Deterministic: same CSVs -> byte-identical advisor/data/calibration.json. Needs no network; takes seconds.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from . import paths
from .architecture import count_params, kv_bytes_per_token
from .calibration import SpeedFeatures, speed_features
from .knowledge import Knowledge, load_knowledge

RIDGE_ALPHA = 0.3
LOW_Q, HIGH_Q = 0.10, 0.90
MIN_ENGINE_ROWS = 8


@dataclass(frozen=True)
class Row:
    device: str
    group: str  # leave-one-device-out group
    feats: SpeedFeatures
    bound: float  # bandwidth bound tokens/s
    tg: float | None
    pp: float | None
    size_measured: float | None
    size_predicted: float | None
    family: str


@lru_cache(maxsize=1)
def measurement_map() -> dict:
    """knowledge/data/measurement_map.yaml: how CSV rows map onto backend, quant and model ids (read once)."""
    return yaml.safe_load((paths.KNOWLEDGE_DIR / "data" / "measurement_map.yaml").read_text())


def _device_group(name: str) -> str:
    g = re.sub(r"\s+\d+\s*GB\b.*$", "", name)
    g = re.sub(r"\s*\(on .*\)$", "", g)
    return g.strip()


def _float(s: str) -> float | None:
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None


def load_rows(kb: Knowledge, csv_path: Path | None = None) -> tuple[list[Row], dict[str, int]]:
    """Map CSV rows to features; returns the rows and the counts of rows skipped, by reason."""
    from .predict import GIB, weights_bytes

    mp = measurement_map()
    rows: list[Row] = []
    skipped: dict[str, int] = {}

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    with open(csv_path or paths.MEASUREMENTS_CSV, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            be = mp["backends"].get(r["backend"])
            if be is None:
                skip(f"backend {r['backend']!r} not mapped")
                continue
            quant = None
            for q in mp["quants"]:
                if re.search(q["pattern"], r["quant"]):
                    quant = q["quant"] or r["quant"]
                    break
            fmt = kb.format(be["backend"], quant) if quant else None
            if fmt is None:
                skip("quant unknown")
                continue
            bw = _float(r["memory_bandwidth_gbs"])
            if bw is None:
                skip("no bandwidth figure")
                continue
            spec = next((kb.models[m["id"]] for m in mp["models"] if re.search(m["pattern"], r["model"])), None)
            params_b = _float(r["params_b"]) or 1.0
            if spec is not None:
                pc = count_params(spec)
                wbytes, _ = weights_bytes(spec, fmt, kb, pc)
                active = pc.active / pc.total
                kv = kv_bytes_per_token(spec)
                act_params = pc.active / 1e9
            else:
                wbytes = params_b * 1e9 * (fmt.bpw or fmt.file_bpw) / 8
                active, kv, act_params = 1.0, 0.0, params_b
                skip("model not in catalogue (modelled from params only; row kept)")
            prompt = int(_float(r["prompt_len"]) or 512)
            gen = int(_float(r["gen_len"]) or 128)
            bytes_per_token = wbytes * active + kv * (prompt + gen / 2)
            feats = SpeedFeatures(
                backend=be["backend"], compute=be["compute"], api=be["api"], device_class=r["device_class"],
                bandwidth_gbs=bw, weights_gib=wbytes * active / GIB, params_b=act_params, family=fmt.family,
                bits=fmt.bits,
            )
            rows.append(Row(
                device=r["device"], group=_device_group(r["device"]), feats=feats, bound=bw * 1e9 / bytes_per_token,
                tg=_float(r["tg_tps"]), pp=_float(r["pp_tps"]),
                size_measured=_float(r["model_size_gib"]) if spec is not None else None,
                size_predicted=wbytes / GIB if spec is not None else None, family=fmt.family,
            ))
    return rows, skipped


# ---------------------------------------------------------------- log-linear ridge with conformal bands
def _design(dicts: list[dict[str, float]], names: list[str] | None = None):
    import numpy as np

    names = names or sorted({k for d in dicts for k in d})
    X = np.array([[d.get(n, 0.0) for n in names] for d in dicts], dtype=float)
    return X, names


def fit_loglinear(xs: list[dict[str, float]], ys: list[float]):
    import numpy as np
    from sklearn.linear_model import Ridge

    X, names = _design(xs)
    model = Ridge(alpha=RIDGE_ALPHA).fit(X, np.array(ys))
    return float(model.intercept_), dict(zip(names, (float(c) for c in model.coef_)))


def _quantiles(res: list[float]) -> list[float]:
    import numpy as np

    return [float(np.quantile(res, LOW_Q)), float(np.quantile(res, HIGH_Q)), len(res)]


def loglinear_with_bands(rows: list[Row], target) -> dict:
    """Fit on all rows; bands from leave-one-device-out residuals (global and per engine)."""
    use = [(r, target(r)) for r in rows if target(r) is not None]
    xs = [speed_features(r.feats) for r, _ in use]
    ys = [y for _, y in use]
    intercept, coef = fit_loglinear(xs, ys)
    groups = sorted({r.group for r, _ in use})
    res_by_engine: dict[str, list[float]] = {}
    all_res: list[float] = []
    for g in groups:
        train = [i for i, (r, _) in enumerate(use) if r.group != g]
        test = [i for i, (r, _) in enumerate(use) if r.group == g]
        if not train:
            continue
        b0, c = fit_loglinear([xs[i] for i in train], [ys[i] for i in train])
        for i in test:
            pred = b0 + sum(c.get(k, 0.0) * v for k, v in xs[i].items())
            res = ys[i] - pred
            all_res.append(res)
            res_by_engine.setdefault(use[i][0].feats.engine, []).append(res)
    resid = {"global": _quantiles(all_res)}
    for e, res in sorted(res_by_engine.items()):
        if len(res) >= MIN_ENGINE_ROWS:
            resid[e] = _quantiles(res)
    engines: dict[str, int] = {}
    for r, _ in use:
        engines[r.feats.engine] = engines.get(r.feats.engine, 0) + 1
    return {"intercept": intercept, "coef": coef, "resid": resid, "n_rows": len(use), "engines": engines}


def decode_target(r: Row) -> float | None:
    return math.log(r.tg / r.bound) if r.tg else None


def prefill_target(r: Row) -> float | None:
    return math.log(r.pp * r.feats.params_b) if r.pp else None


# ---------------------------------------------------------------- quality
def fit_quality(kb: Knowledge) -> dict:
    import numpy as np
    from sklearn.linear_model import Ridge

    mp = measurement_map()
    rows = []
    with open(paths.QUALITY_CSV, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            q, ppl, delta = r["quant"].strip(), _float(r["ppl"]), _float(r["ppl_delta"])
            if q.upper() in {"F16", "BF16", "F32"} or not ppl or not delta or not re.fullmatch(r"[A-Z0-9_]+", q):
                continue
            pm = next((m for m in mp["quality_models"] if re.search(m["pattern"], r["model"])), None)
            if pm is None:
                continue
            pct = 100.0 * delta / (ppl - delta)
            imatrix = 0.0 if re.search(r"imatrix=None|no imatrix", r["model"]) else (1.0 if "imatrix" in r["model"] else 0.0)
            rows.append((q.upper(), math.log(pm["params_b"]), imatrix, math.log(pct)))
    quants = sorted({q for q, *_ in rows})
    X = np.array([[1.0 if q == k else 0.0 for k in quants] + [lp, im] for q, lp, im, _ in rows])
    y = np.array([t for *_, t in rows])
    model = Ridge(alpha=1e-3, fit_intercept=False).fit(X, y)
    coefs = model.coef_
    res = y - model.predict(X)
    intercepts = {k: float(coefs[i]) for i, k in enumerate(quants)}
    counts = {k: sum(1 for q, *_ in rows if q == k) for k in quants}
    return {
        "intercepts": intercepts, "slope_log_params": float(coefs[len(quants)]),
        "imatrix_effect": float(coefs[len(quants) + 1]), "resid": _quantiles(list(res))[:2],
        "n_rows": len(rows), "counts": counts,
        "target": "log(perplexity increase %) = intercept[quant] + slope * log(params_b) + imatrix_effect * imatrix",
    }


# ---------------------------------------------------------------- size
def size_errors(rows: list[Row]) -> dict:
    import numpy as np

    by: dict[str, list[float]] = {}
    seen = set()
    for r in rows:
        if r.size_measured and r.size_predicted:
            key = (r.family, round(r.size_measured, 2), round(r.size_predicted, 3))
            if key in seen:
                continue
            seen.add(key)
            by.setdefault(r.family, []).append(abs(r.size_predicted / r.size_measured - 1))
    out = {"default": {"rel_error": 0.08, "n": 0}}
    for fam, errs in sorted(by.items()):
        out[fam] = {"rel_error": round(max(0.02, float(np.quantile(errs, 0.9)) * 1.5), 4), "n": len(errs),
                    "median": round(float(np.median(errs)), 4)}
    return out


def build(kb: Knowledge | None = None) -> dict:
    kb = kb or load_knowledge()
    rows, skipped = load_rows(kb)
    return {
        "version": 1,
        "generated_by": "advisor calibrate --rebuild",
        "inputs": ["knowledge/data/edge_llm_measurements.csv", "knowledge/data/quant_quality.csv",
                   "knowledge/data/measurement_map.yaml"],
        "skipped_rows": dict(sorted(skipped.items())),
        "decode": loglinear_with_bands(rows, decode_target),
        "prefill": loglinear_with_bands(rows, prefill_target),
        "quality": fit_quality(kb),
        "size": size_errors(rows),
    }


def _round(o):
    if isinstance(o, float):
        return float(f"{o:.6g}")
    if isinstance(o, dict):
        return {k: _round(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_round(v) for v in o]
    return o


def dumps(cal: dict) -> str:
    return json.dumps(_round(cal), indent=1, sort_keys=True) + "\n"


def rebuild(path: Path | None = None) -> Path:
    from .atomic import write_text_atomic

    p = path or paths.CALIBRATION_FILE
    write_text_atomic(p, dumps(build()))
    return p
