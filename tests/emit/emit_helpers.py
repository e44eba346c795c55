"""Helpers for the generated-script tests: plans covering all five backends, a tiny local Llama, a hostile path.

The tiny Llama (hidden 64, 2 layers, GQA 4/2, intermediate 128) has random weights and a Llama-2-style BPE
tokenizer trained here with `tokenizers` (~5 s): enough to run every toolchain end to end and count tokens.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from guards import HANG_S


SAMPLE = Path(__file__).resolve().parents[2] / "advisor" / "templates" / "_common" / "sample.txt"


def _corpus() -> list[str]:
    import argparse
    import collections
    import json as _json
    import pathlib
    import textwrap

    docs = [m.__doc__ or "" for m in (argparse, collections, _json, pathlib, textwrap, os)]
    return [line for d in docs + [SAMPLE.read_text()] for line in d.splitlines() if line.strip()]


def build_tiny_llama(dest: Path) -> Path:
    """Write a Hugging Face Llama folder (safetensors + Llama-style BPE tokenizer with byte fallback) to `dest`."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, LlamaTokenizerFast

    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    specials = ["<unk>", "<s>", "</s>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    # Llama-2 style (normalizer, no pre-tokenizer): llama.cpp's converter reads it as a SentencePiece-like vocab,
    # and openvino-tokenizers converts it (a Metaspace pre-tokenizer fails there with "BPETokenizer inputs").
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=specials + [f"<0x{i:02X}>" for i in range(256)],
                                  show_progress=False)
    tok.train_from_iterator(_corpus(), trainer)
    fast = LlamaTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                              add_bos_token=True, add_eos_token=False, legacy=False)
    fast.save_pretrained(dest)
    cfg = LlamaConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      intermediate_size=128, vocab_size=len(fast), max_position_embeddings=512,
                      bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)
    torch.manual_seed(0)
    model = LlamaForCausalLM(cfg).eval()
    model.save_pretrained(dest, safe_serialization=True)
    (dest / "generation_config.json").write_text(json.dumps({"bos_token_id": 1, "eos_token_id": 2}))
    return dest



HOSTILE = "my model $(touch PWNED) ; rm -rf x 'q' \"d\" `id`"
# one device per backend: llamacpp (Pi), olive + openvino (x86 laptop), mlx (M2), qnn (Galaxy S24)
DEVICES = {"llamacpp": "raspberry-pi-5-8gb", "olive": "x86-laptop-avx2", "openvino": "x86-laptop-avx2",
           "mlx": "apple-m2-16gb", "qnn": "galaxy-s24-ultra"}


def has(*modules: str) -> bool:
    """True when every module can be found (a missing parent package counts as missing)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in modules)
    except ModuleNotFoundError:
        return False


def make_plan_for(device: str, model: str = "llama-3.2-1b-instruct"):
    from advisor.cli.common import load_inputs
    from advisor.planner import make_plan
    from advisor.schemas import Constraints

    kb, cal, dev, spec = load_inputs(device, model)
    return make_plan(dev, spec, Constraints(), kb, cal)


def one_per_backend(plan, backend: str, quant: str | None = None):
    """The plan with only the first candidate of `backend` (of `quant` when given)."""
    cands = [c for c in plan.candidates if c.backend == backend and (quant is None or c.quant == quant)]
    assert cands, f"no {backend} {quant} candidate for {plan.device.id}"
    return plan.model_copy(update={"candidates": cands[:1]})


def script_env(extra: dict | None = None) -> dict:
    """Run generated scripts with this interpreter, its console scripts first on PATH, offline."""
    bindir = str(Path(sys.executable).parent)
    return {**os.environ, "PYTHON": sys.executable, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
            "HF_HUB_OFFLINE": "1", "OLIVE_DISABLE_TELEMETRY": "1", "CI": "true", "OMP_NUM_THREADS": "1",
            **(extra or {})}


def run_script(folder: Path, *args: str, cwd: Path, timeout: float = HANG_S, env: dict | None = None):
    """Run a generated run.sh; `timeout` only guards against a hang (a busy machine is slow, not wrong: 60 s
    limits failed under the load script)."""
    return subprocess.run(["bash", str(folder / "run.sh"), *args], cwd=cwd, env=script_env(env),
                          capture_output=True, text=True, timeout=timeout)


def results(folder: Path) -> dict:
    return json.loads((folder / "out" / "results.json").read_text())


def no_pwned(*dirs: Path) -> None:
    for d in dirs:
        hits = list(Path(d).rglob("PWNED"))
        assert not hits, f"a hostile path ran code: {hits}"

