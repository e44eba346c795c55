"""The probe backends: one module per backend id, each satisfying `ProbeBackend`; resolved through the backend
registry (knowledge/backends.yaml `probe:`), imported lazily. A backend whose entry names a `venv` runs its worker
from that environment of its own (scripts/setup.sh builds it) instead of the project's.

A backend converts the probe model to one quantization (`convert`, may import torch) and loads the result into a
`Runner` (`load`, never imports torch) that the shared harness in advisor/probe/harness.py times and scores.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only in annotations: `plan` imports this module and must not pay for numpy
    import numpy as np

from ..models import ProbeModel

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


def _spec(backend: str):
    from ...knowledge import load_knowledge

    b = load_knowledge().backends.get(backend)
    if b is None or b.probe is None:
        raise KeyError(backend)
    return b.probe


def probed_backends() -> tuple[str, ...]:
    """Registered backends that have a probe on this machine."""
    from ...knowledge import load_knowledge

    return tuple(b.id for b in load_knowledge().backends.values() if b.probe is not None)


def venv_dir(name: str) -> Path:
    """Where a backend's own environment lives: .venv-<name> beside the project's .venv (ADVISOR_VENVS_DIR
    overrides the folder)."""
    from ... import paths

    return Path(os.environ.get("ADVISOR_VENVS_DIR") or paths.ROOT) / f".venv-{name}"


def worker_python(backend: str) -> str:
    """The interpreter that runs this backend's probe worker."""
    spec = _spec(backend)
    return str(venv_dir(spec.venv) / "bin" / "python") if spec.venv else sys.executable


def install_hint(backend: str) -> str:
    spec = _spec(backend)
    if spec.venv:
        return f"run scripts/setup.sh all (it builds {venv_dir(spec.venv)})"
    return f"pip install 'advisor[{backend}]' -c requirements/constraints.txt"


def missing_module(backend: str) -> str | None:
    """The first module this backend needs that is not importable where its worker runs, or None."""
    spec = _spec(backend)
    if spec.venv:
        py = worker_python(backend)
        if not Path(py).is_file():
            return spec.requires[0]
        code = ("import importlib.util,sys\nfor m in sys.argv[1:]:\n    if importlib.util.find_spec(m) is None:\n"
                "        print(m); break")
        try:
            out = subprocess.run([py, "-c", code, *spec.requires], capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return spec.requires[0]
        return (out.stdout.strip() or None) if out.returncode == 0 else spec.requires[0]
    for mod in spec.requires:
        try:
            if importlib.util.find_spec(mod) is None:
                return mod
        except (ImportError, ValueError):
            return mod
    return None


def get(backend: str) -> ProbeBackend:
    return importlib.import_module(_spec(backend).module)  # type: ignore[return-value]
