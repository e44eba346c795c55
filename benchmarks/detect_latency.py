"""How long `--device auto` takes to detect this machine, bandwidth measurement included (target < 1.5 s).

Moved out of the test suite: a timing target belongs here, where a busy machine makes a slow figure, not a failure.

    python benchmarks/detect_latency.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import detect  # noqa: E402

TARGET_S = 1.5


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    took = []
    for _ in range(a.runs):
        detect.detect_profile.cache_clear()
        t = time.perf_counter()
        p = detect.detect_profile(measure=True)
        took.append(time.perf_counter() - t)
    med = statistics.median(took)
    print(f"detect ({p.cpu.model}, {p.memory.bandwidth_gbs:.1f} GB/s measured): median {med:.2f} s over {a.runs} "
          f"runs, max {max(took):.2f} s; target < {TARGET_S} s: {'MET' if med < TARGET_S else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
