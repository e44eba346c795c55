#!/usr/bin/env python3
"""Convert the project's first measurement table (shared/data/edge_llm_measurements.csv, copied to
knowledge/data/edge_llm_measurements.csv) into the speed-table columns of knowledge/data/speed/README.md.

Rerunnable and deterministic. What changes per row: the CSV `backend` becomes an engine id (the rows marked
`other` name their runtime in `notes`; rows whose runtime is not named are dropped and listed), `source_id` is
derived from the URL, and `transcribed` is `yes` where the notes say the table was read from a transcription.

    python scripts/import_shared_measurements.py [--src CSV] [--out CSV]
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["device", "engine", "model", "params_b", "quant", "threads", "context_len", "prompt_len", "gen_len",
           "tg_tps", "pp_tps", "ttft_ms", "model_size_gib", "source_url", "source_id", "transcribed", "notes"]
ENGINES = {"llama.cpp-metal": "llamacpp-gpu-metal", "llama.cpp-cuda": "llamacpp-gpu-cuda",
           "llama.cpp-vulkan": "llamacpp-gpu-vulkan", "llama.cpp-cpu": "llamacpp-cpu", "mlx": "mlx-gpu",
           "qnn": "qnn-npu"}
# runtime named in the notes of rows whose backend column is `other` (or a device-dependent `openvino`)
NOTE_ENGINES = [(r"llama\.cpp OpenCL", "llamacpp-gpu-opencl"), (r"ROCm/HIP", "llamacpp-gpu-rocm"),
                (r"IPEX-LLM \(llama\.cpp SYCL", "llamacpp-gpu-sycl"), (r"OpenVINO on iGPU", "openvino-gpu")]

# pages whose rows another speed file already holds, with more detail: one measurement must not count twice (it
# would also cross the leave-one-source-out and leave-one-device-out splits under two names)
ELSEWHERE = {f"https://github.com/ggml-org/llama.cpp/pull/{n}": f"qualcomm_other.csv (llamacpp-pr{n})"
             for n in (10693, 18871, 22755)}


def source_id(url: str) -> str:
    m = re.search(r"github\.com/([^/]+)/([^/]+)/(discussions|issues|pull)/(\d+)", url)
    if m:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}-{m.group(4)}".lower()
    m = re.search(r"github\.com/quic/ai-hub-models", url)
    if m:
        return "qai-hub-models-github"
    m = re.search(r"github\.com/([^/]+)/([^/]+)(/blob/[^/]+/(.+))?", url)
    if m:
        tail = f"-{Path(m.group(4)).stem}" if m.group(4) else ""
        return f"{m.group(1)}-{m.group(2)}{tail}".lower()
    host = re.sub(r"^https?://(www\.)?", "", url).split("/")[0]
    path = re.sub(r"[^a-z0-9]+", "-", url.split(host, 1)[1].lower()).strip("-")
    return f"{host}-{path}"[:60].strip("-")


def engine_of(r: dict) -> str | None:
    if r["backend"] in ENGINES:
        return ENGINES[r["backend"]]
    for pat, eng in NOTE_ENGINES:
        if re.search(pat, r["notes"]):
            return eng
    return None


def convert(src: Path, out: Path) -> tuple[int, list[str]]:
    rows, dropped = [], []
    with open(src, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["source_url"] in ELSEWHERE:
                dropped.append(f"{r['device']} / {r['model']} / {r['quant']}: already in {ELSEWHERE[r['source_url']]}")
                continue
            eng = engine_of(r)
            if eng is None:
                dropped.append(f"{r['device']} / {r['model']} / {r['quant']}: runtime not named by the source "
                               f"({r['source_url']})")
                continue
            threads = re.search(r"(\d+) threads|threads=(\d+)", r["notes"])
            rows.append({
                "device": r["device"], "engine": eng, "model": r["model"], "params_b": r["params_b"],
                "quant": r["quant"], "threads": next((g for g in threads.groups() if g), "") if threads and eng == "llamacpp-cpu" else "",
                "context_len": "", "prompt_len": r["prompt_len"], "gen_len": r["gen_len"], "tg_tps": r["tg_tps"],
                "pp_tps": r["pp_tps"], "ttft_ms": "", "model_size_gib": r["model_size_gib"],
                "source_url": r["source_url"], "source_id": source_id(r["source_url"]),
                "transcribed": "yes" if "TRANSCRIPTION" in r["notes"].upper() else "",
                "notes": r["notes"],
            })
    rows.sort(key=lambda x: (x["source_id"], x["device"], x["engine"], x["model"], x["quant"]))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return len(rows), dropped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=ROOT / "knowledge/data/edge_llm_measurements.csv")
    ap.add_argument("--out", type=Path, default=ROOT / "knowledge/data/speed/shared_edge_llm.csv")
    a = ap.parse_args(argv)
    if not a.src.is_file():
        print(f"error: {a.src} not found; pass --src PATH to the shared measurement CSV", file=sys.stderr)
        return 2
    n, dropped = convert(a.src, a.out)
    print(f"wrote {n} rows to {a.out}; dropped {len(dropped)}:")
    for d in dropped:
        print(f"  - {d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
