#!/usr/bin/env python3
"""OpenVINO helper.

  ov_helper.py group-size --model DIR --group-size N   largest group size <= N dividing every layer's input width
  ov_helper.py bench-inputs --out DIR [--tokens 128]    .npy inputs for benchmark_app (beam_idx must be 0)
  ov_helper.py run --model-dir IR --device CPU --prompt TEXT --results JSON   OpenVINO GenAI LLMPipeline sample
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def group_size(a) -> int:
    cfg = json.loads((Path(a.model) / "config.json").read_text(encoding="utf-8"))
    cfg = cfg.get("text_config", cfg)
    widths = [cfg.get(k) for k in ("hidden_size", "intermediate_size") if isinstance(cfg.get(k), int)]
    g = a.group_size
    while g > 1 and any(w % g for w in widths):
        g //= 2
    if g != a.group_size:
        print(f"group size {a.group_size} does not divide {widths}; using {g}", file=sys.stderr)
    print(g)
    return 0


def bench_inputs(a) -> int:
    import numpy as np

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    n = a.tokens
    arrays = {"input_ids": np.random.default_rng(0).integers(3, 200, (1, n)), "attention_mask": np.ones((1, n)),
              "position_ids": np.arange(n)[None, :], "beam_idx": np.zeros(1)}
    for name, arr in arrays.items():
        np.save(out / f"{name}.npy", arr.astype(np.int64 if name != "beam_idx" else np.int32))
    print(" ".join(f"{k}:{out / k}.npy" for k in arrays))
    return 0


def run(a) -> int:
    import openvino_genai as ov_genai

    folder = Path(a.model_dir)
    ir_bytes = sum(p.stat().st_size for p in folder.glob("openvino_model.*"))
    pipe = ov_genai.LLMPipeline(str(folder), a.device)
    cfg = ov_genai.GenerationConfig()
    cfg.max_new_tokens = a.n_predict
    cfg.min_new_tokens = a.n_predict  # count a fixed number of tokens, even if the model stops early
    cfg.do_sample = False
    cfg.apply_chat_template = False
    t0 = time.perf_counter()
    out = pipe.generate([a.prompt], cfg)
    dt = time.perf_counter() - t0
    text = out.texts[0]
    pm = out.perf_metrics
    n = pm.get_num_generated_tokens()
    res = {"model_dir": str(folder), "device": a.device, "ir_bytes": ir_bytes, "text": text,
           "prompt_tokens": pm.get_num_input_tokens(), "completion_tokens": n, "seconds": dt,
           "decode_tokens_per_s": pm.get_throughput().mean, "first_token_ms": pm.get_ttft().mean}
    print(a.prompt + text)
    print(f"\n[{n} tokens, {res['decode_tokens_per_s']:.1f} tokens/s on {a.device}]", file=sys.stderr)
    p = Path(a.results)
    old = json.loads(p.read_text()) if p.exists() else {}
    old["validate"] = res
    p.write_text(json.dumps(old, indent=2) + "\n")
    return 0 if n > 0 else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("group-size")
    g.add_argument("--model", required=True)
    g.add_argument("--group-size", type=int, required=True)
    b = sub.add_parser("bench-inputs")
    b.add_argument("--out", required=True)
    b.add_argument("--tokens", type=int, default=128)
    r = sub.add_parser("run")
    r.add_argument("--model-dir", required=True)
    r.add_argument("--device", default="CPU")
    r.add_argument("--prompt", required=True)
    r.add_argument("--n-predict", type=int, default=64)
    r.add_argument("--results", required=True)
    a = p.parse_args(argv)
    return {"group-size": group_size, "bench-inputs": bench_inputs, "run": run}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
