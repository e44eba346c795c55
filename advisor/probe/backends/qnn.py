"""Qualcomm QNN: a static QDQ ONNX model from ONNX Runtime's QNN config (`get_qnn_qdq_config`: w8a16 = uint8
weights / uint16 activations, w8a8 = uint8 / uint8; weights per tensor, as QNN's MatMul takes them), made from the
same FP32 ONNX with past_key_values as the olive probe. Run on the CPU execution provider: accuracy and size carry
over to the Hexagon NPU; the speed is CPU emulation of the QDQ graph, not NPU speed (that needs Qualcomm AI Hub).

What static QDQ must leave in float, found from the graph's structure (no extra calibration pass):
- nodes off the data path (nothing flows in from input_ids / past_key_values except shapes): the attention-mask
  construction and the rotary cos/sin. Rotary angles grow with the position, so a range calibrated on a short
  window clips every later position (this, not the mask, wrecked the earlier w8a16 probe: KL 1.6);
- nodes fed by a huge float constant (the mask's -inf / -3.4e38), downstream up to and including the Softmax that
  consumes it: a quantized mask gets a scale of ~1e36;
- the RMSNorm variance (Pow -> ReduceMean): x^2 spans 0..1e5 and 16-bit steps of ~1 erase the small values.
The embedding table (a Gather) is stored as uint8 like the other weights; the QNN config would give it the
activation type (uint16), doubling the largest tensor."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ...errors import ProbeFailed
from ..models import ProbeModel
from . import Converted
from .olive import base_onnx, ort_runner
from .onnx_loop import PastRunner, kv_dims

HUGE = 1e4  # |constant| above this in a float tensor marks the attention-mask path
SEQ = 64  # calibration window (tokens)
TYPES = {"W8A16": ("QUInt8", "QUInt16"), "W8A8": ("QUInt8", "QUInt8")}
SPEED_NOTE = ("speed: the QDQ model on the ONNX Runtime CPU execution provider (CPU emulation, not Hexagon NPU "
              "speed)")


def calibration_feeds(src: Path, ids: np.ndarray, kv: tuple[int, int]) -> list[dict]:
    """Two samples: a prefill with an empty cache, then one decode step on the FP32 model's own cache."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    runner = PastRunner(lambda f: dict(zip([o.name for o in sess.get_outputs()], sess.run(None, f))), names, *kv)
    w = ids[:SEQ]
    first = runner._feeds(w)
    logits = runner._forward(w)
    return [first, runner._feeds(np.array([int(np.argmax(logits[-1]))], dtype=np.int64))]


class _Reader:
    def __init__(self, feeds: list[dict]):
        self.items = iter(feeds)

    def get_next(self):
        return next(self.items, None)


def float_exclusions(src: Path) -> dict[str, list[str]]:
    """Node names to keep in float, by reason (see the module docstring)."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(str(src), load_external_data=False).graph
    data = {i.name for i in g.input if i.name == "input_ids" or i.name.startswith("past_key_values")}
    for n in g.node:  # topological order; shape arithmetic does not carry data
        if n.op_type not in ("Shape", "Size") and data & set(n.input):
            data.update(n.output)
    off = [n.name for n in g.node if not data & set(n.input)]  # Constant nodes too: ORT would quantize them

    def huge(t) -> bool:
        if t.data_type not in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16) or t.data_location == 1:
            return False
        a = numpy_helper.to_array(t)
        return a.size < 4096 and bool(np.any(~np.isfinite(a) | (np.abs(a) > HUGE)))

    tainted = {t.name for t in g.initializer if huge(t)}
    tainted |= {n.output[0] for n in g.node if n.op_type == "Constant" and n.attribute and huge(n.attribute[0].t)}
    mask = []
    for n in g.node:
        if tainted & set(n.input):
            mask.append(n.name)
            if n.op_type != "Softmax":  # a softmax's output is a probability again
                tainted.update(n.output)
    producers = {o: n for n in g.node for o in n.output}
    norm = [n.name for n in g.node if n.op_type == "ReduceMean" and n.input[0] in producers
            and producers[n.input[0]].op_type == "Pow"]
    norm += [producers[n.input[0]].name for n in g.node if n.name in set(norm)]
    return {"off the data path (mask construction, rotary cos/sin)": off, "attention-mask path": mask,
            "RMSNorm variance": norm}


def convert(pm: ProbeModel, quant: str, out: Path, threads: int, calib: np.ndarray) -> Converted:
    from onnxruntime.quantization import CalibrationMethod, QuantType, quantize
    from onnxruntime.quantization.execution_providers.qnn import get_qnn_qdq_config

    if quant not in TYPES:
        raise ProbeFailed(f"qnn probe has no {quant}; choose one of {', '.join(TYPES)}")
    src, base_s = base_onnx(pm)
    t = time.perf_counter()
    groups = float_exclusions(src)
    excluded = sorted({n for names in groups.values() for n in names})
    w, a = TYPES[quant]
    import onnx

    gathers = [n.input[0] for n in onnx.load(str(src), load_external_data=False).graph.node
               if n.op_type == "Gather" and "embed" in n.input[0]]
    cfg = get_qnn_qdq_config(str(src), _Reader(calibration_feeds(src, calib, kv_dims(pm.hf_dir))),
                             calibrate_method=CalibrationMethod.MinMax, activation_type=getattr(QuantType, a),
                             weight_type=getattr(QuantType, w), nodes_to_exclude=excluded,
                             init_overrides={e: [{"quant_type": getattr(QuantType, w)}] for e in gathers})
    dst = out / "model.qdq.onnx"
    quantize(str(src), str(dst), cfg)
    for f in out.iterdir():  # the calibrator's augmented copy and its external data
        if f.name != dst.name and f.is_file():
            f.unlink()
    notes = [f"left in float: {', '.join(f'{len(v)} nodes {k}' for k, v in groups.items())} (incl. Constant nodes)",
             f"calibration: MinMax on {min(len(calib), SEQ)} held-out tokens (prefill + one decode step)",
             SPEED_NOTE, _hub_note()]
    return Converted(artifact=dst, convert_s=time.perf_counter() - t, base_convert_s=base_s, notes=notes,
                     method=f"onnxruntime get_qnn_qdq_config ({w} weights per tensor, {a} activations) + quantize; "
                            "run on the CPU execution provider (CPU emulation, not Hexagon NPU speed)")


def _hub_note() -> str:
    if (Path.home() / ".qai_hub" / "client.ini").is_file():
        return "AI Hub token found: add --aihub-device NAME to measure NPU speed on a real device (here: CPU emulation)"
    return "no AI Hub token: NPU speed not measured (the speeds are CPU emulation; see docs/sweep.md for AI Hub)"


def load(pm: ProbeModel, conv: Converted, threads: int) -> PastRunner:
    return ort_runner(conv.artifact, pm, threads)
