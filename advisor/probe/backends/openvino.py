"""OpenVINO + NNCF: the cached FP32 ONNX (with past) read by `ov.convert_model`, weights compressed with
`nncf.compress_weights` (INT8_ASYM; INT4_SYM group 128 with group_size_fallback ADJUST so a group that does not
divide a layer's input channels shrinks instead of failing), saved as IR, measured on the OpenVINO CPU plugin."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel
from . import Converted
from .olive import base_onnx
from .onnx_loop import PastRunner, kv_dims

INT4_GROUP = 128


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    import openvino as ov

    src, base_s = base_onnx(pm)
    t = time.perf_counter()
    model = ov.convert_model(str(src))
    notes: list[str] = []
    if quant == "FP16":
        method = "ov.convert_model + save_model(compress_to_fp16=True)"
    else:
        import nncf
        from nncf.quantization.advanced_parameters import AdvancedCompressionParameters, GroupSizeFallbackMode

        if quant == "INT8":
            model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
            method = "ov.convert_model + nncf.compress_weights(INT8_ASYM)"
        elif quant == "INT4":
            adv = AdvancedCompressionParameters(group_size_fallback_mode=GroupSizeFallbackMode.ADJUST)
            model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT4_SYM, group_size=INT4_GROUP,
                                          ratio=1.0, advanced_parameters=adv)
            method = f"ov.convert_model + nncf.compress_weights(INT4_SYM, group {INT4_GROUP}, fallback ADJUST)"
            notes.append("embeddings and the output layer stay INT8 (NNCF default backup mode)")
        else:
            raise ProbeFailed(f"openvino probe has no {quant}; choose one of FP16, INT8, INT4")
    dst = out / "model.xml"
    ov.save_model(model, str(dst), compress_to_fp16=(quant == "FP16"))
    return Converted(artifact=dst, convert_s=time.perf_counter() - t, method=method, base_convert_s=base_s, notes=notes)


def load(pm: ProbeModel, conv: Converted, threads: int) -> PastRunner:
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(str(conv.artifact), "CPU", {"INFERENCE_NUM_THREADS": threads,
                                                             "PERFORMANCE_HINT": "LATENCY"})
    names = [o.get_any_name() for o in compiled.outputs]
    req = compiled.create_infer_request()

    def run(feeds: dict) -> dict:
        res = req.infer(feeds)
        return {n: res[compiled.outputs[i]] for i, n in enumerate(names)}

    return PastRunner(run, [i.get_any_name() for i in compiled.inputs], *kv_dims(pm.hf_dir))
