"""Output contracts of `advisor claims` and `advisor compare` (pydantic; `advisor schema claims|compare`), kept
apart from the plan's own models in schemas.py."""

from __future__ import annotations

from typing import Literal

from .record import Field

from .schemas import BackendId, Candidate, ComputeUnit, Constraints, Elimination, Estimate, Strict


class Range(Strict):
    low: float
    high: float


class ClaimRow(Strict):
    """One row of the course chapter's table, checked on a device (`advisor claims`)."""
    framework: str = Field(description="as the chapter names it")
    backend: BackendId
    quant: str = Field(description="the backend's quant id the row is checked with")
    claim_memory: str = Field(description="the chapter's memory claim, verbatim")
    claim_speedup: str = Field(description="the chapter's speed-up claim, verbatim")
    use: str
    verdict: Literal["consistent", "contradicted", "not-applicable"]
    reason: str
    baseline: str | None = Field(default=None, description="what memory and speed are compared against")
    compute: ComputeUnit | None = None
    engine: str | None = None
    claimed_memory_reduction_pct: Range | None = None
    claimed_memory_gb: Range | None = Field(default=None, description="absolute claims (~4 GB), scaled to the model")
    claimed_speedup: Range | None = None
    predicted_memory_gb: Estimate | None = Field(default=None, description="weights, GB (10^9 bytes)")
    predicted_memory_reduction_pct: Estimate | None = Field(default=None, description="weights vs the baseline's")
    predicted_speedup: Estimate | None = Field(default=None, description="decode tokens/s vs the baseline's")
    memory_verdict: Literal["consistent", "contradicted"] | None = None
    speedup_verdict: Literal["consistent", "contradicted"] | None = None
    evidence: str | None = Field(default=None, description="what the speed figures rest on (engine, proxy, "
                                                             "measured-here)")


class ClaimsReport(Strict):
    device: str
    model: str
    model_name: str | None = None
    rows: list[ClaimRow]


class DeviceComparison(Strict):
    device: str
    device_name: str
    device_class: str
    best: Candidate | None = Field(description="the plan's first feasible candidate; null when none is")
    per_backend: dict[str, Candidate] = Field(default_factory=dict, description="best candidate of each backend")
    summary: str = ""
    eliminated: list[Elimination] = Field(default_factory=list)


class CompareReport(Strict):
    model: str
    model_name: str | None = None
    constraints: Constraints
    devices: list[DeviceComparison]
