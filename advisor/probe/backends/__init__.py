"""The probe backends: one module per backend id, each satisfying `ProbeBackend`; resolved by id, imported lazily.

A backend converts the probe model to one quantization (`convert`, may import torch) and loads the result into a
`Runner` (`load`, never imports torch) that the shared harness in advisor/probe/harness.py times and scores.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ..models import ProbeModel

# backend id -> the Python modules it needs at probe time (first missing one is named in the error)
REQUIRES: dict[str, tuple[str, ...]] = {
    "llamacpp": ("llama_cpp", "gguf", "torch", "transformers"),
    "olive": ("onnxruntime", "onnx", "optimum", "torch"),
    "openvino": ("openvino", "nncf", "onnx", "optimum", "torch"),
    "mlx": ("mlx", "mlx_lm"),
    "qnn": ("onnxruntime", "onnx", "optimum", "torch"),
}


@dataclass
class Converted:
    artifact: Path  # file or folder the runner loads
    convert_s: float
    method: str
    base_convert_s: float | None = None
    tensor_types: dict[str, int] | None = None
    notes: list[str] = field(default_factory=list)
    measures_speed: bool = True


class Runner(Protocol):
    def forward_all(self, ids: np.ndarray) -> np.ndarray:
        """Fresh state; logits [len(ids), vocab] for every position."""

    def begin(self, ids: np.ndarray) -> np.ndarray:
        """Fresh state with a KV cache; logits of the last position."""

    def step(self, token: int) -> np.ndarray:
        """One decode step on the cache; logits of the new position."""


class ProbeBackend(Protocol):
    def convert(self, pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted: ...

    def load(self, pm: ProbeModel, conv: Converted, threads: int) -> Runner: ...


def missing_module(backend: str) -> str | None:
    """The first module this backend needs that is not importable here, or None."""
    for mod in REQUIRES[backend]:
        try:
            if importlib.util.find_spec(mod) is None:
                return mod
        except (ImportError, ValueError):
            return mod
    return None


def get(backend: str) -> ProbeBackend:
    if backend not in REQUIRES:
        raise KeyError(backend)
    return importlib.import_module(f"{__name__}.{backend}")  # type: ignore[return-value]
