"""A predict-only sweep of every catalogue model over every shipped device profile, as a user runs it
(`advisor sweep --models all --devices all`, a fresh process), then the same command again (resume: every cell is
skipped). Checks the table has one row per (model, device, candidate). Target: < 30 s on the project's machine.

    python benchmarks/sweep_predict.py [--workers N] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0


def _cpu() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _sweep(out: Path, workers: int | None) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "advisor", "sweep", "--models", "all", "--devices", "all", "--out", str(out),
           "--json", *(["--workers", str(workers)] if workers else [])]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - t
    if p.returncode:
        sys.exit(f"sweep failed ({p.returncode}): {p.stderr.strip()}")
    return wall, json.loads(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=None, help="planning processes (default: the CPU count)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        os.environ.setdefault("ADVISOR_DATA_DIR", str(Path(d) / "data"))  # no local probes: the shipped calibration
        out = Path(d) / "sweep"
        c0 = _cpu()
        first, s = _sweep(out, a.workers)
        cpu = _cpu() - c0
        again, s2 = _sweep(out, a.workers)
        rows = list(csv.DictReader((out / "sweep.csv").open()))
    ok = [r for r in rows if r["status"] == "ok"]
    keys = {(r["model"], r["device"], r["backend"], r["quant"], r["compute"]) for r in ok}
    cells = {(r["model"], r["device"]) for r in rows}
    res = {"cells": s["cells"], "rows": len(rows), "candidate_rows": len(ok), "unique_candidate_keys": len(keys),
           "cells_in_table": len(cells), "error_rows": s["errors"], "wall_s": round(first, 2),
           "resume_wall_s": round(again, 2), "resume_planned": s2["planned"], "target_s": TARGET_S,
           "cpu_s": round(cpu, 2), "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2)}
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"{res['cells']} cells (models x devices), {res['rows']} rows, {len(ok)} candidate rows, "
              f"{len(keys)} unique (model, device, backend, quant, compute)")
        print(f"sweep: {first:.1f} s wall (target < {TARGET_S:g} s), {cpu:.1f} CPU-s, on {os.cpu_count()} CPUs at "
              f"load average {res['load_average_1min']}; rerun (resume): {again:.1f} s, {s2['planned']} cells planned")
    good = first < TARGET_S and len(keys) == len(ok) and len(cells) == s["cells"] and s2["planned"] == 0
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
