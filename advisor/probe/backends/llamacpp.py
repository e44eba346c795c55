"""llama.cpp: HF -> GGUF F16 with the cached llama.cpp converter (run with its bundled gguf-py), then
`llama_cpp.llama_model_quantize`; real tensor types read back with gguf.GGUFReader (K-quants silently fall back)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ... import paths
from ...errors import ProbeFailed
from ..models import ProbeModel, cached_dir
from . import Converted


def converter_dir() -> Path:
    """$ADVISOR_LLAMA_CONVERTER, else the user cache, else where scripts/setup.sh unpacks it (XDG cache)."""
    xdg = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "advisor" / "llama.cpp-converter"
    env = os.environ.get("ADVISOR_LLAMA_CONVERTER")
    places = [Path(env)] if env else [paths.user_cache_dir() / "llama.cpp-converter", xdg]
    for d in places:
        if (d / "convert_hf_to_gguf.py").is_file():
            return d
    raise ProbeFailed(f"llama.cpp converter not found in {places[-1]}; run scripts/setup.sh all (it unpacks it there)")


def _f16(pm: ProbeModel, tmp: Path, threads: int) -> None:
    d = converter_dir()
    env = {**os.environ, "PYTHONPATH": str(d / "gguf-py"), "OMP_NUM_THREADS": str(threads)}
    p = subprocess.run([sys.executable, str(d / "convert_hf_to_gguf.py"), str(pm.hf_dir), "--outtype", "f16",
                        "--outfile", str(tmp / "model-f16.gguf")], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProbeFailed(f"convert_hf_to_gguf.py failed: {last}")


def tensor_types(path: Path) -> dict[str, int]:
    from gguf import GGUFReader

    return dict(Counter(t.tensor_type.name for t in GGUFReader(str(path)).tensors))


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    import llama_cpp

    base, base_s = cached_dir(pm, "gguf-f16", lambda tmp: _f16(pm, tmp, threads))
    src = base / "model-f16.gguf"
    dst = out / f"model-{quant.lower()}.gguf"
    t = time.perf_counter()
    if quant == "F16":
        shutil.copyfile(src, dst)
    else:
        ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{quant}", None)
        if ftype is None:
            raise ProbeFailed(f"llama-cpp-python {llama_cpp.__version__} has no ftype for {quant}")
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype, params.nthread = ftype, threads
        rc = llama_cpp.llama_model_quantize(str(src).encode(), str(dst).encode(), params)
        if rc != 0:
            raise ProbeFailed(f"llama_model_quantize returned {rc} for {quant} (IQ types need an importance matrix)")
    secs = time.perf_counter() - t
    types = tensor_types(dst)
    notes = []
    wanted = quant.split("_")[0].lower()
    if quant != "F16" and any(not k.lower().startswith(wanted) and k not in {"F32"} for k in types):
        notes.append("mixed tensor types (K-quant fallback where rows are not a multiple of 256, or the "
                     f"quant's own mix): {types}")
    return Converted(artifact=dst, convert_s=secs, method="convert_hf_to_gguf.py + llama_model_quantize",
                     base_convert_s=base_s, tensor_types=types, notes=notes)


class _Runner:
    def __init__(self, path: Path, threads: int, n_ctx: int):
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(path), n_ctx=n_ctx, n_batch=512, n_ubatch=512, n_threads=threads,
                         n_threads_batch=threads, logits_all=True, verbose=False, seed=0)

    def forward_all(self, ids: np.ndarray) -> np.ndarray:
        self.llm.reset()
        self.llm.eval([int(i) for i in ids])
        return np.array(self.llm.scores[: len(ids)], dtype=np.float32)

    def begin(self, ids: np.ndarray) -> np.ndarray:
        self.llm.reset()
        self.llm.eval([int(i) for i in ids])
        return np.array(self.llm.scores[len(ids) - 1], dtype=np.float32)

    def step(self, token: int) -> np.ndarray:
        self.llm.eval([token])
        return np.array(self.llm.scores[self.llm.n_tokens - 1], dtype=np.float32)


def load(pm: ProbeModel, conv: Converted, threads: int, n_ctx: int = 512) -> _Runner:
    return _Runner(conv.artifact, threads, n_ctx)
