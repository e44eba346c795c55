"""The knowledge base: backends, quantization formats, the decision tree and the model catalogue.

Schemas are declared here beside their loader; `load_knowledge()` returns valid, cross-checked data or raises
one KnowledgeError naming file, key and fix.
"""

from __future__ import annotations

import re

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from .record import Field, model_validator

from . import paths
from .engines import Engine, load_engines_from
from .errors import KnowledgeError
from .schemas import BackendId, ComputeUnit, DeviceClass, ModelSpec, Num, OsId, Strict
from .registry import Backend, BackendsFile, ComputeOption
from .yamlio import load, validate, read_data


# ------------------------------------------------------------------ quant_formats.yaml
class GgmlType(Strict):
    bpw: float = Field(gt=0, le=32)
    source: str


class QuantFormat(Strict):
    backend: BackendId
    quant: str
    bits: Num = Field(gt=0, le=32, description="nominal weight bits (`true` is not 1 bit)")
    family: str = Field(description="calibration family: float, q8, kquant, legacy, iquant, mlx_affine, int4_group, ...")
    bpw: Num | None = Field(default=None, gt=0, le=40, description="bits per weight of the transformer body")
    file_bpw: float | None = Field(default=None, gt=0, le=40, description="published whole-file bpw on ref_model")
    ref_model: str | None = None
    embd_bpw: float | None = Field(default=None, gt=0, le=40)
    output_bpw: float | None = Field(default=None, gt=0, le=40)
    embd_type: str | None = None
    output_type: str | None = None
    group_size: int | None = Field(default=None, ge=1, le=2**20, strict=True)
    activations: str | None = Field(default=None, description="activation precision where it matters (QNN)")
    quality_proxy: str | None = Field(default=None, description="llama.cpp quant id whose quality prior applies")
    quality_uncertainty: float = Field(default=1.0, ge=1.0, le=10.0, description="widens the quality interval")
    source: str
    field_sources: dict[str, str] = Field(default_factory=dict, description="a source for one field, overriding `source`")

    @model_validator(mode="after")
    def _size_known(self) -> "QuantFormat":
        if self.bpw is None and self.file_bpw is None:
            raise ValueError(f"{self.backend}/{self.quant}: give bpw or file_bpw (+ ref_model)")
        if self.file_bpw is not None and self.ref_model is None:
            raise ValueError(f"{self.backend}/{self.quant}: file_bpw needs ref_model")
        return self


class QuantFile(Strict):
    ggml_types: dict[str, GgmlType]
    formats: list[QuantFormat]


# ------------------------------------------------------------------ decision_tree.yaml
class Condition(Strict):
    """All given fields must hold. Lists mean 'any of'."""

    device_class: list[DeviceClass] | None = None
    os: list[OsId] | None = None
    arch: list[Literal["arm64", "x86_64"]] | None = None
    accel_vendor: list[str] | None = None
    accel_api: list[str] | None = None
    npu_vendor: list[str] | None = None
    cpu_model_contains: list[str] | None = None


class Admit(Strict):
    backend: BackendId
    compute: ComputeUnit
    reason: str
    when: Condition | None = None
    unless_reason: str | None = Field(default=None, description="shown when `when` fails")


class Reject(Strict):
    backend: BackendId
    reason: str


class Branch(Strict):
    id: str
    question: str
    when: Condition | None = None
    reason: str
    admit: list[Admit]
    reject: list[Reject] = Field(default_factory=list)


class DecisionTree(Strict):
    title: str
    source: str
    branches: list[Branch] = Field(min_length=1)

    @model_validator(mode="after")
    def _fallback_last(self) -> "DecisionTree":
        if self.branches[-1].when is not None:
            raise ValueError("the last branch must have no `when` (it is the fallback)")
        return self


# ------------------------------------------------------------------ memory.yaml
class MemoryTier(Strict):
    up_to_gib: float = Field(gt=0, le=100_000, description="applies to devices with at most this much memory")
    fraction: float = Field(gt=0, le=1)
    source: str


class MemoryRule(Strict):
    fraction: float = Field(gt=0, le=1)
    reserve_gib: float = Field(ge=0, le=1000)
    source: str
    raise_with: str = Field(default="", description="the setting that raises this share, named in a violation")
    tiers: list[MemoryTier] = Field(default_factory=list, description="per memory size, smallest first")

    def share(self, capacity_gib: float) -> float:
        """The fraction for a device of this size: the first tier that covers it, else the class fraction."""
        return next((t.fraction for t in self.tiers if capacity_gib <= t.up_to_gib), self.fraction)

    def usable(self, capacity_gib: float) -> float:
        return max(capacity_gib * self.share(capacity_gib) - self.reserve_gib, 0.0)


class MemoryFile(Strict):
    classes: dict[str, MemoryRule]
    integrated_gpus: dict[str, MemoryRule] = Field(
        default_factory=dict, description="per GPU maker: the share of system RAM its driver lets an integrated GPU map")

    @model_validator(mode="after")
    def _default(self) -> "MemoryFile":
        if "default" not in self.classes:
            raise ValueError("classes needs a `default` rule")
        return self


# ------------------------------------------------------------------ cpu_isa.yaml
class IsaFeature(Strict):
    feature: str
    macs_per_cycle: float = Field(gt=0, le=100_000)
    source: str


class CpuIsa(Strict):
    features: list[IsaFeature]
    default: IsaFeature
    float_features: list[IsaFeature] = Field(default_factory=list)
    float_default: IsaFeature | None = None


# ------------------------------------------------------------------ models.yaml
class ModelsFile(Strict):
    models: list[ModelSpec]


# ------------------------------------------------------------------ the whole base
class Knowledge(Strict):
    backends: dict[str, Backend]
    ggml_types: dict[str, GgmlType]
    formats: dict[tuple[str, str], QuantFormat]
    tree: DecisionTree
    models: dict[str, ModelSpec]
    memory: dict[str, MemoryRule]
    igpu_memory: dict[str, MemoryRule] = Field(default_factory=dict, description="memory.yaml `integrated_gpus`")
    engines: dict[str, Engine] = Field(default_factory=dict)
    cpu_isa: CpuIsa | None = None
    energy: Any = Field(default=None, description="advisor.energy.EnergyKnowledge: power model and constants")
    workloads: dict[str, Any] = Field(default_factory=dict, description="--workload presets by id")

    def macs_per_cycle(self, features: list[str], float_math: bool = False) -> float:
        """Peak MACs per cycle per core for the best ISA feature the CPU lists (knowledge/cpu_isa.yaml): int8, or
        with `float_math` the float multiply-adds attention over an F16 KV cache runs on."""
        if self.cpu_isa is None:
            return 16.0
        have = set(features)
        table = self.cpu_isa.float_features if float_math else self.cpu_isa.features
        default = (self.cpu_isa.float_default if float_math else None) or self.cpu_isa.default
        return next((f.macs_per_cycle for f in table if f.feature in have), default.macs_per_cycle)

    def usable_gib(self, device_class: str, capacity_gib: float) -> float:
        return (self.memory.get(device_class) or self.memory["default"]).usable(capacity_gib)

    def format(self, backend: str, quant: str) -> QuantFormat | None:
        return self.formats.get((backend, quant.upper()))

    def compute_option(self, backend: str, unit: str, accel=None) -> ComputeOption | None:
        """The first of the backend's options for this unit that drives `accel` (vendor and API match);
        for the CPU, the CPU option."""
        for opt in self.backends[backend].compute:
            if opt.unit != unit:
                continue
            if unit == "cpu":
                return opt
            if accel is None or accel.kind != unit:
                continue
            if opt.vendors and accel.vendor not in opt.vendors:
                continue
            if opt.api and not set(opt.api) & set(accel.api):
                continue
            if opt.name_pattern and not re.search(opt.name_pattern, accel.name or "", flags=re.I):
                continue
            return opt
        return None



def _cross_check(kb: Knowledge) -> None:
    for b in kb.backends.values():
        for q in b.quants:
            if (b.id, q.upper()) not in kb.formats:
                raise KnowledgeError(f"knowledge/backends.yaml: {b.id} lists quant {q!r} missing from quant_formats.yaml")
        for opt in b.compute:
            for q in opt.quants or []:
                if q not in b.quants:
                    raise KnowledgeError(f"knowledge/backends.yaml: {b.id}/{opt.unit} quant {q!r} not in its quants")
    for (backend, q), fmt in kb.formats.items():
        if backend not in kb.backends:
            raise KnowledgeError(f"knowledge/quant_formats.yaml: unknown backend {backend!r}")
        if fmt.ref_model and fmt.ref_model not in kb.models:
            raise KnowledgeError(f"knowledge/quant_formats.yaml: {backend}/{q} ref_model {fmt.ref_model!r} not in models.yaml")
        for t in (fmt.embd_type, fmt.output_type):
            if t and t not in kb.ggml_types:
                raise KnowledgeError(f"knowledge/quant_formats.yaml: {backend}/{q} type {t!r} not in ggml_types")
        if fmt.quality_proxy and ("llamacpp", fmt.quality_proxy.upper()) not in kb.formats:
            raise KnowledgeError(f"knowledge/quant_formats.yaml: {backend}/{q} quality_proxy {fmt.quality_proxy!r} unknown")
    for e in kb.engines.values():
        if e.backend not in kb.backends:
            raise KnowledgeError(f"knowledge/engines.yaml: engine {e.id} runs unknown backend {e.backend!r}; use one "
                                 f"of {', '.join(kb.backends)}")
        if e.backend in kb.backends:
            if not any(o.unit == e.unit for o in kb.backends[e.backend].compute):
                raise KnowledgeError(f"knowledge/engines.yaml: {e.id} runs {e.backend} on the {e.unit}, which "
                                     f"backends.yaml does not offer")
    for br in kb.tree.branches:
        for a in br.admit:
            unit_ok = any(o.unit == a.compute for o in kb.backends[a.backend].compute)
            if not unit_ok:
                raise KnowledgeError(
                    f"knowledge/decision_tree.yaml: branch {br.id} admits {a.backend}/{a.compute}, "
                    f"which backends.yaml does not offer"
                )


def registry_problems(kb: Knowledge) -> list[str]:
    """What `knowledge validate` checks beyond the schema: every backend's probe module, template folder, template
    files and context function exist, and the ids advisor/schemas.py reads are the registry's."""
    import importlib
    import importlib.util

    from .schemas import BACKEND_IDS

    out = []
    if tuple(kb.backends) != BACKEND_IDS:
        out.append(f"knowledge/backends.yaml: ids {list(kb.backends)} differ from the ones advisor/schemas.py read "
                   f"{list(BACKEND_IDS)}; write each entry as `  - id: <id>` on its own line")
    tdir = paths.PACKAGE_DIR / "templates"
    for b in kb.backends.values():
        where = f"knowledge/backends.yaml: {b.id}"
        if b.probe is not None and importlib.util.find_spec(b.probe.module) is None:
            out.append(f"{where}: probe module {b.probe.module} does not exist; add "
                       f"{b.probe.module.replace('.', '/')}.py")
        for name in ["README.md.j2", *(f.src for f in b.emit.files)]:
            if not (tdir / b.emit.templates / name).is_file():
                out.append(f"{where}: template advisor/templates/{b.emit.templates}/{name} does not exist")
        if b.emit.context:
            mod, func = b.emit.context.split(":")
            try:
                ok = callable(getattr(importlib.import_module(mod), func, None))
            except ImportError:
                ok = False
            if not ok:
                out.append(f"{where}: emit context {b.emit.context} is not a function")
        if b.probe is not None:
            for q in b.probe.quants:
                if (b.id, q.upper()) not in kb.formats:
                    out.append(f"{where}: probe quant {q!r} missing from quant_formats.yaml")
    return out


def load_knowledge_from(directory: Path) -> Knowledge:
    bfile = load(BackendsFile, directory / "backends.yaml")
    qfile = load(QuantFile, directory / "quant_formats.yaml")
    tree = load(DecisionTree, directory / "decision_tree.yaml")
    mfile = load(ModelsFile, directory / "models.yaml")
    memfile = load(MemoryFile, directory / "memory.yaml")
    backends = {b.id: b for b in bfile.backends}
    if len(backends) < len(bfile.backends):
        dup = next(b.id for i, b in enumerate(bfile.backends) if b.id in {o.id for o in bfile.backends[:i]})
        raise KnowledgeError(f"{directory / 'backends.yaml'}: duplicate backend id {dup!r}; keep one entry")
    formats: dict[tuple[str, str], QuantFormat] = {}
    for f in qfile.formats:
        key = (f.backend, f.quant.upper())
        if key in formats:
            raise KnowledgeError(f"{directory / 'quant_formats.yaml'}: duplicate format {f.backend}/{f.quant}")
        formats[key] = f
    models: dict[str, ModelSpec] = {}
    for m in mfile.models:
        if m.id in models:
            raise KnowledgeError(f"{directory / 'models.yaml'}: duplicate model id {m.id!r}")
        models[m.id] = m
    kb = Knowledge(backends=backends, ggml_types=qfile.ggml_types, formats=formats, tree=tree, models=models,
                   memory=memfile.classes, igpu_memory=memfile.integrated_gpus,
                   engines=load_engines_from(directory / "engines.yaml"), cpu_isa=load(CpuIsa, directory / "cpu_isa.yaml"), **_energy_parts(directory))
    _cross_check(kb)
    return kb


def _energy_parts(directory: Path) -> dict:
    """Workload presets and the energy model, where the knowledge folder has them (a trimmed test folder may not)."""
    from .energy import EnergyKnowledge
    from .energy_data import EnergyFile, WorkloadsFile, fit_power_model, load_power_rows

    out: dict = {}
    if (directory / "workloads.yaml").is_file():
        out["workloads"] = {w.id: w for w in load(WorkloadsFile, directory / "workloads.yaml").workloads}
    csv_path = directory / "data" / "energy_measurements.csv"
    if (directory / "energy.yaml").is_file() and csv_path.is_file():
        consts = load(EnergyFile, directory / "energy.yaml")
        rows = load_power_rows(csv_path)
        out["energy"] = EnergyKnowledge(consts=consts, model=fit_power_model(rows), rows=tuple(rows))
    return out


@lru_cache(maxsize=1)
def load_knowledge() -> Knowledge:
    """The shipped knowledge base, from its snapshot when nothing changed since it was built (snapshot.py)."""
    from .snapshot import cached

    return cached(lambda: load_knowledge_from(paths.KNOWLEDGE_DIR), paths.KNOWLEDGE_DIR)


__all__ = ["Knowledge", "load_knowledge", "load_knowledge_from", "read_data", "validate"]
