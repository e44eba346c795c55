"""Qualcomm QNN: a static QDQ ONNX model from ONNX Runtime's QNN config (`get_qnn_qdq_config`: w8a16 = uint8
weights / uint16 activations, w8a8 = uint8 / uint8), run on the CPU execution provider to measure what the
quantization costs in accuracy. Speed needs the Hexagon NPU (Qualcomm AI Hub): not measured here.

Static QDQ wrecks an LLM unless the attention-mask path is left in float: the mask carries ~-3.4e38 and a scale
of ~1e36 appears. A MinMax calibration pass finds every tensor whose range exceeds MASK_RANGE; the nodes that
produce or consume it are excluded."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel
from . import Converted
from .olive import base_onnx
from .onnx_loop import PastRunner, kv_dims

MASK_RANGE = 1e4
SEQ = 48  # calibration window (tokens)
TYPES = {"W8A16": ("QUInt8", "QUInt16"), "W8A8": ("QUInt8", "QUInt8")}


class _Reader:
    """CalibrationDataReader over fixed windows of the calibration text."""

    def __init__(self, ids: np.ndarray, inputs: list[str]):
        wins = [ids[i:i + SEQ] for i in range(0, max(len(ids) - SEQ, 0) + 1, SEQ)][:1] or [ids]
        self.items = iter([self._feed(w, inputs) for w in wins])

    @staticmethod
    def _feed(w: np.ndarray, inputs: list[str]) -> dict:
        f = {"input_ids": w[None].astype(np.int64)}
        if "attention_mask" in inputs:
            f["attention_mask"] = np.ones((1, len(w)), dtype=np.int64)
        if "position_ids" in inputs:
            f["position_ids"] = np.arange(len(w), dtype=np.int64)[None]
        return f

    def get_next(self):
        return next(self.items, None)


def huge_range_nodes(src: Path, calib: np.ndarray, inputs: list[str], work: Path) -> list[str]:
    import onnx
    from onnxruntime.quantization.calibrate import CalibrationMethod, create_calibrator

    cal = create_calibrator(str(src), augmented_model_path=str(work / "augmented.onnx"),
                            calibrate_method=CalibrationMethod.MinMax, use_external_data_format=True)
    cal.collect_data(_Reader(calib, inputs))
    ranges = cal.compute_data()
    huge = {name for name, td in ranges.data.items()
            if np.max(np.abs(np.asarray(td.range_value, dtype=np.float64))) > MASK_RANGE}
    graph = onnx.load(str(src), load_external_data=False).graph
    for f in work.glob("augmented*"):
        f.unlink()
    return [n.name for n in graph.node if huge & (set(n.input) | set(n.output))]


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize
    from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config

    if quant not in TYPES:
        raise ProbeFailed(f"qnn probe has no {quant}; choose one of {', '.join(TYPES)}")
    src, base_s = base_onnx(pm, with_past=False)
    inputs = [i.name for i in ort.InferenceSession(str(src), providers=["CPUExecutionProvider"]).get_inputs()]
    t = time.perf_counter()
    excluded = huge_range_nodes(src, calib, inputs, out)
    w, a = TYPES[quant]
    cfg = get_qnn_qdq_config(str(src), _Reader(calib, inputs), activation_type=getattr(QuantType, a),
                             weight_type=getattr(QuantType, w), nodes_to_exclude=excluded)
    dst = out / "model.qdq.onnx"
    quantize(str(src), str(dst), cfg)
    notes = [f"{len(excluded)} nodes on the attention-mask path (|range| > {MASK_RANGE:g}) left in float",
             _hub_note()]
    return Converted(artifact=dst, convert_s=time.perf_counter() - t, base_convert_s=base_s, notes=notes,
                     method=f"onnxruntime get_qnn_qdq_config ({w} weights, {a} activations) + quantize; "
                            "run on the CPU execution provider", measures_speed=False)


def _hub_note() -> str:
    if (Path.home() / ".qai_hub" / "client.ini").is_file():
        return ("AI Hub token found, but probes do not submit jobs (offline machine): accuracy measured with the "
                "QDQ model on CPU, speed not measured")
    return "no AI Hub token: accuracy measured with the QDQ model on CPU, speed not measured"


def load(pm: ProbeModel, conv: Converted, threads: int) -> PastRunner:
    from .olive import ort_runner

    return ort_runner(conv.artifact, pm, threads)
