"""Leave-one-device-out accuracy of the advisor's predictors on the public measurements.

For every device (grouped across memory variants), the decode and prefill models are refitted without it and
its rows predicted; the 80 % interval for a held-out device is built only from the other devices' out-of-sample
residuals. Printed per engine and overall: median absolute % error, share within +-30 %, interval coverage, and
the "bandwidth / model size x 0.55" rule on the same rows. Weights size is checked against published file sizes.

    python benchmarks/prediction_accuracy.py
"""

from __future__ import annotations

import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from advisor.calibration import speed_features  # noqa: E402
from advisor.fit import HIGH_Q, LOW_Q, decode_target, fit_loglinear, load_rows, prefill_target  # noqa: E402
from advisor.knowledge import load_knowledge  # noqa: E402


def lodo(rows, target):
    """Out-of-sample log residuals per row index, by leaving each device group out."""
    use = [i for i, r in enumerate(rows) if target(r) is not None]
    xs = {i: speed_features(rows[i].feats) for i in use}
    preds = {}
    for g in sorted({rows[i].group for i in use}):
        train = [i for i in use if rows[i].group != g]
        b0, coef = fit_loglinear([xs[i] for i in train], [target(rows[i]) for i in train])
        for i in use:
            if rows[i].group == g:
                preds[i] = b0 + sum(coef.get(k, 0.0) * v for k, v in xs[i].items())
    return preds


def summarise(name, rows, target, to_value, measured):
    preds = lodo(rows, target)
    res = {i: target(rows[i]) - p for i, p in preds.items()}
    out = defaultdict(lambda: {"err": [], "cov": [], "base": []})
    for i, p in preds.items():
        g = rows[i].group
        others = [r for j, r in res.items() if rows[j].group != g]
        lo, hi = np.quantile(others, LOW_Q), np.quantile(others, HIGH_Q)
        y_pred, y_true = to_value(rows[i], p), measured(rows[i])
        lo_v, hi_v = to_value(rows[i], p + lo), to_value(rows[i], p + hi)
        base = 0.55 * rows[i].feats.bandwidth_gbs / (rows[i].feats.weights_gib * 2**30 / 1e9)
        for key in ("all", rows[i].feats.engine):
            out[key]["err"].append(abs(y_pred / y_true - 1))
            out[key]["cov"].append(lo_v <= y_true <= hi_v)
            out[key]["base"].append(abs(base / y_true - 1))
    print(f"\n{name}: leave-one-device-out over {len(preds)} rows, {len({rows[i].group for i in preds})} devices")
    print(f"{'group':24} {'n':>4} {'MdAPE':>7} {'<=30%':>7} {'cover80':>8}   {'baseline MdAPE':>14} {'<=30%':>7}")
    for key in ["all"] + sorted(k for k in out if k != "all"):
        o = out[key]
        base_col = (f"{statistics.median(o['base']):14.1%} {np.mean([e <= 0.3 for e in o['base']]):7.0%}"
                    if name == "decode" else f"{'-':>14} {'-':>7}")
        print(f"{key:24} {len(o['err']):4d} {statistics.median(o['err']):7.1%} "
              f"{np.mean([e <= 0.3 for e in o['err']]):7.0%} {np.mean(o['cov']):8.0%}   {base_col}")
    return out["all"]


def main() -> int:
    kb = load_knowledge()
    rows, skipped = load_rows(kb)
    print("rows skipped or simplified:", ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())))
    dec = summarise("decode", rows, decode_target, lambda r, y: r.bound * math.exp(y), lambda r: r.tg)
    summarise("prefill", rows, prefill_target, lambda r, y: math.exp(y) / r.feats.params_b, lambda r: r.pp)
    seen, errs = set(), []
    for r in rows:
        if r.size_measured and r.size_predicted:
            key = (r.feats.engine.split("-")[0], r.family, round(r.size_measured, 2), round(r.size_predicted, 3))
            if key not in seen:
                seen.add(key)
                errs.append(abs(r.size_predicted / r.size_measured - 1))
    print(f"\nweights size: {len(errs)} distinct (model, quant) files, median abs error {statistics.median(errs):.2%}, "
          f"max {max(errs):.2%}")
    ok = (statistics.median(dec["err"]) <= 0.15 and np.mean([e <= 0.3 for e in dec["err"]]) >= 0.85
          and 0.70 <= np.mean(dec["cov"]) <= 0.90 and statistics.median(errs) <= 0.03)
    print(f"\ntargets (decode MdAPE <= 15 %, >= 85 % within 30 %, coverage 70-90 %, size <= 3 %): {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
