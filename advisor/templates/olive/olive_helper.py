#!/usr/bin/env python3
"""Olive workflow helper.

  olive_helper.py prepare --config olive_config.json --model DIR --out DIR --write RESOLVED.json
  olive_helper.py run --model-dir DIR [--ep cpu|cuda|dml|qnn|openvino] --prompt TEXT --results JSON

`prepare` fills the model path and output folder into a copy of the config (data, never shell text).
`run` finds the ONNX Runtime GenAI model Olive wrote (genai_config.json), generates, and times it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def prepare(a) -> int:
    cfg = json.loads(Path(a.config).read_text(encoding="utf-8"))
    cfg["input_model"]["model_path"] = str(Path(a.model).resolve())
    cfg["output_dir"] = str(Path(a.out).resolve())
    cfg.setdefault("cache_dir", str(Path(a.out).resolve().parent / "olive-cache"))
    Path(a.write).write_text(json.dumps(cfg, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(cfg, indent=2))
    return 0


def find_model(root: Path) -> Path:
    hits = sorted(root.rglob("genai_config.json"), key=lambda p: len(p.parts))
    if not hits:
        raise SystemExit(f"no genai_config.json under {root}: Olive produced no ONNX Runtime GenAI model "
                         "(see logs/olive.log; Olive can exit 0 without output)")
    return hits[0].parent


def run(a) -> int:
    import onnxruntime_genai as og

    folder = find_model(Path(a.model_dir))
    onnx_bytes = sum(p.stat().st_size for p in folder.iterdir() if p.suffix in (".onnx", ".data") or
                     p.name.endswith(".onnx.data"))
    cfg = og.Config(str(folder))
    if a.ep != "cpu":
        cfg.clear_providers()
        cfg.append_provider({"cuda": "cuda", "dml": "dml", "qnn": "QNN", "openvino": "OpenVINO"}[a.ep])
    model = og.Model(cfg)
    tok = og.Tokenizer(model)
    ids = tok.encode(a.prompt)
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(ids) + a.n_predict, do_sample=False)
    gen = og.Generator(model, params)
    t0 = time.perf_counter()
    gen.append_tokens(ids)
    t_first, out = None, []
    while not gen.is_done() and len(out) < a.n_predict:
        gen.generate_next_token()
        out.append(int(gen.get_next_tokens()[0]))
        if t_first is None:
            t_first = time.perf_counter()
    t_end = time.perf_counter()
    text = tok.decode(out)
    print(a.prompt + text)
    decode = (len(out) - 1) / (t_end - t_first) if len(out) > 1 else float("nan")
    res = {"model_dir": str(folder), "onnx_bytes": onnx_bytes, "prompt_tokens": len(ids), "completion_tokens": len(out),
           "text": text, "decode_tokens_per_s": decode, "first_token_s": (t_first or t_end) - t0, "ep": a.ep}
    print(f"\n[{len(out)} tokens, {decode:.1f} tokens/s]", file=sys.stderr)
    p = Path(a.results)
    old = json.loads(p.read_text()) if p.exists() else {}
    old["validate"] = res
    p.write_text(json.dumps(old, indent=2) + "\n")
    return 0 if out else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("prepare")
    for name in ("--config", "--model", "--out", "--write"):
        s.add_argument(name, required=True)
    r = sub.add_parser("run")
    r.add_argument("--model-dir", required=True)
    r.add_argument("--ep", default="cpu", choices=["cpu", "cuda", "dml", "qnn", "openvino"])
    r.add_argument("--prompt", required=True)
    r.add_argument("--n-predict", type=int, default=64)
    r.add_argument("--results", required=True)
    a = p.parse_args(argv)
    return prepare(a) if a.cmd == "prepare" else run(a)


if __name__ == "__main__":
    sys.exit(main())
