"""What a probe is asked to do and what it reports (pydantic, the worker <-> parent <-> store edge)."""

from __future__ import annotations

from pydantic import Field

from ..schemas import BackendId, Strict


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


class Measured(Strict):
    """Measured figures. The first five keys are the SPEC candidate keys; the rest add detail."""

    weights_gib: float | None = None
    peak_memory_gib: float | None = None
    decode_tokens_per_s: float | None = None
    prefill_tokens_per_s: float | None = None
    ppl_increase_pct: float | None = None
    kld: float | None = None
    top1_agreement: float | None = None
    perplexity: float | None = None
    perplexity_ref: float | None = None
    file_bytes: int | None = None
    convert_s: float | None = Field(default=None, description="quantization/conversion of this probe")
    base_convert_s: float | None = Field(default=None, description="one-off export of the FP reference (cached)")
    load_s: float | None = None
    decode_power_w: float | None = Field(default=None, description="package power during decode (RAPL), W")
    decode_energy_j_per_token: float | None = Field(default=None, description="package energy per decoded token, J")
    tensor_types: dict[str, int] | None = Field(default=None, description="real tensor types in the file")
    method: str | None = Field(default=None, description="the tool/API that produced the model")
    notes: list[str] = Field(default_factory=list)


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
