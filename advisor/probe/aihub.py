"""Qualcomm AI Hub as a remote device farm for QNN probes: the probe model's FP32 ONNX (the one the local QNN probe
quantizes) goes through a quantize job (w8a16 = INT8 weights / INT16 activations, calibrated on the probe's
held-out calibration text), a compile job (QNN context binary for the device) and a profile job on the real
device; the profile's figures are stored beside local probes, with the profile job's URL as their source.

Everything before the first API call runs offline with qai-hub's own classes (Device, QuantizeDtype, the profile
dict its client builds). Without a token (~/.qai_hub/client.ini or QAIHUB_CLIENT_INI) the command stops before
anything is submitted or written: one line, exit 3."""

from __future__ import annotations

from typing import Any

import logging
import time
from pathlib import Path

from ..errors import AdvisorError, BackendMissing, InputError, RemoteUnavailable
from .spec import Measured, ProbeRequest, ProbeResult

log = logging.getLogger(__name__)

DTYPES = {"W8A16": ("INT8", "INT16"), "W8A8": ("INT8", "INT8")}  # probe quant -> (weights, activations)
COMPILE_OPTIONS = "--target_runtime qnn_context_binary"
TOKEN_FIX = ("run `qai-hub configure --api_token TOKEN` with the API token from https://aihub.qualcomm.com "
             "(Account > Settings), or drop --aihub-device")


def _hub():
    try:
        import qai_hub
    except ImportError:
        raise BackendMissing("qnn", "qai_hub") from None
    return qai_hub


def config_path() -> Path:
    """Where qai-hub reads its token (its own rule: QAIHUB_CLIENT_INI, else ~/.qai_hub/client.ini)."""
    _hub()
    from qai_hub.api_utils import get_config_path

    return Path(get_config_path())


def require_token() -> Path:
    """The token file, or RemoteUnavailable (exit 3) before anything is submitted or written."""
    p = config_path()
    if not p.is_file():
        raise RemoteUnavailable(f"no Qualcomm AI Hub token ({p} does not exist): {TOKEN_FIX}")
    return p


def hub_device(name: str):
    """qai_hub.Device for a device name as AI Hub lists it (e.g. "Samsung Galaxy S24"); checked by the service."""
    if not name or not name.strip() or len(name) > 200:
        raise InputError("--aihub-device: give a device name as `qai-hub list-devices` prints it, e.g. "
                         "'Samsung Galaxy S24'")
    return _hub().Device(name.strip())


def quantize_dtypes(quant: str):
    """(weights, activations) as qai_hub.QuantizeDtype for a QNN probe quantization."""
    q = quant.upper()
    if q not in DTYPES:
        raise InputError(f"AI Hub probes make {', '.join(DTYPES)}; not {quant!r}")
    hub = _hub()
    return tuple(getattr(hub.QuantizeDtype, t) for t in DTYPES[q])


def quantize_args(src, calib: dict, quant: str, name: str) -> dict:
    """qai_hub.submit_quantize_job's arguments: the FP32 ONNX, its calibration samples, the dtypes of `quant`."""
    w, a = quantize_dtypes(quant)
    return {"model": str(src), "calibration_data": calib, "weights_dtype": w, "activations_dtype": a, "name": name}


def compile_args(model, device, name: str) -> dict:
    """qai_hub.submit_compile_job's arguments: a QNN context binary for the device."""
    return {"model": model, "device": device, "options": COMPILE_OPTIONS, "name": name}


def profile_args(model, device, name: str) -> dict:
    """qai_hub.submit_inference_job's arguments with profile=True (submit_profile_job is deprecated in 0.56)."""
    return {"model": model, "device": device, "profile": True, "name": name}


def measured_from_profile(profile: dict, url: str, device: str) -> Measured:
    """A profile job's execution summary (microseconds, bytes) as probe figures. The profiled model is one decode
    step with the KV cache, so one inference is one generated token."""
    s = profile.get("execution_summary") if isinstance(profile, dict) else None
    if not isinstance(s, dict):
        raise AdvisorError(f"AI Hub profile {url} has no execution_summary; open it in a browser to see why")
    t_us, peak, load = s.get("estimated_inference_time"), s.get("estimated_inference_peak_memory"), s.get(
        "first_load_time")
    t_us, peak, load = (v if isinstance(v, (int, float)) and v > 0 else None for v in (t_us, peak, load))
    units: dict[str, int] = {}
    for layer in profile.get("execution_detail") or []:
        if isinstance(layer, dict) and layer.get("compute_unit"):
            units[layer["compute_unit"]] = units.get(layer["compute_unit"], 0) + 1
    notes = [f"measured on {device} by Qualcomm AI Hub: {url}"]
    if units:
        notes.append("layers per compute unit: " + ", ".join(f"{k} {v}" for k, v in sorted(units.items())))
    return Measured(decode_tokens_per_s=1e6 / t_us if t_us else None,
                    peak_memory_gib=peak / 2**30 if peak else None, load_s=load / 1e6 if load else None,
                    method=f"Qualcomm AI Hub quantize + compile ({COMPILE_OPTIONS}) + profile on {device}",
                    notes=notes)


def _wait(job, what: str, step) -> None:
    step(f"AI Hub {what}: {job.url}")
    status = job.wait()
    if not getattr(status, "success", False):
        raise AdvisorError(f"AI Hub {what} job {job.url} did not succeed ({getattr(status, 'message', status)})")


def hub_probe(req: ProbeRequest, device: str, step=None) -> ProbeResult:
    """Quantize, compile and profile the probe model on an AI Hub device. Never raises for the jobs themselves:
    a job that fails, or a network that fails, gives ok=False with the reason (the token is checked first)."""
    from . import models
    from .env import environment

    step = step or (lambda msg: None)
    require_token()
    dev = hub_device(device)
    quantize_dtypes(req.quant)
    env = {**environment(req.threads), "node": f"aihub:{device}"}
    base: dict[str, Any] = dict(backend="qnn", quant=req.quant.upper(), env=env)
    t0 = time.perf_counter()
    try:
        pm = models.resolve(req.model)
        src, calib = _inputs(pm, req)
        hub = _hub()
        name = f"advisor-{pm.name}-{req.quant.lower()}"
        qjob = hub.submit_quantize_job(**quantize_args(src, calib, req.quant, name))
        _wait(qjob, "quantize", step)
        cjob = hub.submit_compile_job(**compile_args(qjob.get_target_model(), dev, name))
        _wait(cjob, "compile", step)
        pjob = hub.submit_inference_job(**profile_args(cjob.get_target_model(), dev, name))
        _wait(pjob, "profile", step)
        measured = measured_from_profile(pjob.download_profile(), pjob.url, device)
    except AdvisorError as exc:
        return ProbeResult(**base, model=req.model, ok=False, reason=str(exc), wall_s=time.perf_counter() - t0)
    except Exception as exc:  # qai_hub.client.Error and network errors: the cell fails with the reason
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        return ProbeResult(**base, model=req.model, ok=False, reason=f"AI Hub: {exc.__class__.__name__}: {first}",
                           wall_s=time.perf_counter() - t0)
    env["source"] = pjob.url
    return ProbeResult(**base, model=pm.name, ok=True, measured=measured, wall_s=round(time.perf_counter() - t0, 2))


def _inputs(pm, req: ProbeRequest):
    """The FP32 ONNX with past_key_values (cached by the local QNN/Olive probes; built in a worker subprocess like
    `advisor probe` builds it when missing) and calibration samples as {input name: [arrays]}."""
    from .backends.olive import base_onnx
    from .backends.onnx_loop import kv_dims
    from .backends.qnn import calibration_feeds

    if not (pm.root / "base" / "onnx-fp32-past" / "advisor-build.json").is_file() or not pm.reference.is_file():
        from .runner import run_probe

        run_probe(req.model_copy(update={"backend": "qnn"}), save=False)  # builds the export in its subprocess
    src, _ = base_onnx(pm)
    from .models import load_reference

    _, _, calib = load_reference(pm, req.prompt_tokens)
    feeds = calibration_feeds(src, calib, kv_dims(pm.hf_dir))
    return src, {name: [f[name] for f in feeds] for name in feeds[0]}
