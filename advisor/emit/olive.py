"""Pure: the Olive workflow config (olive run --config) for a candidate's execution provider and precision."""

from __future__ import annotations

from ..schemas import DeviceProfile

EP_NAMES = {"cpu": "CPUExecutionProvider", "cuda": "CUDAExecutionProvider", "dml": "DmlExecutionProvider",
            "qnn": "QNNExecutionProvider", "openvino": "OpenVINOExecutionProvider"}
EP_DEVICE = {"cpu": "cpu", "cuda": "gpu", "dml": "gpu", "qnn": "npu", "openvino": "npu"}


def olive_ep(dev: DeviceProfile, compute: str) -> str:
    """Short EP id for a compute unit: cpu, cuda, dml (DirectML), qnn or openvino."""
    if compute == "gpu":
        gpu = dev.gpu()
        return "cuda" if gpu and "cuda" in gpu.api else "dml"
    if compute == "npu":
        npu = dev.npu()
        if npu and "qnn" in npu.api:
            return "qnn"
        if npu and "openvino" in npu.api:
            return "openvino"
        return "dml"
    return "cpu"


def olive_config(b: dict, ep: str | None = None) -> dict:
    """The workflow: ONNX Runtime GenAI's model builder at the chosen precision, for one execution provider.

    `input_model.model_path` and `output_dir` are placeholders that `olive_helper.py prepare` fills in at run time
    (the model path is data, never pasted into the file). int8 is fp32 + dynamic INT8 quantization; fp16 is only
    built for GPU providers (the builder has no fp16 on CPU), so a CPU run of an fp16 plan builds fp32.
    """
    ep = ep or b["ep"]
    precision = b["precision"]
    passes: dict = {}
    if ep == "openvino":
        passes["convert"] = {"type": "OpenVINOOptimumConversion", "extra_args": {"device": "npu"},
                             "ov_quant_config": {"weight_format": precision, "sym": True, "group_size": -1,
                                                 "ratio": 1.0}}
        passes["encapsulate"] = {"type": "OpenVINOEncapsulation", "target_device": "npu"}
    else:
        builder_precision = {"int8": "fp32", "fp16": "fp16" if ep in ("cuda", "dml") else "fp32"}.get(precision,
                                                                                                        precision)
        passes["builder"] = {"type": "ModelBuilder", "precision": builder_precision}
        if precision == "int8":
            passes["int8"] = {"type": "OnnxDynamicQuantization", "weight_type": "QInt8"}
    return {
        "input_model": {"type": "HfModel", "model_path": "<MODEL>"},
        "systems": {"local_system": {"type": "LocalSystem", "accelerators": [
            {"device": EP_DEVICE[ep], "execution_providers": [EP_NAMES[ep]]}]}},
        "passes": passes,
        "host": "local_system", "target": "local_system",
        "output_dir": "<OUT>", "log_severity_level": 1, "no_artifacts": True,
    }
