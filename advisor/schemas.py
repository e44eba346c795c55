"""The records (advisor/record.py: pydantic-validated, read without pydantic) for every edge of the advisor: device
profiles, models, constraints, plans.

All models forbid unknown keys. Fields beyond the core contract (docs/user-guide.md#json-output) are optional, so minimal profiles validate.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal

from .record import BeforeValidator, ConfigDict, Field, Record, field_validator, model_validator



def registered_backend_ids() -> tuple[str, ...]:
    """The backend ids of the registry (knowledge/backends.yaml), read without parsing YAML (start-up time);
    `knowledge validate` checks this list against the parsed file."""
    from .paths import KNOWLEDGE_DIR

    text = (KNOWLEDGE_DIR / "backends.yaml").read_text(encoding="utf-8")
    ids = tuple(re.findall(r"(?m)^  - id: ([a-z0-9]+)\s*$", text))
    if not ids:  # laid out another way (any YAML indentation, flow style): parse it; a broken file is told later
        from .yamlio import read_data

        try:
            ids = tuple(i for b in read_data(KNOWLEDGE_DIR / "backends.yaml")["backends"]  # type: ignore[index]
                        if re.fullmatch(r"[a-z0-9]+", i := str(b["id"])))
        except Exception:  # loading the knowledge base says what is wrong with it, in one line
            ids = ()
    return ids or ("none-listed",)  # Literal[()] would be a traceback at import


BACKEND_IDS: tuple[str, ...] = registered_backend_ids()
if TYPE_CHECKING:
    BackendId = str
else:
    BackendId = Literal[BACKEND_IDS]
DeviceClass = Literal[
    "apple_silicon", "nvidia_gpu", "nvidia_jetson", "x86_cpu", "arm_sbc",
    "snapdragon", "intel_npu", "amd_gpu", "other",
]
OsId = Literal["linux", "macos", "windows", "android", "ios"]
ComputeUnit = Literal["cpu", "gpu", "npu"]

_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _no_bool(value: object) -> object:
    """`true` is not a number: pydantic would read it as 1 (a bandwidth of 1 GB/s, a hidden size of 1)."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    return value


Num = Annotated[float, BeforeValidator(_no_bool)]
Count = Annotated[int, BeforeValidator(_no_bool)]


def _real_bool(value: object) -> object:
    """Only true/false: the string "false" is not false (bool("false") is True)."""
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


Flag = Annotated[bool, BeforeValidator(_real_bool)]


class Strict(Record):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# ---------------------------------------------------------------- device profile
class Cpu(Strict):
    arch: Literal["arm64", "x86_64"]
    cores: Count = Field(ge=1, le=1024, description="physical cores (all clusters)")
    features: list[str] = Field(default_factory=list, description="lowercase ISA flags: avx2, neon, dotprod, ...")
    model: str | None = Field(default=None, description="marketing name of the CPU / SoC")
    freq_ghz: Num | None = Field(default=None, ge=0.01, le=10, description="max clock of the big cores")
    threads: Count | None = Field(default=None, ge=1, le=4096)

    @field_validator("features")
    @classmethod
    def _lower(cls, v: list[str]) -> list[str]:
        bad = [f for f in v if f != f.lower() or not f.strip()]
        if bad:
            raise ValueError(f"cpu.features must be lowercase strings, got {bad}")
        return v


class Memory(Strict):
    total_gb: Num = Field(ge=0.01, le=100_000)
    bandwidth_gbs: Num = Field(ge=0.01, le=100_000, description="peak bandwidth of the memory the weights live in")
    unified: Flag = False
    type: str | None = Field(default=None, description="e.g. LPDDR5X-8533")


class Accelerator(Strict):
    kind: Literal["gpu", "npu"]
    vendor: Literal["nvidia", "apple", "qualcomm", "intel", "amd", "arm", "rockchip", "other"]
    api: list[Literal["cuda", "metal", "vulkan", "opencl", "sycl", "directml", "qnn", "openvino", "coreml", "rocm",
                      "rknpu"]] = (
        Field(default_factory=list)
    )
    memory_gb: Num | None = Field(default=None, ge=0.01, le=100_000)
    bandwidth_gbs: Num | None = Field(default=None, ge=0.01, le=100_000)
    tflops_fp16: Num | None = Field(default=None, ge=0.001, le=100_000)
    tops_int8: Num | None = Field(default=None, ge=0.001, le=100_000)
    name: str | None = None


class Power(Strict):
    """Average device power while an LLM runs, per compute unit, with its sources (docs/energy.md)."""
    active_w: dict[ComputeUnit, Annotated[float, BeforeValidator(_no_bool), Field(ge=0.1, le=5000)]] = Field(
        default_factory=dict, description="average power under LLM load, per compute unit, W (no board runs an LLM "
                                          "on under 0.1 W: 1e-300 W would make every energy limit pass)")
    idle_w: Num | None = Field(default=None, gt=0, le=5000, description="idle power, W")
    battery_wh: Num | None = Field(default=None, gt=0, le=10_000, description="battery capacity; absent: no battery")
    sustained: Num | dict[ComputeUnit, Annotated[float, BeforeValidator(_no_bool), Field(gt=0, le=1)]] | None = Field(
        default=None, description="share of burst speed left after minutes of load (one number, or one per unit)")
    sources: list[Annotated[str, Field(pattern=r"\S")]] = Field(min_length=1, description="where every number "
                                                                                           "above comes from")
    notes: str | None = None

    @field_validator("sustained")
    @classmethod
    def _share(cls, v):
        if isinstance(v, (int, float)) and not 0 < v <= 1:
            raise ValueError("sustained is a share of burst speed: 0 < sustained <= 1")
        return v

    def sustained_share(self, unit: str) -> float | None:
        if isinstance(self.sustained, dict):
            return self.sustained.get(unit)  # type: ignore[call-overload]
        return self.sustained


class DeviceProfile(Strict):
    id: str
    name: str
    class_: DeviceClass = Field(alias="class")
    os: list[OsId] = Field(min_length=1)
    cpu: Cpu
    memory: Memory
    accelerators: list[Accelerator] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    notes: str | None = None
    power: Power | None = Field(default=None, description="sourced power figures (docs/energy.md)")

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("id")
    @classmethod
    def _kebab(cls, v: str) -> str:
        if not _KEBAB.match(v):
            raise ValueError(f"id {v!r} must be kebab-case (lowercase letters, digits and dashes)")
        return v

    def gpu(self) -> Accelerator | None:
        return next((a for a in self.accelerators if a.kind == "gpu"), None)

    def npu(self) -> Accelerator | None:
        return next((a for a in self.accelerators if a.kind == "npu"), None)


# ---------------------------------------------------------------- model
class ModelSpec(Strict):
    id: str
    name: str | None = None
    hf_repo: str | None = None
    architecture: str = Field(description="config.json model_type, e.g. llama, qwen2, gemma3")
    hidden_size: Count = Field(ge=1, le=2**20)
    intermediate_size: Count = Field(ge=1, le=2**22)
    num_hidden_layers: Count = Field(ge=1, le=4096)
    num_attention_heads: Count = Field(ge=1, le=2**16)
    num_key_value_heads: Count | None = Field(default=None, ge=1, le=2**16)
    head_dim: Count | None = Field(default=None, ge=1, le=2**16)
    vocab_size: Count = Field(ge=1, le=2**24)
    tie_word_embeddings: Flag = False
    max_position_embeddings: Count | None = Field(default=None, ge=1, le=2**34)
    num_experts: Count | None = Field(default=None, ge=1, le=2**16)
    num_experts_per_tok: Count | None = Field(default=None, ge=1, le=2**16)
    moe_intermediate_size: Count | None = Field(default=None, ge=1, le=2**22)
    params_b: Num | None = Field(default=None, gt=0, le=1_000_000, description="stated total parameters, billions")
    license: str | None = None
    source: str | None = None
    origin: Literal["catalogue", "local", "gguf", "hub"] = "catalogue"
    gguf_file_type: str | None = Field(default=None, description="quant type of a .gguf input")

    @model_validator(mode="after")
    def _heads(self) -> "ModelSpec":
        kv = self.num_key_value_heads or self.num_attention_heads
        if kv > self.num_attention_heads:
            raise ValueError("num_key_value_heads cannot exceed num_attention_heads")
        if self.head_dim is None and self.hidden_size < self.num_attention_heads:
            raise ValueError("hidden_size is smaller than num_attention_heads and no head_dim is given")
        if self.head_dim is None and self.hidden_size % self.num_attention_heads:
            raise ValueError(f"hidden_size {self.hidden_size} is not a multiple of num_attention_heads "
                             f"{self.num_attention_heads} and no head_dim is given")
        if self.num_attention_heads % kv:
            raise ValueError(f"num_attention_heads {self.num_attention_heads} is not a multiple of "
                             f"num_key_value_heads {kv}")
        if self.num_experts_per_tok and self.num_experts and self.num_experts_per_tok > self.num_experts:
            raise ValueError("num_experts_per_tok cannot exceed num_experts")
        return self

    @property
    def kv_heads(self) -> int:
        return self.num_key_value_heads or self.num_attention_heads

    @property
    def head_size(self) -> int:
        return self.head_dim or self.hidden_size // self.num_attention_heads

    @property
    def is_moe(self) -> bool:
        return bool(self.num_experts and self.num_experts > 1)


# ---------------------------------------------------------------- constraints
class Constraints(Strict):
    max_memory_gb: float | None = Field(default=None, gt=0, le=100_000)
    min_decode_tps: float | None = Field(default=None, ge=0, le=1_000_000)
    min_prefill_tps: float | None = Field(default=None, ge=0, le=10_000_000)
    max_quality_loss: float | None = Field(default=None, ge=0, le=10_000, description="perplexity increase, %")
    context: int = Field(default=4096, ge=1, le=10_000_000)
    prompt_tokens: int = Field(default=512, ge=1, le=10_000_000)
    gen_tokens: int = Field(default=128, ge=1, le=10_000_000)
    backend: list[BackendId] | None = None
    os: OsId | None = None
    priority: Literal["balanced", "speed", "quality", "size", "latency", "battery"] = "balanced"
    workload: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,40}$",
                                 description="preset that set prompt/gen tokens (knowledge/workloads.yaml)")
    max_ttft_s: float | None = Field(default=None, gt=0, le=1_000_000, description="time to first token, s")
    max_energy_j: float | None = Field(default=None, gt=0, le=1e9, description="energy per answer, J")


# ---------------------------------------------------------------- results
class Estimate(Strict):
    value: float
    low: float
    high: float
    basis: str | None = Field(default=None, description="what the figure rests on")
    evidence: Literal["measured-here", "engine", "proxy"] | None = Field(
        default=None, description="speed figures: a probe here moved it, public rows of this engine back it, or it "
                                  "is borrowed from another engine (a proxy)")
    rows: int | None = Field(default=None, ge=0, description="public measurements of this engine behind the figure")

    @model_validator(mode="after")
    def _ordered(self) -> "Estimate":
        if not (self.low <= self.value <= self.high):
            raise ValueError(f"interval must contain value: {self.low} <= {self.value} <= {self.high}")
        return self


class Prediction(Strict):
    backend: BackendId
    quant: str
    compute: ComputeUnit
    engine: str | None = Field(default=None, description="what actually runs: backend, unit and API")
    weights_gib: Estimate
    peak_memory_gib: Estimate
    decode_tokens_per_s: Estimate
    prefill_tokens_per_s: Estimate
    ppl_increase_pct: Estimate
    ttft_s: Estimate | None = Field(default=None, description="seconds to the first token for the prompt")
    answer_s: Estimate | None = Field(default=None, description="seconds for prompt + generation")
    power_w: Estimate | None = Field(default=None, description="average device power while answering, W")
    energy_j: Estimate | None = Field(default=None, description="energy of one answer, J")
    battery_pct_per_100_answers: Estimate | None = Field(default=None, description="null: the device has no battery")


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


class ProbeMeasurement(Measured):
    """Candidate.measured: what a probe of this candidate measured on this machine, on the probe model, beside the
    advisor's prediction for that model here (`advisor plan --probe`, the TUI's probe)."""

    ok: bool
    reason: str | None = None
    probe_model: str | None = None
    probe_id: int | None = None
    under_load: bool = False
    predicted_for_probe_model: dict[str, float] | None = None
    measured_over_predicted: dict[str, float] | None = None


# What a violation is: the device's usable memory, each user limit, energy unknown under a limit, a route ruled out.
ViolationKind = Literal["memory", "max_memory", "min_decode", "min_prefill", "max_quality_loss", "max_ttft",
                        "max_energy", "energy_unknown", "ruled_out"]


class Candidate(Strict):
    backend: BackendId
    quant: str
    compute: ComputeUnit
    engine: str | None = Field(default=None, description="what actually runs: backend, unit and API")
    feasible: bool
    violations: list[str] = Field(default_factory=list)
    violation_kinds: list[ViolationKind] = Field(default_factory=list, description="what each violation is, in "
                                                 "the same order (for programs: the wording may change)")
    weights_gib: Estimate
    peak_memory_gib: Estimate
    decode_tokens_per_s: Estimate
    prefill_tokens_per_s: Estimate
    ppl_increase_pct: Estimate
    ttft_s: Estimate | None = Field(default=None, description="seconds to the first token for the prompt")
    answer_s: Estimate | None = Field(default=None, description="seconds for prompt + generation")
    power_w: Estimate | None = Field(default=None, description="average device power while answering, W")
    energy_j: Estimate | None = Field(default=None, description="energy of one answer, J")
    battery_pct_per_100_answers: Estimate | None = Field(default=None, description="null: the device has no battery")
    score: float
    reasons: list[str] = Field(default_factory=list)
    measured: ProbeMeasurement | None = None
    script: str | None = None
    pareto: bool = False
    rule_path: list[str] = Field(default_factory=list)
    runs_here: bool | None = Field(default=None, description="can this toolchain's probe run on THIS machine "
                                   "(Linux x86-64, where `advisor probe` measures): the backend's runs_on_linux_x86 "
                                   "in knowledge/backends.yaml; says nothing about the target device")


class Elimination(Strict):
    backend: BackendId
    reason: str
    rule: str


class Plan(Strict):
    device: DeviceProfile
    model: ModelSpec
    constraints: Constraints
    candidates: list[Candidate]
    eliminated: list[Elimination] = Field(default_factory=list)
    decision_path: list[str] = Field(default_factory=list)
    suggestions: list[str] = Field(default_factory=list)
    summary: str = ""
