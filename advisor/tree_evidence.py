"""What the public measurements show per decision-tree branch (docs/decision-tree.md, "What the data shows").

For the hardware a branch covers, per engine: how many rows, devices and sources back it; and, where one source
measured several engines on the same device, model and prompt length, each engine's decode and prefill speed
relative to llama.cpp on the CPU, by prompt length. Pure over the rows it is given.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict

from .speed_data import SpeedRow

BRANCH_VENDORS = {  # whose hardware each branch of knowledge/decision_tree.yaml covers
    "apple": {"apple"}, "snapdragon-npu": {"qualcomm"}, "snapdragon-cpu": {"qualcomm"}, "intel": {"intel", "x86"},
    "nvidia": {"nvidia"}, "amd": {"amd", "x86"}, "cpu-only": {"arm", "x86"}, "rockchip-npu": {"arm", "rockchip"},
}
BRANCH_DEVICES = {"rockchip-npu": r"Rockchip|RK35\d\d|RV1126|Orange Pi 5|Rock 5"}  # narrower: these devices only
BASELINE = "llamacpp-cpu"


def _bucket(prompt: float) -> str:
    return "prompt <= 1,024" if prompt <= 1024 else "prompt > 1,024"


def branch_evidence(branch_id: str, rows: list[SpeedRow]) -> list[str]:
    vendors = BRANCH_VENDORS.get(branch_id)
    if not vendors:
        return ["No public measurements are filed for this branch's hardware yet."]
    pattern = BRANCH_DEVICES.get(branch_id)
    mine = [r for r in rows if r.x.vendor in vendors and (pattern is None or re.search(pattern, r.device))]
    if not mine:
        return ["No public measurements are filed for this branch's hardware yet."]
    out = ["| engine | decode rows | prefill rows | devices | sources |", "|---|---|---|---|---|"]
    by_engine: dict[str, list[SpeedRow]] = defaultdict(list)
    for r in mine:
        by_engine[r.x.engine].append(r)
    for e, rs in sorted(by_engine.items(), key=lambda kv: -len(kv[1])):
        out.append(f"| {e} | {sum(1 for r in rs if r.tg)} | {sum(1 for r in rs if r.pp)} | "
                   f"{len({r.group for r in rs})} | {len({r.source for r in rs})} |")
    # paired comparisons: same source, device, model and prompt length (each engine at its own quantization)
    cells: dict[tuple, dict[str, SpeedRow]] = defaultdict(dict)
    for r in mine:
        cells[(r.source, r.device, r.model, round(r.x.prompt_tokens))].setdefault(r.x.engine, r)
    ratios: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for (src, dev, model, prompt), engs in cells.items():
        base = engs.get(BASELINE)
        if base is None:
            continue
        for e, r in engs.items():
            if e == BASELINE:
                continue
            for kind, a, b in (("decode", r.tg, base.tg), ("prefill", r.pp, base.pp)):
                if a and b:
                    ratios[(e, kind, _bucket(prompt))].append(a / b)
    if ratios:
        out += ["", f"Measured side by side (same source, device, model and prompt length; each engine at the "
                f"quantization the source ran), each engine's speed as a multiple of {BASELINE}:", "",
                "| engine | kind | prompt | x llama.cpp CPU | pairs |", "|---|---|---|---|---|"]
        for (e, kind, bucket), v in sorted(ratios.items()):
            out.append(f"| {e} | {kind} | {bucket} | {statistics.median(v):.2f} | {len(v)} |")
    return out
