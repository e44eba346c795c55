"""Olive: FP32 ONNX with past_key_values from optimum's exporter (cached), then an Olive workflow
(`olive.workflows.run`, ONNX model input, one ONNX Runtime pass, CPU execution provider, no evaluator, no data):
INT8 = OnnxDynamicQuantization, INT4 = OnnxBlockWiseRtnQuantization (MatMulNBits, block 32, symmetric),
FP16 = OnnxFloatToFloat16. Olive can exit without a model offline, so the output file is checked; if the workflow
fails, the same ONNX Runtime calls are made directly and the result says so (`method` names the path that ran).
Measured on the ONNX Runtime CPU execution provider."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel, cached_dir
from . import Converted
from .onnx_loop import PastRunner, export_onnx, kv_dims

log = logging.getLogger(__name__)
INT4_BLOCK = 32
# Olive pass per quantization. INT8 is Olive's default dynamic quantization (minus ORT's pre-processing pass): QInt8 weights per tensor
# (MatMul and the embedding Gather), activations quantized per tensor at run time (see INT8_NOTE).
PASSES = {
    "INT8": {"type": "OnnxDynamicQuantization", "quant_preprocess": False},  # preprocessing: +~8 s, same scheme
    "INT4": {"type": "OnnxBlockWiseRtnQuantization", "bits": 4, "block_size": INT4_BLOCK, "is_symmetric": True,
             "accuracy_level": 4},
    "FP16": {"type": "OnnxFloatToFloat16", "keep_io_types": True},
}
INT8_NOTE = ("INT8 is Olive's default dynamic quantization: activations are quantized per tensor at run time, which "
             "costs most of its loss on this model (leaving lm_head in float or per-channel weights barely help: "
             "docs/probes.md)")


def base_onnx(pm: ProbeModel, with_past: bool = True) -> tuple[Path, float | None]:
    name = "onnx-fp32-past" if with_past else "onnx-fp32"
    d, secs = cached_dir(pm, name, lambda tmp: export_onnx(pm.hf_dir, tmp, with_past))
    return d / "model.onnx", secs


def run_olive(src: Path, pass_cfg: dict, out: Path) -> Path:
    """One-pass Olive workflow on an ONNX file; returns the output model.onnx moved into `out`."""
    from olive.workflows import run

    work = out / "olive-work"
    shutil.rmtree(work, ignore_errors=True)
    cfg = {"input_model": {"type": "ONNXModel", "model_path": str(src)},
           "systems": {"local": {"type": "LocalSystem", "accelerators": [
               {"device": "cpu", "execution_providers": ["CPUExecutionProvider"]}]}},
           "passes": {"quantize": pass_cfg}, "host": "local", "target": "local", "evaluate_input_model": False,
           "output_dir": str(work / "out"), "cache_dir": str(work / "cache"), "log_severity_level": 3}
    try:
        run(cfg)
        made = work / "out" / "model.onnx"
        if not made.is_file():  # Olive logs a failed pass and still returns
            raise ProbeFailed("Olive workflow finished without an output model")
        for f in made.parent.iterdir():
            if f.is_file() and (f.suffix in {".onnx", ".data"} or f.name.startswith("model.onnx")):
                shutil.move(str(f), out / f.name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out / "model.onnx"


def olive_version() -> str:
    from importlib.metadata import version

    return version("olive-ai")


def direct(quant: str, src: Path, dst: Path, cfg: dict) -> str:
    """The ONNX Runtime calls behind the Olive passes, made directly (fallback)."""
    import onnx

    if quant == "INT8":
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=False)
        return "onnxruntime.quantization.quantize_dynamic (QInt8 weights, per-tensor)"
    if quant == "INT4":
        from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

        q = MatMulNBitsQuantizer(onnx.load(str(src)), bits=4, block_size=INT4_BLOCK, is_symmetric=True,
                                 accuracy_level=4)
        q.process()
        onnx.save_model(q.model.model, str(dst))
        return f"onnxruntime MatMulNBitsQuantizer (int4, block {INT4_BLOCK}, symmetric, RTN)"
    from onnxruntime.transformers.float16 import convert_float_to_float16

    onnx.save_model(convert_float_to_float16(onnx.load(str(src)), keep_io_types=True), str(dst))
    return "onnxruntime.transformers.float16.convert_float_to_float16 (fp32 inputs/outputs kept)"


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    if quant not in PASSES:
        raise ProbeFailed(f"olive probe has no {quant}; choose one of FP16, INT8, INT4")
    src, base_s = base_onnx(pm)
    cfg = dict(PASSES[quant])
    shown = ", ".join(f"{k}={v}" for k, v in cfg.items() if k != "type") or "Olive defaults"
    notes = [INT8_NOTE] if quant == "INT8" else []
    t = time.perf_counter()
    try:
        dst = run_olive(src, cfg, out)
        method = f"olive {olive_version()} workflow: {cfg['type']} ({shown}) on ONNX Runtime CPU EP"
    except Exception as exc:  # any Olive failure: measure the same quantization made by ONNX Runtime directly
        reason = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:200]
        log.warning("Olive workflow failed (%s); calling ONNX Runtime directly", reason)
        for f in out.iterdir():
            if f.is_file():
                f.unlink()
        dst = out / "model.onnx"
        method = f"{direct(quant, src, dst, cfg)} (olive fallback: {reason})"
        notes.append(f"Olive workflow failed ({reason}): ONNX Runtime's quantization called directly")
    notes.append("FP32 ONNX exported with optimum (Olive's own capture needs the dynamo exporter or model builder)")
    return Converted(artifact=dst, convert_s=time.perf_counter() - t, method=method, base_convert_s=base_s,
                     notes=notes)


def ort_runner(path: Path, pm: ProbeModel, threads: int) -> PastRunner:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = threads, 1
    so.log_severity_level = 3
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    # Olive's RTN pass renames a graph output it re-creates (logits -> logits_Q4): the non-cache output is the logits
    outs = [o.name if o.name.startswith("present.") else "logits" for o in sess.get_outputs()]
    return PastRunner(lambda feeds: dict(zip(outs, sess.run(None, feeds))), [i.name for i in sess.get_inputs()],
                      *kv_dims(pm.hf_dir))


def load(pm: ProbeModel, conv: Converted, threads: int) -> PastRunner:
    return ort_runner(conv.artifact, pm, threads)
