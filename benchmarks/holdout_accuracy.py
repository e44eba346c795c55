"""Accuracy of the shipped calibration on measurements the fit has never seen: knowledge/data/holdout/*.csv.

Leave-one-source-out (prediction_accuracy.py) refits without a source, but the model's design was chosen while
looking at every source. The holdout rows were collected after it (2026-12-06) from sources no fitted table uses
(tests/core/test_holdout.py checks that), on devices the devices table describes, and the fit never reads them
(speed_data.SPEED_DIR holds the fitted tables, speed_data.HOLDOUT_DIR these). Each row is predicted with
advisor/data/calibration.json as `advisor plan` predicts a candidate: the device's fitted offset, its unit's
generation and port, the engine's interval. Printed per kind and engine: rows, median |error|, share within +-30 %,
80 % interval coverage and median signed error (+: predicted too fast); for decode, the rule "bandwidth x 0.55 /
weights" on the same rows. Then the rows, worst first.

    python benchmarks/holdout_accuracy.py [--rows N] [--min-rows 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.calibration import load_calibration  # noqa: E402
from advisor.engines import load_engines  # noqa: E402
from advisor.knowledge import load_knowledge  # noqa: E402
from advisor.speed_data import HOLDOUT_DIR, load_speed_rows  # noqa: E402
from prediction_accuracy import bandwidth_rule  # noqa: E402  (a sibling script: its directory is on sys.path)

KINDS = ("decode", "prefill")


def holdout_rows(kb, engines):
    """The holdout rows the model can use, and the counts skipped by reason."""
    rows, skipped, _ = load_speed_rows(kb, engines, files=sorted(HOLDOUT_DIR.glob("*.csv")))
    return rows, skipped


def predict_rows(rows, engines, cal):
    """One result per (row, kind) measured: (kind, row, estimate, log error = log(predicted / measured))."""
    out = []
    for r in rows:
        for kind in KINDS:
            measured = r.measured(kind)
            if measured:
                est = cal.speed(kind, r.x, engines[r.x.engine].like)
                out.append((kind, r, est, math.log(est.value / measured)))
    return out


def summarise(results, kind):
    """Per engine (and 'all'): n, median |error|, share within +-30 %, coverage, median signed, rule median."""
    groups = defaultdict(list)
    for k, r, est, e in results:
        if k == kind:
            for key in ("all", r.x.engine):
                groups[key].append((r, est, e))
    table = {}
    for key, items in groups.items():
        measured = [r.measured(kind) for r, _, _ in items]
        errs = [abs(math.exp(e) - 1) for _, _, e in items]
        rule = ([abs(bandwidth_rule(r.x) / m - 1) for (r, _, _), m in zip(items, measured)]
                if kind == "decode" else [])
        table[key] = {
            "n": len(items),
            "mdape": statistics.median(errs),
            "within30": sum(x <= 0.3 for x in errs) / len(errs),
            "cover80": sum(est.low <= m <= est.high for (_, est, _), m in zip(items, measured)) / len(items),
            "bias": math.exp(statistics.median(e for _, _, e in items)) - 1,
            "rule": statistics.median(rule) if rule else None,
            "proxy": sum(est.evidence == "proxy" for _, est, _ in items),
        }
    return table


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=30, help="rows to list, worst first (0: none)")
    ap.add_argument("--min-rows", type=int, default=3, help="engines with fewer rows are folded into 'all' only")
    a = ap.parse_args(argv)
    kb, engines = load_knowledge(), load_engines()
    rows, skipped = holdout_rows(kb, engines)
    if not rows:
        print(f"no usable holdout rows in {HOLDOUT_DIR}", file=sys.stderr)
        return 1
    results = predict_rows(rows, engines, load_calibration())
    print(f"{len(rows)} holdout rows, {len({r.group for r in rows})} devices, {len({r.source for r in rows})} sources, "
          f"{len({r.x.engine for r in rows})} engines; predicted with the shipped calibration (never fitted on them)")
    if skipped:
        print("rows skipped or simplified:", "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items())))
    for kind in KINDS:
        table = summarise(results, kind)
        if not table:
            continue
        print(f"\n{kind} ({table['all']['n']} rows)")
        print(f"{'engine':24} {'n':>4} {'MdAPE':>7} {'<=30%':>6} {'cover80':>8} {'bias':>6} {'proxy':>6}   {'rule MdAPE':>10}")
        keys = ["all"] + sorted(k for k in table if k != "all" and table[k]["n"] >= a.min_rows)
        for k in keys:
            t = table[k]
            rule = f"{t['rule']:10.1%}" if t["rule"] is not None else f"{'-':>10}"
            print(f"{k:24} {t['n']:4d} {t['mdape']:7.1%} {t['within30']:6.0%} {t['cover80']:8.0%} {t['bias']:+6.0%} "
                  f"{t['proxy']:6d}   {rule}")
        few = sorted(k for k in table if k != "all" and table[k]["n"] < a.min_rows)
        if few:
            listed = ", ".join(f"{k} {table[k]['n']}" for k in few)
            print(f"  (fewer than {a.min_rows} rows: {listed})")
    if a.rows:
        print("\nrows, worst first (error = predicted / measured - 1)")
        for kind, r, est, e in sorted(results, key=lambda t: -abs(t[3]))[:a.rows]:
            measured = r.measured(kind)
            print(f"  {kind:7} {math.exp(e) - 1:+6.0%}  {r.x.engine:22} {r.device[:30]:30} {r.model[:26]:26} "
                  f"{r.quant:8} measured {measured:8.1f} predicted {est.value:8.1f} [{est.low:.1f}, {est.high:.1f}] "
                  f"{r.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
