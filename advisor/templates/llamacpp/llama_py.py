#!/usr/bin/env python3
"""llama.cpp through its Python bindings (llama-cpp-python), for machines without the llama.cpp binaries.

  llama_py.py quantize IN.gguf OUT.gguf TYPE [--threads N]       like llama-quantize
  llama_py.py validate MODEL.gguf --text FILE --results JSON     perplexity (like llama-perplexity) + speed
  llama_py.py run MODEL.gguf --prompt TEXT --results JSON        like llama-cli -no-cnv

Every argument is data: paths and prompts are never passed to a shell.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path


def _llama(path: str, ctx: int, threads: int, ngl: int, logits_all: bool = False):
    from llama_cpp import Llama

    return Llama(model_path=path, n_ctx=ctx, n_threads=threads, n_threads_batch=threads, n_gpu_layers=ngl,
                 logits_all=logits_all, verbose=False, seed=0)


def _merge(path: str | None, data: dict) -> None:
    if not path:
        return
    p = Path(path)
    old = json.loads(p.read_text()) if p.exists() else {}
    old.update(data)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(old, indent=2) + "\n")
    tmp.replace(p)


def quantize(a) -> int:
    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{a.type.upper()}", None)
    if ftype is None:
        print(f"unknown quantization type {a.type!r} for this llama-cpp-python", file=sys.stderr)
        return 2
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = a.threads
    t0 = time.perf_counter()
    rc = llama_cpp.llama_model_quantize(a.input.encode(), a.output.encode(), params)
    if rc != 0 or not Path(a.output).is_file():
        print(f"llama_model_quantize failed (returned {rc}); IQ types need an importance matrix", file=sys.stderr)
        return 1
    mib = Path(a.output).stat().st_size / 2**20
    print(f"quantized {a.type} in {time.perf_counter() - t0:.1f} s: {mib:.2f} MiB")
    return 0


def perplexity(path: str, text: str, a) -> tuple[float, int, object, list[int]]:
    """Perplexity over windows of a.ctx tokens, scoring the second half of each (as llama-perplexity does)."""
    import numpy as np

    llm = _llama(path, a.ctx, a.threads, a.ngl, logits_all=True)
    toks = llm.tokenize(text.encode(), add_bos=True)
    nll, count = 0.0, 0
    for start in range(0, max(len(toks) - 1, 1), a.ctx):
        chunk = toks[start:start + a.ctx]
        if len(chunk) < 8:
            break
        llm.reset()
        llm.eval(chunk)
        logits = np.asarray(llm.scores[:len(chunk)], dtype=np.float64)
        logp = logits - logits.max(1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(1, keepdims=True))
        for i in range(len(chunk) // 2, len(chunk) - 1):
            nll -= logp[i, chunk[i + 1]]
            count += 1
    return (math.exp(nll / count) if count else float("nan")), count, llm, toks


def validate(a) -> int:
    text = Path(a.text).read_text(encoding="utf-8")
    ppl, count, llm, toks = perplexity(a.model, text, a)
    res: dict = {"perplexity": ppl, "eval_tokens": count}
    if a.reference and Path(a.reference).resolve() != Path(a.model).resolve():
        ref, _, _, _ = perplexity(a.reference, text, a)
        res.update(reference_perplexity=ref, ppl_increase_pct=100.0 * (ppl / ref - 1.0))
    prompt = (toks * (a.prompt_tokens // max(len(toks), 1) + 1))[:a.prompt_tokens]
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(prompt)
    prefill = len(prompt) / (time.perf_counter() - t0)
    n, t1 = 0, None
    for _ in llm.generate(prompt[:16], temp=0.0, reset=True):
        n += 1
        if t1 is None:
            t1 = time.perf_counter()
        if n > a.gen_tokens:
            break
    decode = (n - 1) / (time.perf_counter() - t1) if n > 1 else float("nan")
    res.update(prefill_tokens_per_s=prefill, decode_tokens_per_s=decode, threads=a.threads, n_gpu_layers=a.ngl)
    print(json.dumps(res, indent=2))
    _merge(a.results, {"validate": res})
    return 0


def run(a) -> int:
    llm = _llama(a.model, a.ctx, a.threads, a.ngl)
    t0 = time.perf_counter()
    out = llm.create_completion(a.prompt, max_tokens=a.n_predict, temperature=0.0)
    dt = time.perf_counter() - t0
    text = out["choices"][0]["text"]
    usage = out["usage"]
    print(a.prompt + text)
    res = {"prompt": a.prompt, "text": text, "prompt_tokens": usage["prompt_tokens"],
           "completion_tokens": usage["completion_tokens"], "seconds": round(dt, 3), "ctx": a.ctx}
    print(f"\n[{usage['completion_tokens']} tokens in {dt:.2f} s]", file=sys.stderr)
    _merge(a.results, {"run": res})
    return 0 if usage["completion_tokens"] > 0 else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("quantize")
    q.add_argument("input")
    q.add_argument("output")
    q.add_argument("type")
    q.add_argument("--threads", type=int, default=4)
    for name in ("validate", "run"):
        s = sub.add_parser(name)
        s.add_argument("model")
        s.add_argument("--ctx", type=int, default=128)
        s.add_argument("--threads", type=int, default=4)
        s.add_argument("--ngl", type=int, default=0)
        s.add_argument("--results")
    v = sub.choices["validate"]
    v.add_argument("--text", required=True)
    v.add_argument("--reference", help="the F16 GGUF: also report the perplexity increase over it, in %%")
    v.add_argument("--prompt-tokens", type=int, default=64)
    v.add_argument("--gen-tokens", type=int, default=32)
    r = sub.choices["run"]
    r.add_argument("--prompt", required=True)
    r.add_argument("--n-predict", type=int, default=64)
    a = p.parse_args(argv)
    return {"quantize": quantize, "validate": validate, "run": run}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
