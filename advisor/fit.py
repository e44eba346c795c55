"""Fitting the predictors on public measurements (knowledge/data/*.csv): `advisor calibrate --rebuild`.

Deterministic: same CSVs -> byte-identical advisor/data/calibration.json. Needs no network; takes seconds.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths
from .knowledge import Knowledge, load_knowledge

if TYPE_CHECKING:
    from .speed_data import SpeedRow

LOW_Q, HIGH_Q = 0.10, 0.90
MIN_ENGINE_ROWS = 8


def _quantiles(res: list[float]) -> list[float]:
    import numpy as np

    return [float(np.quantile(res, LOW_Q)), float(np.quantile(res, HIGH_Q)), len(res)]


# ---------------------------------------------------------------- quality
def fit_quality(kb: Knowledge) -> dict:
    import numpy as np
    from sklearn.linear_model import Ridge

    from .speed_data import measurement_map, positive_float as _float

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
def size_errors(rows: list[SpeedRow]) -> dict:
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


def speed_bands(kind: str, rows: list, engines: dict) -> dict:
    """80 % bands of log(measured / predicted) from refits that never saw the row: per engine, the residuals when
    its device or its source was left out (pooled per unit below MIN_ENGINE_ROWS); per unit, `proxy:<unit>` from
    leaving the whole engine out — what a borrowed efficiency is worth. Each held-out group weighs the same, except
    in a proxy's band, where a left-out engine weighs the square root of its rows (speedbands.PROXY_BAND)."""
    from .speedbands import SPLITS, band_row, group_band, out_of_fold

    groups: dict[str, list[tuple[float, tuple]]] = {}
    for split in SPLITS:
        fold_of = SPLITS[split]
        for i, res in out_of_fold(kind, rows, engines, fold_of).items():
            r = rows[i]
            if not band_row(kind, r.x):
                continue
            fold = (split, fold_of(r), r.x.engine)
            if split == "engine":
                groups.setdefault(f"proxy:{r.x.unit}", []).append((res, fold))
                groups.setdefault("proxy:all", []).append((res, fold))
            else:
                groups.setdefault(r.x.engine, []).append((res, fold))
                groups.setdefault(f"unit:{r.x.unit}", []).append((res, fold))

    def band(key, pairs):
        return group_band([v for v, _ in pairs], [f for _, f in pairs], kind, LOW_Q, HIGH_Q,
                          proxy=key.startswith("proxy:")) + [len(pairs)]

    return {k: band(k, v) for k, v in sorted(groups.items())
            if (len(v) >= 2 * MIN_ENGINE_ROWS if not k.startswith(("unit:", "proxy:")) else len(v) >= MIN_ENGINE_ROWS)
            or k.startswith("unit:")}


def profile_devices(rows: list) -> dict[str, list[str]]:
    """profiles/ id -> the measured device groups it describes (`profile_id` in knowledge/data/devices*.csv,
    space-separated), most rows first: a plan for that profile uses those devices' fitted offsets."""
    from .speed_data import device_group, load_devices

    counts: dict[str, int] = {}
    for r in rows:
        counts[r.group] = counts.get(r.group, 0) + 1
    out: dict[str, set] = {}
    for name, dev in load_devices().items():
        group = device_group(name)
        if group in counts:
            for pid in (dev.get("profile_id") or "").split():
                out.setdefault(pid, set()).add(group)
    return {pid: sorted(gs, key=lambda g: (-counts[g], g)) for pid, gs in sorted(out.items())}


def build_speed(kb: Knowledge) -> tuple[dict, list]:
    from .engines import load_engines
    from .speed_data import load_speed_rows
    from .speedfit import SpeedFit

    engines = load_engines()
    rows, skipped, ratios = load_speed_rows(kb, engines)
    speed: dict = {"compute_ratio": ratios, "skipped_rows": dict(sorted(skipped.items())),
                   "sources": len({r.source for r in rows}), "devices": len({r.group for r in rows}),
                   "profile_devices": profile_devices(rows)}
    for kind in ("decode", "prefill"):
        m = SpeedFit(kind).fit(rows, engines)
        speed[kind] = {**m.params_, "bands": speed_bands(kind, rows, engines)}
    return speed, rows


def build(kb: Knowledge | None = None) -> dict:
    kb = kb or load_knowledge()
    speed, rows = build_speed(kb)
    return {
        "version": 2,
        "generated_by": "advisor calibrate --rebuild",
        "inputs": ["knowledge/data/speed/*.csv", "knowledge/data/devices*.csv", "knowledge/engines.yaml",
                   "knowledge/data/quant_quality.csv", "knowledge/data/measurement_map.yaml"],
        "speed": speed,
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


def same(a, b, rel: float = 1e-3) -> bool:
    """Two calibrations agree: same keys and strings, numbers within `rel` (a refit on another BLAS thread count
    moves the 6th digit, nothing that any prediction shows)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-9
    return a == b


def dumps(cal: dict) -> str:
    return json.dumps(_round(cal), indent=1, sort_keys=True) + "\n"


def rebuild(path: Path | None = None) -> Path:
    from .atomic import write_text_atomic

    p = path or paths.CALIBRATION_FILE
    write_text_atomic(p, dumps(build()))
    return p
