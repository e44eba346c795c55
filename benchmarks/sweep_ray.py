"""Probe-sweep throughput on this machine: the same probe cells (the 2-layer probe model through llama.cpp, four
quantizations by default) with the local process pool and with a local Ray cluster, 1 and 2 workers each, every
run a fresh `advisor sweep --probe` process with its own --out and measurement store (nothing reused). Ray's
overhead is its wall time minus the local pool's with the same number of workers (cluster start and stop
included: that is what a user pays); the bare start + stop of a Ray cluster is timed on its own too.

    python benchmarks/sweep_ray.py [--quants Q8_0,Q4_0,Q5_0,Q4_K_S] [--model tiny] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RAY_START = """
import os, shutil, tempfile, time
import ray
t = time.perf_counter()
tmp = tempfile.mkdtemp(prefix="adv-rb-", dir="/tmp")
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=tmp, _node_ip_address="127.0.0.1")
up = time.perf_counter() - t
ray.shutdown()
shutil.rmtree(tmp, ignore_errors=True)
print(up, time.perf_counter() - t)
"""


def _run(args: list[str], root: Path) -> tuple[float, dict]:
    env = {**os.environ, "ADVISOR_DATA_DIR": str(root / "data"), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "advisor", "sweep", *args, "--out", str(root / "out"), "--json"],
                       capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if p.returncode:
        sys.exit(f"sweep failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return wall, json.loads(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quants", default="Q8_0,Q4_0,Q5_0,Q4_K_S")
    ap.add_argument("--model", default="tiny")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    cells = len(a.quants.split(","))
    base = ["--models", a.model, "--devices", "auto", "--backends", "llamacpp", "--quants", a.quants, "--probe",
            "--threads", "1", "--no-progress"]
    # warm the probe model cache once (its first build is not what is compared)
    with tempfile.TemporaryDirectory() as d:
        _run([*base[:7], a.quants.split(",")[0], *base[8:]], Path(d))
    runs = []
    for label, extra in (("local pool, 1 worker", ["--probe-workers", "1"]),
                         ("local pool, 2 workers", ["--probe-workers", "2"]),
                         ("Ray local, 1 worker", ["--ray", "local", "--probe-workers", "1"]),
                         ("Ray local, 2 workers", ["--ray", "local", "--probe-workers", "2"])):
        with tempfile.TemporaryDirectory() as d:
            wall, s = _run([*base, *extra], Path(d))
        runs.append({"executor": label, "workers": int(extra[-1]), "wall_s": round(wall, 1),
                     "cells_per_min": round(cells / wall * 60, 2), "probes_run": s["probes_run"],
                     "probes_failed": s["probes_failed"]})
        print(f"  {label}: {wall:.1f} s", file=sys.stderr)
    p = subprocess.run([sys.executable, "-c", RAY_START], capture_output=True, text=True,
                       env={**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"})  # loopback, as --ray local
    up, total = (float(x) for x in p.stdout.split()) if p.returncode == 0 else (float("nan"), float("nan"))
    by = {(r["executor"].split(",")[0], r["workers"]): r["wall_s"] for r in runs}
    overhead = {n: round(by[("Ray local", n)] - by[("local pool", n)], 1) for n in (1, 2)}
    res = {"cells": cells, "model": a.model, "runs": runs, "ray_overhead_s": overhead,
           "ray_start_s": round(up, 2), "ray_start_stop_s": round(total, 2), "cpus": os.cpu_count(),
           "load_average_1min": round(os.getloadavg()[0], 2)}
    if a.json:
        print(json.dumps(res, indent=2))
        return 0
    print(f"{cells} probe cells ({a.model}, llama.cpp {a.quants}), {os.cpu_count()} CPUs, load average "
          f"{res['load_average_1min']}")
    print(f"{'executor':24} {'wall s':>7} {'cells/min':>10} {'failed':>7}")
    for r in runs:
        print(f"{r['executor']:24} {r['wall_s']:7.1f} {r['cells_per_min']:10.2f} {r['probes_failed']:7d}")
    print(f"Ray overhead vs the local pool: {overhead[1]:+.1f} s with 1 worker, {overhead[2]:+.1f} s with 2 "
          f"(Ray cluster start {up:.1f} s, start + stop {total:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
