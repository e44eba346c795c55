"""PyTorch ExecuTorch through its XNNPACK CPU delegate: the HF model wrapped with a static KV cache
(transformers' TorchExportableModuleForDecoderOnlyLM), weights quantized with torchao (8da4w: int4 group 32 with
dynamic int8 activations; 8da8w: int8 per channel), lowered with `to_edge_transform_and_lower(XnnpackPartitioner)`
to a .pte and run by the ExecuTorch runtime's Python bindings. Runs from .venv-executorch (scripts/setup.sh), an
environment layered on the project's so that torch is shared and torchao stays out of the other probes.

The exported program takes one token per call (dynamic-length export fails in torch 2.13's AOT export), so prefill
is timed token by token: it understates what a chunked prefill on a phone does; decode is what the app runs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel
from . import Converted

GROUP = 32  # ExecuTorch's Llama recipe quantizes 8da4w with group 32 (examples/models/llama/README.md)
MAX_CACHE = 512  # static KV cache: the probe's prompt (<= 256 + 8 warm-up) and its generated tokens fit
QUANTS = ("BF16", "8DA8W", "8DA4W")


def _quantize(model, quant: str) -> str:
    import torch

    if quant == "BF16":
        model.to(torch.bfloat16)
        return "bf16 weights and activations"
    from torchao.quantization import Int8DynamicActivationIntxWeightConfig, quantize_
    from torchao.quantization.granularity import PerAxis, PerGroup

    if quant == "8DA4W":
        quantize_(model, Int8DynamicActivationIntxWeightConfig(weight_dtype=torch.int4,  # type: ignore[attr-defined]
                                                               weight_granularity=PerGroup(GROUP)))
        return f"torchao 8da4w (int4 weights, group {GROUP}; dynamic int8 activations)"
    quantize_(model, Int8DynamicActivationIntxWeightConfig(weight_dtype=torch.int8, weight_granularity=PerAxis(0)))
    return "torchao 8da8w (int8 weights per channel; dynamic int8 activations)"


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    if quant not in QUANTS:
        raise ProbeFailed(f"executorch probe has no {quant}; choose one of {', '.join(QUANTS)}")
    import torch
    from executorch.backends.xnnpack.partition.xnnpack_partitioner import XnnpackPartitioner
    from executorch.exir import EdgeCompileConfig, to_edge_transform_and_lower
    from transformers import AutoModelForCausalLM
    from transformers.integrations.executorch import TorchExportableModuleForDecoderOnlyLM

    torch.set_num_threads(threads)
    t = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(pm.hf_dir, dtype=torch.float32).eval()
    model.generation_config.cache_implementation = "static"
    model.generation_config.cache_config = {"batch_size": 1, "max_cache_len": MAX_CACHE}
    how = _quantize(model, quant)
    with torch.no_grad():
        ep = TorchExportableModuleForDecoderOnlyLM(model).export(
            input_ids=torch.tensor([[1]], dtype=torch.long), cache_position=torch.tensor([0], dtype=torch.long))
        prog = to_edge_transform_and_lower(ep, partitioner=[XnnpackPartitioner()],
                                           compile_config=EdgeCompileConfig(_check_ir_validity=False)).to_executorch()
    dst = out / "model.pte"
    dst.write_bytes(prog.buffer)
    return Converted(artifact=dst, convert_s=time.perf_counter() - t,
                     method=f"torch.export (static KV cache {MAX_CACHE}) + {how} + XNNPACK delegate -> .pte",
                     notes=["prefill timed one token per call (the exported program takes one token): a phone's "
                            "chunked prefill is faster", "embeddings stay fp32 (the recipe's -E embedding "
                            "quantization is not applied)" if quant != "BF16" else "bf16 on the x86 XNNPACK path"])


class _Runner:
    def __init__(self, path: Path):
        from executorch.runtime import Runtime

        self.method = Runtime.get().load_program(str(path)).load_method("forward")
        self.pos = 0

    def _one(self, token: int) -> np.ndarray:
        import torch

        out = self.method.execute([torch.tensor([[token]], dtype=torch.long),
                                   torch.tensor([self.pos], dtype=torch.long)])
        self.pos += 1
        if self.pos >= MAX_CACHE:
            raise ProbeFailed(f"the probe ran past the static KV cache of {MAX_CACHE} tokens")
        return out[0].float().numpy().reshape(-1)

    def forward_all(self, ids: np.ndarray) -> np.ndarray:
        self.pos = 0  # positions past the new ones are masked: restarting at 0 is a fresh state
        return np.stack([self._one(int(i)) for i in ids])

    def begin(self, ids: np.ndarray) -> np.ndarray:
        return self.forward_all(ids)[-1]

    def step(self, token: int) -> np.ndarray:
        return self._one(token)


def load(pm: ProbeModel, conv: Converted, threads: int) -> _Runner:
    import torch

    torch.set_num_threads(threads)
    return _Runner(conv.artifact)
