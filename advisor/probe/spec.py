"""What a probe is asked to do and what it reports (pydantic, the worker <-> parent <-> store edge)."""

from __future__ import annotations

from ..record import Field

from ..schemas import BackendId, Measured, Strict  # noqa: F401  (Measured: re-exported)


def probe_quants(backend: str) -> tuple[str, ...]:
    """The quantizations this backend's probe can produce here (canonical spelling, as in quant_formats.yaml):
    its registry entry's `probe.quants` (knowledge/backends.yaml); () for a backend without a probe."""
    from ..knowledge import load_knowledge

    b = load_knowledge().backends.get(backend)
    return tuple(q.upper() for q in b.probe.quants) if b is not None and b.probe is not None else ()


# Default set: `benchmarks/probe_cost.py` and the fastest useful `plan --probe`.
DEFAULT_SET: tuple[tuple[str, str], ...] = (("llamacpp", "Q4_K_M"), ("llamacpp", "Q8_0"), ("openvino", "INT4"),
                                            ("olive", "INT8"))


def canonical(backend: str, quant: str) -> str | None:
    q = quant.upper()
    return q if q in probe_quants(backend) else None


class ProbeRequest(Strict):
    backend: BackendId
    quant: str
    model: str = Field(default="builtin", description="builtin, tiny, or a local Hugging Face folder")
    threads: int = Field(default=2, ge=1, le=1024)
    prompt_tokens: int = Field(default=256, ge=8, le=4096, description="held-out tokens scored for quality/prefill")
    gen_tokens: int = Field(default=32, ge=1, le=1024, description="tokens generated to time decode")
    timeout_s: float = Field(default=600, gt=0)
    mem_cap_gib: float = Field(default=8.0, gt=0)


class ProbeResult(Strict):
    backend: BackendId
    quant: str
    model: str
    ok: bool
    reason: str | None = None
    measured: Measured = Field(default_factory=Measured)
    predicted: dict[str, float] | None = Field(default=None, description="the advisor's prediction for the probe "
                                               "model on this machine (--device auto), same keys")
    env: dict = Field(default_factory=dict)
    under_load: bool = Field(default=False, description="other processes took more than BUSY_SHARE of the CPUs "
                             "while the speeds were measured (env.load): the speeds are kept but not used to "
                             "recalibrate this machine")
    wall_s: float | None = None
    id: int | None = None
    created: str | None = None
