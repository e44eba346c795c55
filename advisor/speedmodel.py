"""The speed model (pure): decode and prefill time per token from a device's bandwidth and compute, with the
efficiencies fitted per engine (advisor/fit.py) applied here and at fit time alike.

Decode, per generated token:   t = bytes read / (bandwidth x eff_bw)        memory: weights + KV cache
                                   + (2 x active params + beta x attention FLOPs)
                                     / (compute x kappa)                       compute: weak CPUs, long contexts
                                   + tau x layers                              fixed per-layer cost (launches, syncs)
Prefill, per prompt token:     t = (2 x active params + alpha x attention FLOPs) / (compute x eff_compute)
                                   + (t0 + bytes read / (bandwidth x eff_pass))   fixed cost of a prefill call:
                                     / prompt tokens                              a launch, and one pass over the weights

An engine that streams the weights through its unit's own port (QNN and llama.cpp's Hexagon backend: the NPU's own
path to memory, not the CPU's) sees the soft minimum of the device's bandwidth and that port's, fitted per engine and
HTP generation.
eff_bw and eff_compute are exp(engine effect + quant-family effect on that unit); kappa, tau, beta and alpha are
fitted per compute unit (alpha with a further factor on a phone's CPU), t0 and eff_pass once for all units; tau takes a
further factor per GPU/NPU engine and per (engine, generation). beta weighs decode
attention against the weight matmuls: attention reads an F16 KV cache with float math, not the int8 dot products the
unit's peak counts, so a long context costs a CPU more than its FLOPs. Every function works on floats (math.exp) and on numpy arrays (numpy.exp) alike.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple

TAU_SCALE = 1e-4  # seconds: tau = exp(log_tau) x 0.1 ms per layer, so a fitted log_tau near 0 is a plausible prior
T0_SCALE = 0.02  # seconds: a prefill call's fixed cost = exp(log_t0) x 20 ms
BETA_SCALE = 30.0  # decode attention FLOPs weigh exp(log_beta) x 30 int8 MACs: float math on an F16 KV cache
UNITS = ("cpu", "gpu", "npu")
PORT_SCALE = 80.0  # GB/s: an engine's port = exp(log_port) x 80 GB/s, so a fitted log_port near 0 is a plausible prior


@dataclass(frozen=True)
class SpeedInput:
    """What the model needs to know about one (device, engine, model, quant, workload)."""

    engine: str
    unit: str  # cpu | gpu | npu: which pooled parameters apply
    family: str  # quantization family (float, q8, kquant, legacy, int4_group, ...)
    bandwidth_gbs: float
    compute_tops: float  # the unit's peak (int8 TOPS for CPUs/NPUs, FP16 TFLOPS for GPUs)
    compute_imputed: bool  # True when the device states no compute figure and it was taken from bandwidth
    decode_gb_per_token: float  # weights read per token (MoE: active) + KV cache read at the decode position
    active_params_b: float
    layers: int
    attn_gflop_per_token: float  # attention GFLOPs per prompt token at the prefill's average KV length
    attn_gflop_decode: float = 0.0  # attention GFLOPs per generated token at the decode position
    prompt_tokens: float = 512.0  # prompt length of the prefill
    vendor: str = ""  # who made the unit (apple, qualcomm, intel, amd, nvidia, arm; x86 for PC CPUs)
    attn_tops: float = 0.0  # the unit's float throughput for attention (CPUs: cores x GHz x FP16/FP32 lanes,
    #                         whatever int8 extensions add); 0: the same as compute_tops
    device: str = ""  # the measured device (group) this input runs on, when public rows name it: its fitted offset
    attn_on_cpu: bool = False  # decode attention runs on the CPU (attn_tops is then the CPU's float throughput)
    arch: str = ""  # the unit's architecture generation where known (unit_arch: Adreno 6xx / 7xx / 8xx "adreno6" ...,
    #                 Intel Xe / Xe2 "xe1" "xe2", Hexagon HTP v73 / v75 / v79 / v81 "htp73" ...)
    moe: bool = False  # a mixture-of-experts model (fewer parameters read per token than it holds)
    matrix: bool = False  # the GPU's stated peak is a matrix engine's (MATRIX_GPU: tensor cores, XMX, RDNA 4 WMMA)
    phone: bool = False  # the device is a phone (passively cooled: its CPU slows over a long prompt's prefill)


def cpu_tops(cores: float, ghz: float, macs_per_cycle: float) -> float:
    """Peak int8 tera-operations per second of `cores` cores."""
    return cores * ghz * macs_per_cycle * 2 / 1000.0


def decode_seconds(x_gb, bw, params_b, attn_gflop, tops, layers, log_eff, log_kappa, log_tau, log_beta=0.0,
                   attn_tops=None, exp=math.exp, log_kappa_attn=None, gamma=0.0):
    """`log_kappa_attn`: the compute coefficient of the unit attention runs on, when not the engine's (an NPU
    backend that leaves attention to the CPU). `gamma`: an engine whose attention costs time of its own at the
    memory's rate pays gamma x attention GFLOPs / bandwidth on top (speedfit.GAMMA_ENGINES; 0 for the others)."""
    attn_tops = tops if attn_tops is None else attn_tops
    log_kappa_attn = log_kappa if log_kappa_attn is None else log_kappa_attn
    return (x_gb / (bw * exp(log_eff))
            + 2.0 * params_b / tops / (1e3 * exp(log_kappa))
            + exp(log_beta) * BETA_SCALE * attn_gflop / attn_tops / (1e3 * exp(log_kappa_attn))
            + exp(log_tau) * TAU_SCALE * layers
            + gamma * attn_gflop / bw)


def port_bandwidth(bw, log_port, exp=math.exp):
    """The bandwidth an engine with its own port streams at: the soft minimum (harmonic sum) of the device's memory
    bandwidth and the port's exp(log_port) x PORT_SCALE GB/s."""
    return 1.0 / (1.0 / bw + 1.0 / (PORT_SCALE * exp(log_port)))


def port_owner(engine: str, like, owners) -> str | None:
    """The engine whose ports `engine` streams at: itself if it has them, else the first of its `like` engines that
    does (ONNX Runtime's QNN execution provider and ExecuTorch's QNN delegate run QNN's own HTP backend, so they
    stream as QNN does); None when neither has."""
    return next((e for e in (engine, *like) if e in owners), None)


class Port(NamedTuple):
    """The port an engine streams over: its log bandwidth (x PORT_SCALE), whether rows measured it on this unit's
    generation (else it is the mean of the owner's fitted ports), and the engine whose port it is."""

    log: float
    measured: bool
    owner: str


def engine_port(k: dict, x: "SpeedInput", like=()) -> Port | None:
    """The port `x`'s engine streams over on `x`'s unit generation: the one fitted there, else (a generation no row
    measured, or an unnamed one) the mean of the owner's fitted ports; None for an engine that streams at the
    device's bandwidth (k: one kind's fitted parameters)."""
    ports = k.get("engine_port", {})
    owner = port_owner(x.engine, like, {key.split("|")[0] for key in ports})
    if owner is None:
        return None
    if x.arch and vendor_key(owner, x.arch) in ports:
        return Port(ports[vendor_key(owner, x.arch)], True, owner)
    own = [v for key, v in ports.items() if key.split("|")[0] == owner]
    return Port(sum(own) / len(own), False, owner)


def engine_bandwidth(k: dict, x: "SpeedInput", like=()) -> float:
    """The bandwidth `x`'s engine streams its weights at: the device's, capped by the engine's fitted port if it has
    one (k: one kind's fitted parameters)."""
    port = engine_port(k, x, like)
    return x.bandwidth_gbs if port is None else port_bandwidth(x.bandwidth_gbs, port.log)


def prefill_seconds(params_b, attn_gflop, tops, prompt, log_eff, log_alpha, log_t0, exp=math.exp, log_moe=0.0,
                    pass_gb=0.0, bw=1.0, log_pass=0.0):
    """Seconds per prompt token, the fixed cost of one prefill call spread over the prompt: short prompts prefill at a
    lower rate. The fixed cost is a launch (t0) and one pass over the weights (`pass_gb`, what a decode step reads,
    at exp(log_pass) x the bandwidth `bw`): however few the prompt's tokens, every weight is read once, so a
    32-token prompt on a big model costs about a decode step more than its FLOPs say. `log_moe`: the extra cost of a mixture-of-experts model's active
    parameters (0 for a dense model): a batch of prompt tokens splits across the experts, each expert's matrix
    product runs on a few dozen tokens, far from the rate of one dense product on all of them."""
    return ((2.0 * params_b * exp(log_moe) + exp(log_alpha) * attn_gflop) / (tops * 1e3 * exp(log_eff))
            + (exp(log_t0) * T0_SCALE + pass_gb / (bw * exp(log_pass))) / prompt)


def fam_key(unit: str, family: str) -> str:
    return f"{unit}:{family}"


def vendor_key(engine: str, vendor: str) -> str:
    return f"{engine}|{vendor}"


def cpu_vendor(device_class: str) -> str:
    """The CPU maker class a device's CPU engine runs on, from the profile's class. Jetson CPUs are Arm's own
    Cortex designs (A78AE), like the boards', so they share the Arm cores' rows."""
    return {"apple_silicon": "apple", "snapdragon": "qualcomm", "nvidia_jetson": "arm", "arm_sbc": "arm"}.get(
        device_class, "x86")


@dataclass(frozen=True)
class EngineEffect:
    value: float
    evidence: str  # engine | proxy
    rows: int
    via: str  # what it rests on, in words


def engine_effect(p: dict, kind: str, engine: str, unit: str, like: list[str], vendor: str = "") -> EngineEffect:
    """The fitted log-efficiency of an engine, or a proxy's: the first `like` engine that was fitted, else the mean
    of the measured engines on the same unit. An engine measured only on other makers' hardware (llama.cpp Vulkan
    on a Mali GPU, its rows being AMD, Intel and NVIDIA) keeps its own efficiency but counts as a proxy: nothing
    measured it on this maker's silicon and drivers."""
    eff, rows = p[kind]["engine"], p[kind]["rows"]
    if engine in eff:
        n = rows.get(engine, 0)
        src, devs = p[kind].get("coverage", {}).get(engine, [0, 0])
        fitted = p[kind].get("vendor", {})
        makers = sorted(k.split("|", 1)[1] for k in fitted if k.startswith(engine + "|"))
        if vendor and makers and vendor not in makers:
            return EngineEffect(eff[engine], "proxy", 0, f"no {kind} rows of {engine} on {vendor} hardware: its "
                                f"{n} rows on {', '.join(makers)} hardware, borrowed")
        return EngineEffect(eff[engine], "engine", n, f"{n} public {kind} measurements of {engine} "
                            f"({src} sources, {devs} devices)")
    for other in like:
        if other in eff:
            return EngineEffect(eff[other], "proxy", 0, f"no {kind} rows of {engine}: borrowed {other} "
                                f"({rows.get(other, 0)} rows)")
    mean = p[kind]["unit_mean"].get(unit, 0.0)
    return EngineEffect(mean, "proxy", 0, f"no {kind} rows of {engine}: the average of measured {unit} engines")


def exp_imputed(k: dict, unit: str) -> float:
    """Devices that state no compute figure (phone NPUs, most Adreno GPUs) get bandwidth x the typical ratio x this
    fitted factor: what such devices turned out to deliver."""
    return math.exp(k.get("log_impute", {}).get(unit, 0.0))


def predict_log(p: dict, kind: str, x: SpeedInput, like: list[str]) -> tuple[float, EngineEffect]:
    """log tokens/s of `kind` ('decode' | 'prefill') for one input, and the engine effect it used."""
    k = p[kind]
    eff = engine_effect(p, kind, x.engine, x.unit, like, x.vendor)
    log_eff = (eff.value + k["family"].get(fam_key(x.unit, x.family), 0.0)
               + matrix_log(k, x)
               + k.get("vendor", {}).get(vendor_key(x.engine, x.vendor), 0.0)
               + arch_log(k, x))
    u = x.unit
    tops = x.compute_tops * (exp_imputed(k, u) if x.compute_imputed else 1.0)
    if kind == "decode":
        a = "cpu" if x.attn_on_cpu else u  # the unit attention runs on
        t = decode_seconds(x.decode_gb_per_token, engine_bandwidth(k, x, like), x.active_params_b, x.attn_gflop_decode,
                           tops, x.layers,
                           log_eff, k["log_kappa"][u],
                           k["log_tau"][u] + k.get("engine_tau", {}).get(x.engine, 0.0) + arch_log(k, x, "arch_tau"),
                           k.get("log_beta", {}).get(a, 0.0),
                           x.attn_tops if x.attn_tops > 0 and (x.attn_on_cpu or not x.compute_imputed) else tops,
                           log_kappa_attn=k["log_kappa"][a], gamma=attention_gamma(k, x))
    else:
        t = prefill_seconds(x.active_params_b, x.attn_gflop_per_token, tops, x.prompt_tokens, log_eff,
                            k["log_alpha"][u] + phone_log(k, x), k["log_t0"][u], log_moe=moe_log(k, x),
                            pass_gb=x.decode_gb_per_token, bw=x.bandwidth_gbs, log_pass=k["log_pass"][u])
    return -math.log(max(t, 1e-12)) + device_offset(k, x.device, u, x.engine), eff


def moe_log(k: dict, x: SpeedInput) -> float:
    """The fitted log extra prefill cost of a mixture-of-experts model's active parameters; 0 for a dense model."""
    return k.get("log_moe", {}).get(x.unit, 0.0) if x.moe else 0.0


def attention_gamma(k: dict, x: SpeedInput) -> float:
    """The fitted gamma of an engine whose decode attention costs time of its own at the memory's rate (llama.cpp's
    OpenCL backend on Adreno slows over a long context far more than its KV cache's bytes say); 0 for the others."""
    log_gamma = k.get("engine_gamma", {}).get(x.engine)
    return 0.0 if log_gamma is None else math.exp(log_gamma)


def attention_seconds(k: dict, x: SpeedInput, like=()) -> float:
    """What that attention costs a decode step: gamma x attention GFLOPs / the bandwidth the engine streams at."""
    return attention_gamma(k, x) * x.attn_gflop_decode / engine_bandwidth(k, x, like)


def arch_log(k: dict, x: SpeedInput, group: str = "arch") -> float:
    """The fitted log effect of the engine on its unit's architecture generation (Adreno, Intel Xe, Hexagon HTP;
    decode only): on its bandwidth share (`group` "arch") or on its per-layer cost ("arch_tau": OpenVINO on Meteor
    Lake's Xe-LPG pays more per layer than on Lunar Lake's Xe2); 0 for a unit without a named generation and for a
    generation no row measured."""
    return k.get(group, {}).get(vendor_key(x.engine, x.arch), 0.0) if x.arch else 0.0


def matrix_log(k: dict, x: SpeedInput) -> float:
    """The fitted log share of a matrix-engine GPU's stated peak that its engines reach beyond a vector GPU's (prefill
    only); 0 for every other unit and kind."""
    return k.get("log_matrix", {}).get(x.unit, 0.0) if x.matrix else 0.0


def phone_log(k: dict, x: SpeedInput) -> float:
    """The fitted log extra weight of prefill attention on a phone's unit (its CPU slows over a long prompt); 0 off
    a phone and on units where it is held at 0."""
    return k.get("log_alpha_phone", {}).get(x.unit, 0.0) if x.phone else 0.0


def device_key(device: str, unit: str) -> str:
    return f"{device}|{unit}"


def device_offset(k: dict, device: str, unit: str, engine: str = "") -> float:
    """The fitted log offset of one measured device's unit (what its rows showed beyond its stated figures), and of
    the engine on it; 0 for a device no public row measured."""
    if not device:
        return 0.0
    return (k.get("device", {}).get(device_key(device, unit), 0.0)
            + (k.get("device_engine", {}).get(device_key(device, engine), 0.0) if engine else 0.0))


# GPUs whose stated FP16 peak is a dedicated matrix engine's, faster than their vector units: NVIDIA tensor cores
# (Turing and later: RTX, A100, the Jetson Orin's Ampere, GB10), Intel XMX (Arc A/B cards, the Arc 140T/130T of Arrow
# Lake-H, the Xe2 Arc 140V/130V; the Meteor Lake "Arc Graphics" has none), AMD RDNA 4's WMMA (twice RDNA 3's FP16 rate
# per CU; RDNA 3/3.5 state one FP16 rate for vector and WMMA alike). The profiles' and devices' FP16 figures for these
# are those engines' peaks (the devices tables' sources).
MATRIX_GPU = re.compile(r"\bRTX\b|\bA100\b|\bH100\b|Tensor|Orin|\bGB10\b|Ampere|Hopper|Blackwell"
                        r"|Arc (?:Pro )?[AB]\d{2,3}|Arc 1[34]0[TV]|Xe2|RDNA 4|RX 9\d{3}|R9700")


def gpu_matrix(gpu_name: str) -> bool:
    """Whether a GPU's stated FP16 peak is a matrix engine's (MATRIX_GPU) rather than its vector units'."""
    return bool(MATRIX_GPU.search(gpu_name or ""))


def gpu_arch(gpu_name: str) -> str:
    """The architecture generation of a Qualcomm or Intel GPU from its name; '' for anything else.

    Adreno: 'Adreno 750' -> 'adreno7'; the X1-85 is a 7xx-generation design, the X2-90 an 8xx one.
    Intel: 'xe2' for Xe2 (Battlemage: Arc B580, Arc Pro B70; Lunar Lake's Arc 140V/130V), 'xe1' for the first Xe-HPG
    generation and its laptop derivatives (Alchemist: Arc A-series; Meteor Lake's "Arc Graphics", Xe-LPG; Arrow
    Lake-H's Arc 140T/130T, Xe-LPG+). Intel's briefing on Xe2, one architecture for Lunar Lake's iGPU and the
    Battlemage cards after the first Xe's LP / HPG variants: https://hothardware.com/reviews/intel-lunar-lake-deep-dive?page=4
    """
    name = gpu_name or ""
    m = re.search(r"Adreno\s+(?:(\d)\d\d|X(\d)-)", name)
    if m:
        return f"adreno{m.group(1) or int(m.group(2)) + 6}"
    if re.search(r"Xe2|Battlemage|\bArc (?:Pro )?B\d{2}|\bArc 1[34]0V", name):
        return "xe2"
    if re.search(r"Xe-[HL]PG|Alchemist|Meteor Lake|\bArc (?:Pro )?A\d{2}|\bArc 1[34]0T|\bArc Graphics", name):
        return "xe1"
    return ""


def npu_arch(npu_name: str) -> str:
    """The HTP generation of a Qualcomm Hexagon NPU from its name ('Hexagon (HTP v73) x2' -> 'htp73'); '' for anything
    else (a name without its HTP version says nothing)."""
    m = re.search(r"HTP\s*v(\d+)", npu_name or "", flags=re.I)
    return f"htp{m.group(1)}" if m else ""


def unit_arch(unit: str, name: str) -> str:
    """The architecture generation of the unit an engine runs on, from that unit's name: the Adreno generation for a
    GPU, the HTP generation for a Hexagon NPU, '' for CPUs and anything unnamed."""
    return gpu_arch(name) if unit == "gpu" else npu_arch(name) if unit == "npu" else ""
