"""The top pick per device, workload and priority, with its time to first token and energy per answer (the closing
note of issue 14).

    python benchmarks/energy_picks.py [--model llama-3.2-3b-instruct] [--device ID ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.calibration import load_calibration  # noqa: E402
from advisor.knowledge import load_knowledge  # noqa: E402
from advisor.planner import make_plan  # noqa: E402
from advisor.resolve import load_profiles  # noqa: E402
from advisor.schemas import Constraints  # noqa: E402

DEVICES = ["galaxy-s25-ultra", "apple-m4-max-128gb", "raspberry-pi-5-8gb"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="llama-3.2-3b-instruct")
    ap.add_argument("--device", action="append")
    args = ap.parse_args(argv)
    kb, cal, profs = load_knowledge(), load_calibration(), load_profiles()
    print("| device | workload | priority | top pick | TTFT s [80 %] | answer s | energy J [80 %] | battery %/100 answers |")
    print("|---|---|---|---|---|---|---|---|")
    for dev in args.device or DEVICES:
        for wl in ("chat", "rag"):
            w = kb.workloads[wl]
            for pr in ("balanced", "latency", "battery"):
                cons = Constraints(prompt_tokens=w.prompt_tokens, gen_tokens=w.gen_tokens, workload=wl, priority=pr)
                c = make_plan(profs[dev], kb.models[args.model], cons, kb, cal).candidates[0]
                t, e, a, b = c.ttft_s, c.energy_j, c.answer_s, c.battery_pct_per_100_answers
                bat = "-" if b is None else f"{b.value:.1f} [{b.low:.1f}-{b.high:.1f}]"
                print(f"| {dev} | {wl} | {pr} | {c.backend} {c.quant} ({c.compute}) | {t.value:.2f} "
                      f"[{t.low:.2f}-{t.high:.2f}] | {a.value:.1f} | {e.value:.0f} [{e.low:.0f}-{e.high:.0f}] | {bat} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
