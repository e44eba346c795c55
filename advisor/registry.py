"""The backend registry: one validated entry per toolchain in knowledge/backends.yaml (compute options, runtime
overheads, probe, generated scripts). Everything that needs to know what a backend is reads these models."""

from __future__ import annotations

from typing import Annotated, Literal

from .record import Field

from .schemas import BackendId, ComputeUnit, OsId, Strict


class ComputeOption(Strict):
    unit: ComputeUnit
    api: list[str] = Field(default_factory=list, description="the device accelerator must offer one of these APIs")
    vendors: list[str] = Field(default_factory=list, description="accelerator vendors this path supports")
    quants: list[str] | None = Field(default=None, description="quant ids usable on this unit (None: all)")
    name_pattern: str | None = Field(default=None, description="regex the accelerator's name must match: one "
                                     "chip family whose kernels differ from its siblings' (RKLLM on RK3588 vs RK3576)")
    kv_cache_bytes: float = Field(default=2.0, gt=0, le=8, description="bytes per KV-cache element on this unit")
    note: str | None = None
    source: str | None = None


class RuntimeOverhead(Strict):
    """Memory a runtime holds beyond weights and KV cache: a fixed part plus buffers sized by one micro-batch."""

    base_gib: float = Field(ge=0, le=100, description="runtime, allocator arenas, kernels")
    ubatch: int = Field(ge=1, le=65536, description="tokens per micro-batch the compute buffer is sized for")
    source: str
    field_sources: dict[str, str] = Field(default_factory=dict, description="a source for one field, overriding `source`")

    def gib(self, vocab: int, hidden: int) -> tuple[float, str]:
        """Compute buffer: ubatch rows of logits and hidden state (ubatch x (vocab + hidden) x 4 B); output
        buffer: one row of logits (vocab x 4 B)."""
        buffers = (self.ubatch * (vocab + hidden) + vocab) * 4 / 2**30
        return self.base_gib + buffers, (f"{self.base_gib:g} GiB base + {buffers:.2f} GiB buffers "
                                         f"({self.ubatch} x (vocab + hidden) + vocab floats)")


PINNED = r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?==[A-Za-z0-9][A-Za-z0-9.+!_-]*$"


class ProbeSpec(Strict):
    """How `advisor probe` runs this backend here: a module under advisor/probe/backends, what it imports."""

    module: str = Field(pattern=r"^advisor\.probe\.backends\.[a-z0-9_]+$", description="satisfies ProbeBackend")
    requires: list[str] = Field(min_length=1, description="Python modules it needs (the first missing one is named)")
    dists: list[str] = Field(default_factory=list, description="distributions whose versions a probe records")
    quants: list[str] = Field(min_length=1, description="quant ids its probe can make (canonical upper case)")
    venv: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$", description="runs its worker from an "
                             "environment of its own (scripts/setup.sh builds .venv-<venv>) instead of the project's")
    requirements: list[Annotated[str, Field(pattern=PINNED)]] = Field(
        default_factory=list, description="pinned packages of that environment (name==version: setup.sh hands "
                                          "them to pip, so never an option)")


class EmitFile(Strict):
    src: str = Field(description="file in the template folder; *.j2 is rendered, anything else copied")
    dst: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    executable: bool = False


class EmitSpec(Strict):
    """The script folder `plan --emit-scripts` writes for a candidate of this backend."""

    templates: str = Field(pattern=r"^[a-z0-9_-]+$", description="folder under advisor/templates (README.md.j2 "
                                                                  "plus `files`)")
    files: list[EmitFile] = Field(min_length=1)
    context: str | None = Field(default=None, pattern=r"^advisor\.emit\.[a-z_.]+:[a-z_]+$",
                                description="module:function giving the backend's template values; None: the "
                                            "templates read the candidate itself")
    gen_options: bool = Field(default=True, description="its runner takes sampling options")
    local_report: bool = Field(default=True, description="its run.sh ends with report.py, which checks the "
                                                         "predictions against what the run measured here; False: "
                                                         "the measurements come from elsewhere (AI Hub's jobs)")


class Backend(Strict):
    id: BackendId
    name: str
    os: list[OsId]
    arch: list[Literal["arm64", "x86_64"]]
    compute: list[ComputeOption]
    architectures: list[str]
    quants: list[str]
    python_module: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
    runtime_overhead: RuntimeOverhead
    runs_on_linux_x86: bool = Field(description="can its probe run on this project's Linux x86-64 machines")
    pip_extra: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]*$", description="pyproject extra that installs its probe here")
    tied_embedding_type: Literal["embedding", "output"] = Field(
        default="embedding", description="a tied embedding/output matrix is stored once with this one's type")
    probe: ProbeSpec | None = Field(default=None, description="None: no probe on this machine")
    emit: EmitSpec
    tools: list[str] = Field(default_factory=list)
    docs: str
    sources: list[str] = Field(min_length=1)
    notes: str | None = None


class BackendsFile(Strict):
    backends: list[Backend] = Field(min_length=1)
