"""Accuracy of the advisor's speed predictors on the public measurements, under three honest splits.

For each split the model is refitted without the held-out group and the group's rows are predicted:
  device  leave one device out (memory variants and unit labels of one chip are one device)
  source  leave one source out (a thread, a paper, a vendor page, a package version)
  engine  leave the whole engine out: what a proxy (an engine with no rows of its own) is worth
The 80 % interval of a held-out row is built only from other groups' out-of-sample residuals (same engine when it
has enough, else the same compute unit; for the engine split, every other engine's), each group weighing the same,
as plan-time intervals are. Printed per engine with >= 5 rows: median |error|, share within +-30 %, interval coverage; and, for
decode, the rule "bandwidth x 0.55 / weights size" on the same rows. Then, per split, where the misses are: the
(engine, device) cells with the most rows outside +-30 %, each with its median error (+: predicted too fast), and how
many more rows within +-30 % the 85 % target needs.

    python benchmarks/prediction_accuracy.py [--split device|source|engine] [--min-rows 5] [--pockets 8]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from advisor.engines import load_engines  # noqa: E402
from advisor.fit import HIGH_Q, LOW_Q, MIN_ENGINE_ROWS  # noqa: E402
from advisor.knowledge import load_knowledge  # noqa: E402
from advisor.speed_data import load_speed_rows  # noqa: E402
from advisor.speedbands import SPLITS, band_row, group_band, out_of_fold  # noqa: E402

TARGETS = {"decode": 0.20, "prefill": 0.25}


def bandwidth_rule(x) -> float:
    """The common rule the predictors are compared with: decode tokens/s = bandwidth x 0.55 / bytes per token."""
    return 0.55 * x.bandwidth_gbs / max(x.decode_gb_per_token, 1e-9)


def interval(i, rows, res, fold_of, split, kind):
    """(q_low, q_high) of out-of-sample residuals from other folds: same engine, else same unit."""
    f, r = fold_of(rows[i]), rows[i]
    others = [(j, v) for j, v in res.items() if fold_of(rows[j]) != f and band_row(kind, rows[j].x)]

    def q(pairs):
        folds = [(fold_of(rows[j]), rows[j].x.engine) for j, _ in pairs]
        return group_band([v for _, v in pairs], folds, kind, LOW_Q, HIGH_Q, proxy=split == "engine")

    if split != "engine":
        same = [(j, v) for j, v in others if rows[j].x.engine == r.x.engine]
        if len(same) >= 2 * MIN_ENGINE_ROWS:
            return q(same)
    if split == "engine":  # a proxy's band: every other engine's error when it was borrowed for, whatever the unit
        return q(others)
    unit = [(j, v) for j, v in others if rows[j].x.unit == r.x.unit] or others
    return q(unit)


def evaluate(kind, rows, engines, split):
    fold_of = SPLITS[split]
    res = out_of_fold(kind, rows, engines, fold_of)
    out = defaultdict(lambda: {"err": [], "cov": [], "base": [], "signed": [], "cells": []})
    for i, e in res.items():
        r = rows[i]
        lo, hi = interval(i, rows, res, fold_of, split, kind)
        measured = r.measured(kind)
        pred = measured / math.exp(e)
        err = pred / measured - 1
        for key in ("all", r.x.engine):
            o = out[key]
            o["err"].append(abs(err))
            o["cells"].append(((r.x.engine, r.group), err))
            o["signed"].append(-e)
            o["cov"].append(lo <= e <= hi)
            if kind == "decode":
                o["base"].append(abs(bandwidth_rule(r.x) / measured - 1))
    return out


def report(kind, out, split, min_rows):
    n_all = len(out["all"]["err"])
    print(f"\n{kind}, leave one {split} out ({n_all} rows)")
    print(f"{'engine':24} {'n':>5} {'MdAPE':>7} {'<=30%':>6} {'cover80':>8} {'bias':>6}   {'rule MdAPE':>10} {'<=30%':>6}")
    keys = ["all"] + sorted(k for k in out if k != "all" and len(out[k]["err"]) >= min_rows)
    for k in keys:
        o = out[k]
        base = (f"{statistics.median(o['base']):10.1%} {np.mean([b <= 0.3 for b in o['base']]):6.0%}"
                if o["base"] else f"{'-':>10} {'-':>6}")
        print(f"{k:24} {len(o['err']):5d} {statistics.median(o['err']):7.1%} {np.mean([e <= 0.3 for e in o['err']]):6.0%} "
              f"{np.mean(o['cov']):8.0%} {math.exp(statistics.median(o['signed'])) - 1:+6.0%}   {base}")
    small = sorted(k for k in out if k != "all" and len(out[k]["err"]) < min_rows)
    if small:
        few = ", ".join(f"{k} {len(out[k]['err'])}" for k in small)
        print(f"  (fewer than {min_rows} rows: {few})")


def pockets(kind, out, split, top):
    """The (engine, device) cells holding the most rows outside +-30 %, and the 85 % target's shortfall."""
    cells = defaultdict(list)
    for cell, err in out["all"]["cells"]:
        cells[cell].append(err)
    missed = sorted(((sum(abs(e) > 0.3 for e in v), len(v), statistics.median(v), c) for c, v in cells.items()),
                    key=lambda t: (-t[0], -t[1], t[3]))
    n = len(out["all"]["err"])
    within = sum(e <= 0.3 for e in out["all"]["err"])
    short = max(0, math.ceil(0.85 * n) - within)
    print(f"\n{kind}, leave one {split} out: {n - within} rows outside +-30 % ({short} more within would reach 85 %); "
          f"most in")
    for miss, size, med, (engine, device) in missed[:top]:
        if miss:
            print(f"  {miss:4d} of {size:4d}  {engine:22} {device[:40]:40} median {med:+.0%}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=sorted(SPLITS), action="append")
    ap.add_argument("--kind", choices=["decode", "prefill"], action="append")
    ap.add_argument("--min-rows", type=int, default=5)
    ap.add_argument("--pockets", type=int, default=8, help="(engine, device) cells to list by rows outside +-30 %%")
    a = ap.parse_args(argv)
    kb, engines = load_knowledge(), load_engines()
    rows, skipped, _ = load_speed_rows(kb, engines)
    print(f"{len(rows)} rows, {len({r.group for r in rows})} devices, {len({r.source for r in rows})} sources, "
          f"{len({r.x.engine for r in rows})} engines")
    print("rows skipped or simplified:", "; ".join(f"{k}: {v}" for k, v in sorted(skipped.items())))
    summary = {}
    for split in a.split or ["device", "source", "engine"]:
        for kind in a.kind or ["decode", "prefill"]:
            out = evaluate(kind, rows, engines, split)
            report(kind, out, split, a.min_rows)
            summary[(split, kind)] = out
    if a.pockets > 0:
        for (split, kind), out in summary.items():
            pockets(kind, out, split, a.pockets)
    seen, errs = set(), []
    for r in rows:
        if r.size_measured and r.size_predicted:
            key = (r.family, round(r.size_measured, 2), round(r.size_predicted, 3))
            if key not in seen:
                seen.add(key)
                errs.append(abs(r.size_predicted / r.size_measured - 1))
    if errs:
        print(f"\nweights size: {len(errs)} distinct published (model, quant) files, median |error| "
              f"{statistics.median(errs):.2%}, max {max(errs):.2%}")
    if ("device", "decode") in summary and ("device", "prefill") in summary:
        d, p = summary[("device", "decode")], summary[("device", "prefill")]
        per_engine = [k for k in d if k != "all" and len(d[k]["err"]) >= a.min_rows]
        worst = max((statistics.median(d[k]["err"]) for k in per_engine), default=0.0)
        ok = (worst <= TARGETS["decode"] and np.mean([e <= 0.3 for e in d["all"]["err"]]) >= 0.85
              and 0.70 <= np.mean(d["all"]["cov"]) <= 0.90 and statistics.median(p["all"]["err"]) <= TARGETS["prefill"])
        print(f"\ntargets, leave one device out (every engine's decode MdAPE <= 20 % [worst {worst:.1%}], >= 85 % "
              f"within 30 %, coverage 70-90 %, prefill MdAPE <= 25 %): {'MET' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
