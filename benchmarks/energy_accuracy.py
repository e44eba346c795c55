"""Accuracy of the advisor's power model (and so of energy per token at a known speed) on the collected public
measurements, leave one device out.

For each device, the power model is refitted on the other devices' rows (its 80 % interval built, as at plan time,
from the leave-one-device-out errors inside that training set) and the held-out device's rows are predicted.
Energy per decoded token is power / decode speed, so at the measured speed its relative error is the power error;
the speed model's own error is `prediction_accuracy.py`'s. Printed: rows, devices, median |error| (MdAPE), share
within +-30 %, 80 % interval coverage, overall and per form factor, next to a baseline that predicts every device at
the median power of the others, and each row's figures with --rows.

    python benchmarks/energy_accuracy.py [--rows]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import paths  # noqa: E402
from advisor.energy_data import load_power_rows  # noqa: E402
from advisor.energy_fit import COMPONENT_KINDS, FEATURES, PowerModel  # noqa: E402


def evaluate(rows):
    """[(row, predicted W, low W, high W, baseline W)] with each device held out in turn."""
    out = []
    for dev in sorted({r.device for r in rows}):
        train = [r for r in rows if r.device != dev]
        model = PowerModel().fit(train)
        per_device = {}
        for r in train:
            per_device.setdefault(r.device, []).append(r.power_w)
        base = statistics.median(statistics.median(v) for v in per_device.values())
        for r in rows:
            if r.device != dev:
                continue
            mid, lo, hi = model.predict(r.bandwidth_gbs, r.form == "handheld", r.unit, r.discrete)
            if r.power_kind in COMPONENT_KINDS:  # the row measured a part: compare like with like
                k = math.exp(model.coef_[FEATURES.index("component")])
                mid, lo, hi = mid * k, lo * k, hi * k
            out.append((r, mid, lo, hi, base))
    return out


def summary(res) -> dict:
    ape = [abs(m / r.power_w - 1) for r, m, _, _, _ in res]
    base = [abs(b / r.power_w - 1) for r, _, _, _, b in res]
    cover = [lo <= r.power_w <= hi for r, _, lo, hi, _ in res]
    return {"rows": len(res), "devices": len({r.device for r, *_ in res}),
            "mdape": statistics.median(ape), "within30": sum(a <= 0.3 for a in ape) / len(ape),
            "coverage": sum(cover) / len(cover), "baseline_mdape": statistics.median(base),
            "median_width": statistics.median(hi / lo for _, _, lo, hi, _ in res)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", action="store_true", help="print every held-out row")
    args = ap.parse_args(argv)
    rows = load_power_rows(paths.KNOWLEDGE_DIR / "data" / "energy_measurements.csv")
    res = evaluate(rows)
    if args.rows:
        for r, m, lo, hi, _ in res:
            ok = "in " if lo <= r.power_w <= hi else "OUT"
            print(f"{r.device[:34]:34} {r.unit} measured {r.power_w:7.1f} W  predicted {m:7.1f} "
                  f"[{lo:6.1f}-{hi:6.1f}] {ok}")
    print("power (= energy per token at the measured speed), leave one device out")
    print(f"{'group':10} {'rows':>4} {'devs':>4} {'MdAPE':>6} {'<=30%':>6} {'cover80':>7} {'hi/lo':>6} {'baseline':>8}")
    groups = [("all", res)] + [(f, [x for x in res if x[0].form == f]) for f in ("handheld", "board", "laptop",
                                                                                 "desktop")]
    for name, part in groups:
        if not part:
            continue
        s = summary(part)
        print(f"{name:10} {s['rows']:4d} {s['devices']:4d} {s['mdape']:6.1%} {s['within30']:6.0%} "
              f"{s['coverage']:7.0%} {s['median_width']:6.1f} {s['baseline_mdape']:8.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
