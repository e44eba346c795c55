"""Olive / ONNX Runtime: FP32 ONNX with past_key_values from optimum's exporter (cached), then ONNX Runtime's own
quantization APIs — the ones Olive's OnnxDynamicQuantization / OnnxBlockWiseRtnQuantization passes call:
dynamic INT8 (per-tensor, QInt8 weights) and INT4 MatMulNBits (block 32, symmetric). FP16 via onnxruntime's
float16 converter. Measured on the ONNX Runtime CPU execution provider."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel, cached_dir
from . import Converted
from .onnx_loop import PastRunner, export_onnx, kv_dims

INT4_BLOCK = 32


def base_onnx(pm: ProbeModel, with_past: bool = True) -> tuple[Path, float | None]:
    name = "onnx-fp32-past" if with_past else "onnx-fp32"
    d, secs = cached_dir(pm, name, lambda tmp: export_onnx(pm.hf_dir, tmp, with_past))
    return d / "model.onnx", secs


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    src, base_s = base_onnx(pm)
    dst = out / "model.onnx"
    t = time.perf_counter()
    if quant == "INT8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=False, op_types_to_quantize=["MatMul"])
        method = "onnxruntime.quantization.quantize_dynamic (QInt8 weights, per-tensor, MatMul)"
    elif quant == "INT4":
        import onnx
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        q = MatMulNBitsQuantizer(onnx.load(str(src)), bits=4, block_size=INT4_BLOCK, is_symmetric=True,
                                 accuracy_level=4)
        q.process()
        onnx.save_model(q.model.model, str(dst))
        method = f"onnxruntime MatMulNBitsQuantizer (int4, block {INT4_BLOCK}, symmetric, RTN)"
    elif quant == "FP16":
        import onnx
        from onnxruntime.transformers.float16 import convert_float_to_float16

        onnx.save_model(convert_float_to_float16(onnx.load(str(src)), keep_io_types=True), str(dst))
        method = "onnxruntime.transformers.float16.convert_float_to_float16 (fp32 inputs/outputs kept)"
    else:
        raise ProbeFailed(f"olive probe has no {quant}; choose one of FP16, INT8, INT4")
    return Converted(artifact=dst, convert_s=time.perf_counter() - t, method=method, base_convert_s=base_s,
                     notes=["ONNX Runtime quantization APIs called directly (the calls Olive's passes make); "
                            "the model is exported with optimum, not Olive's capture"])


def ort_runner(path: Path, pm: ProbeModel, threads: int) -> PastRunner:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    outs = [o.name for o in sess.get_outputs()]
    return PastRunner(lambda feeds: dict(zip(outs, sess.run(None, feeds))), [i.name for i in sess.get_inputs()],
                      *kv_dims(pm.hf_dir))


def load(pm: ProbeModel, conv: Converted, threads: int) -> PastRunner:
    return ort_runner(conv.artifact, pm, threads)
