"""Cold-start latency of `advisor plan` (no probe): the median of several fresh processes, beside llmfit's `plan`
when llmfit is installed (on PATH, or LLMFIT=/path/to/llmfit).

    python benchmarks/plan_latency.py [--runs 7]

"Cold" is a new Python process each run, as a user typing the command gets. Two things persist between runs, as
they do for a user: the package's bytecode (pip writes it at install; scripts/setup.sh compiles it for the editable
install, and this script compiles it first) and the knowledge snapshot (advisor/snapshot.py, rebuilt whenever a
knowledge file, profile or module changes). The first line shows a run that has to rebuild the snapshot.
Target (issue 13): median <= 200 ms.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.2
CASES = [
    ("raspberry-pi-5-8gb", "llama-3.2-1b-instruct", "meta-llama/Llama-3.2-1B-Instruct"),
    ("apple-m2-16gb", "qwen2.5-7b-instruct", "Qwen/Qwen2.5-7B-Instruct"),
    ("galaxy-s24-ultra", "phi-3.5-mini-instruct", "microsoft/Phi-3.5-mini-instruct"),
]


def timed(argv: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)
    took = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    return took


def advisor_argv(device: str, model: str) -> list[str]:
    return [sys.executable, "-m", "advisor", "plan", "--device", device, "--model", model, "--json"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    if runs < 1:
        ap.error("--runs must be >= 1")
    compileall.compile_dir(ROOT / "advisor", quiet=1)
    llmfit = os.environ.get("LLMFIT") or shutil.which("llmfit")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "ADVISOR_CACHE_DIR": cache}
        first = timed(advisor_argv(*CASES[0][:2]), env)
        print(f"plan {CASES[0][0]:24} {CASES[0][1]:24} first run (builds the snapshot) {first * 1000:6.0f} ms")
        worst = 0.0
        for device, model, hub_id in CASES:
            times = sorted(timed(advisor_argv(device, model), env) for _ in range(runs))
            med = statistics.median(times)
            worst = max(worst, med)
            line = (f"plan {device:24} {model:24} median {med * 1000:6.0f} ms  (min {times[0] * 1000:.0f}, "
                    f"max {times[-1] * 1000:.0f}, {runs} cold runs)")
            if llmfit:
                lt = sorted(timed([llmfit, "plan", hub_id, "--context", "4096", "--json"], env) for _ in range(runs))
                line += f"   llmfit plan {statistics.median(lt) * 1000:6.0f} ms"
            print(line)
    if not llmfit:
        print("llmfit: not installed (put it on PATH or set LLMFIT=/path/to/llmfit to time it beside)")
    print(f"target: median <= {TARGET_S * 1000:.0f} ms -> {'MET' if worst <= TARGET_S else 'NOT MET'} "
          f"(worst median {worst * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
