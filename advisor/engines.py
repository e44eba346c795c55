"""Engines (knowledge/engines.yaml): what actually runs a candidate — a backend on one compute unit through one API.

Speed is fitted and reported per engine. `select_engine()` is pure: which engine runs a (backend, unit) route on a
device, by the file's preference order.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from .record import Field

from . import paths
from .errors import KnowledgeError
from .schemas import ComputeUnit, DeviceProfile, Strict
from .yamlio import load


class Engine(Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    backend: str
    unit: ComputeUnit
    api: list[str] = Field(default_factory=list, description="the accelerator must offer one of these APIs")
    vendors: list[str] = Field(default_factory=list, description="accelerator vendors this engine runs on")
    compute: Literal["cpu", "gpu", "npu"] = Field(description="which compute figure bounds its prefill")
    like: list[str] = Field(default_factory=list, description="engines a proxy borrows from, in order")
    static_shapes: bool = Field(default=False, strict=True, description="compiled for a fixed context: prefill attends over all "
                                                          "of it, however short the prompt")
    attention: Literal["unit", "cpu"] = Field(default="unit", description="where decode attention runs: on the engine's "
                                              "unit, or on the CPU (ops the backend does not offload)")
    source: str


class EnginesFile(Strict):
    engines: list[Engine]


def load_engines_from(path: Path) -> dict[str, Engine]:
    f = load(EnginesFile, path)
    out: dict[str, Engine] = {}
    for e in f.engines:
        if e.id in out:
            raise KnowledgeError(f"{path}: duplicate engine id {e.id!r}")
        out[e.id] = e
    for e in out.values():
        for other in e.like:
            if other not in out:
                raise KnowledgeError(f"{path}: engine {e.id} borrows from unknown engine {other!r}")
    return out


@lru_cache(maxsize=1)
def load_engines() -> dict[str, Engine]:
    return load_engines_from(paths.KNOWLEDGE_DIR / "engines.yaml")


def select_engine(engines: dict[str, Engine], dev: DeviceProfile, backend: str, unit: str) -> Engine | None:
    """The first engine of this backend and unit that the device's accelerator can drive (file order)."""
    acc = None if unit == "cpu" else (dev.gpu() if unit == "gpu" else dev.npu())
    for e in engines.values():
        if e.backend != backend or e.unit != unit:
            continue
        if unit == "cpu":
            return e
        if acc is None:
            continue
        if e.vendors and acc.vendor not in e.vendors:
            continue
        if e.api and not set(e.api) & set(acc.api):
            continue
        return e
    return None


def engine_id(engines: dict[str, Engine], dev: DeviceProfile, backend: str, unit: str) -> str:
    """The engine id for a route; a route no engine describes gets `<backend>-<unit>` (fitted as a proxy)."""
    e = select_engine(engines, dev, backend, unit)
    return e.id if e else f"{backend}-{unit}"
