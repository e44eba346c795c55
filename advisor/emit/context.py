"""Pure: the values a candidate's scripts need, derived from the plan (device, model, constraints, candidate).

A backend's own values come from the function its registry entry names (knowledge/backends.yaml `emit.context`,
one of the functions below); a backend without one gets `{"quant": ...}` and its templates read the candidate.
"""

from __future__ import annotations

import importlib
import re

from ..schemas import Candidate, Plan
from .olive import olive_config, olive_ep

PROMPT = "Edge devices run language models when"
ESTIMATES = ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct")
# Qualcomm AI Hub device names for profiles whose marketing name differs from the Hub's (`qai-hub list-devices`).
AIHUB_DEVICES = {"snapdragon-x-elite-laptop": "Snapdragon X Elite CRD", "galaxy-s23-ultra": "Samsung Galaxy S23 Ultra",
                 "galaxy-s24-ultra": "Samsung Galaxy S24 Ultra", "galaxy-s25-ultra": "Samsung Galaxy S25 Ultra"}
# qai-hub-models packages with a ready export route (python -m qai_hub_models.models.<id>.export).
HUB_MODELS = {
    "llama-3.2-1b-instruct": "llama_v3_2_1b_instruct",
    "llama-3.2-3b-instruct": "llama_v3_2_3b_instruct",
    "llama-3.1-8b-instruct": "llama_v3_1_8b_instruct",
    "qwen2.5-7b-instruct": "qwen2_5_7b_instruct",
}
QNN_DTYPES = {"fp16": None, "w8a16": ["INT8", "INT16"], "w8a8": ["INT8", "INT8"], "w4a16": ["INT4", "INT16"]}


def folder_name(rank: int, cand: Candidate) -> str:
    quant = re.sub(r"[^A-Za-z0-9_.-]+", "_", cand.quant)
    return f"{rank:02d}-{cand.backend}-{quant}-{cand.compute}"


def _estimates(cand: Candidate) -> dict:
    return {k: getattr(cand, k).model_dump(mode="json") for k in ESTIMATES}


def backend_values(plan: Plan, cand: Candidate, context: str | None) -> dict:
    """The backend's template values: its registry entry's `emit.context` function (module:function), if any."""
    if not context:
        return {"quant": cand.quant}
    mod, func = context.split(":")
    return getattr(importlib.import_module(mod), func)(plan, cand)


def candidate_context(plan: Plan, cand: Candidate, rank: int) -> dict:
    """Everything the templates of one candidate may refer to (StrictUndefined makes a missing key an error)."""
    from ..knowledge import load_knowledge

    emit = load_knowledge().backends[cand.backend].emit
    dev, model, cons = plan.device, plan.model, plan.constraints
    folder = folder_name(rank, cand)
    run = {"ctx": cons.context, "threads": dev.cpu.cores, "prompt": PROMPT, "gen_tokens": min(cons.gen_tokens, 128),
           "prompt_tokens": cons.prompt_tokens}
    settings = {
        "advisor": "advisor plan --emit-scripts", "rank": rank, "folder": folder, "backend": cand.backend,
        "quant": cand.quant, "compute": cand.compute, "feasible": cand.feasible, "violations": cand.violations,
        "device": {"id": dev.id, "name": dev.name, "cpu_cores": dev.cpu.cores, "memory_gb": dev.memory.total_gb},
        "model": {"id": model.id, "name": model.name, "hf_repo": model.hf_repo, "architecture": model.architecture},
        "predicted": _estimates(cand), "run": run,
    }
    ctx: dict = {"plan": plan, "cand": cand, "rank": rank, "folder": folder, "dev": dev, "model": model,
                 "run": run, "settings": settings, "extra_json": {}, "title": f"{model.name or model.id}: "
                 f"{cand.backend} {cand.quant} on {dev.name} ({cand.compute})",
                 "model_hint": f"./{model.id}", "gen_options": emit.gen_options,
                 "local_report": emit.local_report}
    backend = backend_values(plan, cand, emit.context)
    ctx["extra_json"].update(backend.pop("extra_json", {}))
    settings[cand.backend] = backend
    ctx["b"] = backend
    return ctx


def llamacpp(plan: Plan, cand: Candidate) -> dict:
    quant = cand.quant.upper()
    return {"quant": quant, "ngl": 99 if cand.compute == "gpu" else 0, "needs_imatrix": quant.startswith("IQ"),
            "gpu_api": (gpu.api if (gpu := plan.device.gpu()) is not None and cand.compute == "gpu" else [])}


def olive(plan: Plan, cand: Candidate) -> dict:
    ep = olive_ep(plan.device, cand.compute)
    values = {"precision": cand.quant.lower(), "ep": ep, "device": cand.compute}
    extra = {"olive_config.json": olive_config(values)}
    if ep != "cpu":  # the same workflow on the CPU provider, to check the pipeline on any PC
        extra["olive_config.cpu.json"] = olive_config(values, ep="cpu")
    return {**values, "extra_json": extra}


def openvino(plan: Plan, cand: Candidate) -> dict:
    npu = cand.compute == "npu"
    fmt = cand.quant.lower()
    return {"weight_format": fmt, "device": cand.compute.upper(), "sym": npu or fmt == "int8",
            "group_size": -1 if npu else 128, "ratio": 1.0}


def mlx(plan: Plan, cand: Candidate) -> dict:
    q = cand.quant.lower()
    bits = int(q.removesuffix("bit")) if q.endswith("bit") else None
    return {"bits": bits, "group_size": 64, "dtype": "bfloat16" if bits is None else None, "lora_iters": 100}


def qnn(plan: Plan, cand: Candidate) -> dict:
    dtypes = QNN_DTYPES.get(cand.quant.lower())
    name = AIHUB_DEVICES.get(plan.device.id) or re.sub(r"\s*\(.*\)\s*$", "", plan.device.name)
    return {"aihub_device": name, "quant": cand.quant.lower(),
            "weights_dtype": dtypes[0] if dtypes else None, "activations_dtype": dtypes[1] if dtypes else None,
            "hub_model": HUB_MODELS.get(plan.model.id), "seq_len": 128, "target_runtime": "qnn_context_binary"}

