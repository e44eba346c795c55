"""Apple MLX: `mlx_lm.convert` (group-wise affine 2-8 bit, group 64; bf16 unquantized) on mlx[cpu]. On Linux the
CPU build runs, so file size and quality are meaningful; Apple-silicon (Metal) speed is not measured here."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel
from . import Converted

GROUP = 64
BITS = {"8BIT": 8, "6BIT": 6, "4BIT": 4, "3BIT": 3, "2BIT": 2}


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    try:
        from mlx_lm import convert as mlx_convert
    except (ImportError, OSError) as exc:  # `pip install mlx` without [cpu] has no libmlx.so on Linux
        raise ProbeFailed(f"mlx unavailable here ({exc.__class__.__name__}: {exc}); install 'mlx[cpu]'") from None
    dst = out / "mlx"
    t = time.perf_counter()
    if quant == "BF16":
        mlx_convert(hf_path=str(pm.hf_dir), mlx_path=str(dst), dtype="bfloat16")
    elif quant in BITS:
        mlx_convert(hf_path=str(pm.hf_dir), mlx_path=str(dst), quantize=True, q_bits=BITS[quant], q_group_size=GROUP)
    else:
        raise ProbeFailed(f"mlx probe has no {quant}; choose one of BF16, {', '.join(BITS)}")
    return Converted(artifact=dst, convert_s=time.perf_counter() - t,
                     method=f"mlx_lm.convert (affine, group {GROUP})" if quant in BITS else "mlx_lm.convert (bf16)",
                     notes=["measured with mlx[cpu] on Linux: size and quality carry over to Apple silicon, "
                            "speed does not"])


class _Runner:
    def __init__(self, path: Path):
        from mlx_lm import load

        self.model, _ = load(str(path))[:2]
        self.cache: list | None = None

    def _run(self, ids, cache=None) -> np.ndarray:
        import mlx.core as mx

        out = self.model(mx.array(np.asarray(ids, dtype=np.int32))[None], cache=cache)
        return np.array(out[0].astype(mx.float32))

    def forward_all(self, ids: np.ndarray) -> np.ndarray:
        return self._run(ids)

    def begin(self, ids: np.ndarray) -> np.ndarray:
        from mlx_lm.models.cache import make_prompt_cache

        self.cache = make_prompt_cache(self.model)
        return self._run(ids, self.cache)[-1]

    def step(self, token: int) -> np.ndarray:
        return self._run([token], self.cache)[-1]


def load(pm: ProbeModel, conv: Converted, threads: int) -> _Runner:
    return _Runner(conv.artifact)
