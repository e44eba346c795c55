"""Predictions for one (device, model, backend, compute, quant) — pure functions, no I/O.

Physics first: weights from bits per weight and the architecture; peak memory = weights + KV cache + runtime
buffers; decode bounded by memory bandwidth / bytes read per token; prefill by compute. The achieved fraction of
those bounds, and the intervals, come from a fitted `Calibration` (see advisor/calibration.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from .architecture import ParamCounts, count_params, kv_bytes_per_token
from .calibration import Calibration
from .energy import answer_estimates
from .engines import select_engine
from .knowledge import Knowledge, QuantFormat
from .speedmodel import SpeedInput, cpu_tops, cpu_vendor, gpu_matrix, unit_arch
from .schemas import Constraints, DeviceProfile, Estimate, ModelSpec, Prediction

GIB = float(2**30)
# K-quant / i-quant super-blocks are 256 wide; rows whose length is not a multiple fall back to these types
# (llama.cpp src/llama-quant.cpp, "fallback" switch).
_FALLBACK_BPW = {"kquant": {2: 4.5, 3: 4.5, 4: 5.5, 5: 6.0, 6: 8.5}, "iquant": {2: 4.5, 3: 4.5, 4: 4.5}}


@dataclass(frozen=True)
class Workload:
    context: int
    prompt_tokens: int
    gen_tokens: int

    @classmethod
    def of(cls, c: Constraints) -> "Workload":
        return cls(context=c.context, prompt_tokens=c.prompt_tokens, gen_tokens=c.gen_tokens)


def body_bpw(fmt: QuantFormat, kb: Knowledge) -> float:
    """Bits per weight of the transformer body; for llama.cpp mixes derived from the published file bpw."""
    if fmt.bpw is not None:
        return fmt.bpw
    assert fmt.ref_model is not None, f"{fmt.quant}: a format without bpw names its ref_model (knowledge validate)"
    ref = count_params(kb.models[fmt.ref_model])
    e, o = _embd_output_bpw(fmt, kb)
    emb_bits = ref.embedding * e + ref.output * o if ref.output else ref.embedding * o
    assert fmt.file_bpw is not None, f"{fmt.quant}: a llama.cpp mix states its file bpw (knowledge validate)"
    return (fmt.file_bpw * ref.total - emb_bits) / ref.body


def _embd_output_bpw(fmt: QuantFormat, kb: Knowledge) -> tuple[float, float]:
    base = fmt.bpw if fmt.bpw is not None else None
    e = fmt.embd_bpw or (kb.ggml_types[fmt.embd_type].bpw if fmt.embd_type else base)
    o = fmt.output_bpw or (kb.ggml_types[fmt.output_type].bpw if fmt.output_type else base)
    return float(e or 16.0), float(o or 16.0)


def weights_bytes(model: ModelSpec, fmt: QuantFormat, kb: Knowledge, pc: ParamCounts | None = None) -> tuple[float, list[str]]:
    """Bytes of the weights on disk / in memory, and notes about how they were counted."""
    pc = pc or count_params(model)
    notes: list[str] = []
    b = body_bpw(fmt, kb)
    e, o = _embd_output_bpw(fmt, kb)
    body_bits = pc.body * b
    if fmt.family in _FALLBACK_BPW and model.hidden_size % 256:
        fb = _FALLBACK_BPW[fmt.family].get(int(fmt.bits), b)
        body_bits += pc.hidden_input * max(fb - b, 0.0)
        notes.append(
            f"hidden size {model.hidden_size} is not a multiple of 256: {fmt.quant} falls back to a "
            f"~{fb:g}-bit type on {pc.hidden_input / pc.body:.0%} of the body (llama.cpp does this silently)"
        )
    if pc.output:
        emb_bits = pc.embedding * e + pc.output * o
    else:  # tied: one matrix, stored with the type the backend's registry entry names (llama.cpp: the output's)
        tied_as_output = kb.backends[fmt.backend].tied_embedding_type == "output"
        emb_bits = pc.embedding * (o if tied_as_output else e)
    return (body_bits + emb_bits) / 8.0, notes


def _kv_element_bytes(kb: Knowledge, backend: str, compute: str) -> float:
    """Bytes per KV-cache element: the backend's compute option says (knowledge/backends.yaml, f16 by default)."""
    opt = next((o for o in kb.backends[backend].compute if o.unit == compute), None)
    return opt.kv_cache_bytes if opt else 2.0


def _interval(value: float, lo_factor: float, hi_factor: float, basis: str) -> Estimate:
    return Estimate(value=round(value, 4), low=round(value * lo_factor, 4), high=round(value * hi_factor, 4), basis=basis)


def speed_bandwidth_gbs(dev: DeviceProfile, compute: str) -> float:
    if compute == "gpu":
        gpu = dev.gpu()
        if gpu and gpu.bandwidth_gbs:
            return gpu.bandwidth_gbs
    return dev.memory.bandwidth_gbs


def capacity_gib(dev: DeviceProfile, compute: str) -> float:
    """Memory the weights of this route can live in."""
    if compute == "gpu":
        gpu = dev.gpu()
        if gpu and gpu.memory_gb:
            return gpu.memory_gb  # memory is sold in binary units: "8 GB" of RAM is 8 GiB
    return dev.memory.total_gb


class MemoryLimit(NamedTuple):
    gib: float  # what a model on the route may use
    scope: str  # where that applies, as a memory violation says it


def memory_limit(dev: DeviceProfile, compute: str, kb: Knowledge) -> MemoryLimit:
    """Memory a model on this route may use: the class's share of the unit's memory, or on an integrated GPU (no
    memory of its own) the share of RAM its maker's driver lets it map (memory.yaml `integrated_gpus`)."""
    gpu = dev.gpu() if compute == "gpu" else None
    rule = kb.igpu_memory.get(gpu.vendor) if gpu and not gpu.memory_gb else None
    cap = capacity_gib(dev, compute)
    if rule is None:
        return MemoryLimit(kb.usable_gib(dev.class_, cap), "on this device")
    how = f"; {rule.raise_with} raises it" if rule.raise_with else ""
    return MemoryLimit(rule.usable(cap),
                       f"by the integrated GPU ({rule.fraction:.0%} of RAM, its driver's default{how})")


def predict(
    dev: DeviceProfile,
    model: ModelSpec,
    backend: str,
    compute: str,
    quant: str,
    work: Workload,
    kb: Knowledge,
    cal: Calibration,
) -> tuple[Prediction, list[str]]:
    fmt = kb.format(backend, quant)
    if fmt is None:  # callers validate ids first; this guards the pure API
        raise ValueError(f"unknown quant {quant!r} for {backend}")
    pc = count_params(model)
    wbytes, notes = weights_bytes(model, fmt, kb, pc)
    w_gib = wbytes / GIB
    size_err = cal.size_rel_error(fmt.family)
    weights = _interval(w_gib, 1 - size_err, 1 + size_err, f"{wbytes * 8 / pc.total:.3f} bpw over the file "
                        f"({fmt.family}), {pc.total / 1e9:.2f}B params; size error ±{size_err:.0%} "
                        f"({cal.size_basis(fmt.family)})")

    kv_el = _kv_element_bytes(kb, backend, compute)
    kv_tok = kv_bytes_per_token(model, kv_el)
    kv_gib = kv_tok * work.context / GIB
    over_gib, over_basis = cal.overhead_gib(backend, model.vocab_size, model.hidden_size, kb)
    peak = w_gib + kv_gib + over_gib
    peak_est = Estimate(
        value=round(peak, 4),
        low=round(weights.low + kv_gib + over_gib * 0.6, 4),
        high=round(weights.high + kv_gib + over_gib * 1.6, 4),
        basis=f"weights + KV cache {kv_gib:.2f} GiB at {work.context} tokens ({kv_el:g} B/element) + runtime {over_basis}",
    )

    x, engine = speed_input(dev, model, pc, fmt, backend, compute, wbytes, kv_tok, work, kb, cal)
    like = engine.like if engine else []
    d = cal.speed("decode", x, like)
    bound = x.bandwidth_gbs / x.decode_gb_per_token
    decode = _speed_estimate(d, f"bandwidth bound {bound:.1f} tok/s ({x.bandwidth_gbs:g} GB/s / "
                                f"{x.decode_gb_per_token:.3f} GB per token); {x.engine}: ")
    prefill = _speed_estimate(cal.speed("prefill", x, like), f"compute bound; {x.engine}: ")

    q_mid, q_lo, q_hi, q_basis = cal.quality(fmt, pc.total / 1e9, model.architecture)
    quality = Estimate(value=round(q_mid, 4), low=round(q_lo, 4), high=round(q_hi, 4), basis=q_basis)

    if model.is_moe:
        notes.append(f"MoE: {pc.active / 1e9:.2f}B of {pc.total / 1e9:.2f}B parameters read per token")
    if model.max_position_embeddings and work.context > model.max_position_embeddings:
        notes.append(f"context {work.context} exceeds the model's trained maximum {model.max_position_embeddings}")
    # validated parts (each Estimate checks itself): model_construct spares a cold plan a validator build (issue
    # 13); tests/core/test_plain.py validates the plans of every shipped profile
    pred = Prediction.model_construct(
        backend=backend, quant=fmt.quant, compute=compute,
        engine=x.engine, weights_gib=weights, peak_memory_gib=peak_est,
        decode_tokens_per_s=decode, prefill_tokens_per_s=prefill, ppl_increase_pct=quality,
    )
    answer = answer_estimates(pred, dev, x.bandwidth_gbs, work.prompt_tokens, work.gen_tokens, kb.energy)
    return pred.model_copy(update=answer), notes


def _speed_estimate(e, prefix: str) -> Estimate:
    return Estimate(value=round(e.value, 3), low=round(e.low, 3), high=round(e.high, 3), basis=prefix + e.basis,
                    evidence=e.evidence, rows=e.rows)


def device_tops(dev: DeviceProfile, compute: str, kb: Knowledge) -> float | None:
    """The unit's stated peak: the CPU's int8 throughput from cores, clock and ISA; the GPU's tflops_fp16; the
    NPU's tops_int8 (None when the profile states none)."""
    if compute == "cpu":
        if not dev.cpu.freq_ghz:
            return None
        return cpu_tops(dev.cpu.cores, dev.cpu.freq_ghz, kb.macs_per_cycle(dev.cpu.features))
    acc = dev.gpu() if compute == "gpu" else dev.npu()
    if acc is None:
        return None
    return acc.tflops_fp16 if compute == "gpu" else acc.tops_int8


def _vendor(dev: DeviceProfile, compute: str) -> str:
    if compute == "cpu":
        return cpu_vendor(dev.class_)
    acc = dev.gpu() if compute == "gpu" else dev.npu()
    return acc.vendor if acc else "other"


def speed_input(dev: DeviceProfile, model: ModelSpec, pc: ParamCounts, fmt: QuantFormat, backend: str, compute: str,
                wbytes: float, kv_tok: float, work: Workload, kb: Knowledge, cal: Calibration):
    """The speed model's input for one route on this device, and the engine that runs it."""
    engine = select_engine(kb.engines, dev, backend, compute)
    bw = speed_bandwidth_gbs(dev, compute)
    tops = device_tops(dev, compute, kb)
    imputed = tops is None
    if tops is None:
        tops = bw * math.exp(cal.compute_ratio(compute))
    kv_decode = work.prompt_tokens + work.gen_tokens / 2
    kv_prefill = work.context if (engine and engine.static_shapes) else work.prompt_tokens / 2
    attn = 4.0 * model.num_hidden_layers * model.num_attention_heads * model.head_size / 1e9
    attn_on_cpu = bool(engine and engine.attention == "cpu" and dev.cpu.freq_ghz)
    acc = dev.gpu() if compute == "gpu" else dev.npu() if compute == "npu" else None
    unit_name = (acc.name or "") if acc is not None else ""
    x = SpeedInput(
        engine=engine.id if engine else f"{backend}-{compute}", unit=compute, family=fmt.family, bandwidth_gbs=bw,
        compute_tops=tops, compute_imputed=imputed,
        decode_gb_per_token=(wbytes * pc.active / pc.total + kv_tok * kv_decode) / 1e9,
        active_params_b=pc.active / 1e9, layers=model.num_hidden_layers,
        attn_gflop_per_token=attn * kv_prefill, attn_gflop_decode=attn * kv_decode,
        prompt_tokens=float(work.prompt_tokens),
        vendor=_vendor(dev, compute),
        attn_tops=cpu_tops(dev.cpu.cores, dev.cpu.freq_ghz, kb.macs_per_cycle(dev.cpu.features, float_math=True))
        if (compute == "cpu" or attn_on_cpu) and dev.cpu.freq_ghz else 0.0,
        device=cal.device_of(dev.id, compute), attn_on_cpu=attn_on_cpu,
        arch=unit_arch(compute, unit_name), matrix=compute == "gpu" and gpu_matrix(unit_name),
        moe=model.is_moe, phone=set(dev.os) <= {"android", "ios"},
    )
    return x, engine
