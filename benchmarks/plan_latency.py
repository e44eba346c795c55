"""Cold-start latency of `advisor plan` (no probe): median of several fresh processes.

    python benchmarks/plan_latency.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    ("raspberry-pi-5-8gb", "llama-3.2-1b-instruct"),
    ("apple-m2-16gb", "qwen2.5-7b-instruct"),
    ("galaxy-s24-ultra", "phi-3.5-mini-instruct"),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    worst = 0.0
    for device, model in CASES:
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "advisor", "plan", "--device", device, "--model", model, "--json"],
                               cwd=ROOT, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                print(p.stderr, file=sys.stderr)
                return 1
        med = statistics.median(times)
        worst = max(worst, med)
        print(f"plan {device:28} {model:26} median {med * 1000:6.0f} ms  (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {runs} cold runs)")
    print(f"target: median < 1000 ms -> {'MET' if worst < 1.0 else 'NOT MET'} (worst median {worst * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
