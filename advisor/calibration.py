"""Fitted parameters of the predictors and how to apply them (pure; loading is the only I/O, done once).

The speed models are log-linear: log(measured / physical bound) for decode and log(tokens/s x params) for
prefill, each a linear function of named features built by `speed_features()` — the same function at fit time
(advisor/fit.py) and at prediction time. Intervals are empirical quantiles of leave-one-device-out residuals
(split-conformal style), per engine where enough rows exist.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import paths
from .errors import KnowledgeError

# Engines with no public measurements borrow a measured engine's fit; the interval is widened by PROXY_WIDEN.
ENGINE_PROXIES = {
    "olive-cpu": "llamacpp-cpu",
    "openvino-cpu": "llamacpp-cpu",
    "mlx-cpu": "llamacpp-cpu",
    "openvino-npu": "qnn-npu",
    "olive-npu": "qnn-npu",
    "olive-gpu-cuda": "llamacpp-gpu-cuda",
    "olive-gpu-directml": "llamacpp-gpu-vulkan",
    "llamacpp-gpu-opencl": "llamacpp-gpu-vulkan",
    "llamacpp-gpu-sycl": "llamacpp-gpu-vulkan",
    "llamacpp-gpu-rocm": "llamacpp-gpu-cuda",
    "qnn-gpu": "llamacpp-gpu-vulkan",
}
PROXY_WIDEN = 1.5


@dataclass(frozen=True)
class SpeedFeatures:
    backend: str
    compute: str
    api: str
    device_class: str
    bandwidth_gbs: float
    weights_gib: float  # bytes read per token for the weights (MoE: active part)
    params_b: float  # active parameters, billions
    family: str
    bits: float

    @property
    def engine(self) -> str:
        """The calibration group: backend and compute unit, plus the API for GPUs (metal, cuda, vulkan, ...)."""
        return f"{self.backend}-{self.compute}" + (f"-{self.api}" if self.compute == "gpu" else "")


def speed_features(f: SpeedFeatures, engine: str | None = None) -> dict[str, float]:
    e = engine or f.engine
    return {
        f"engine={e}": 1.0,
        "log_weights_gib": math.log(max(f.weights_gib, 1e-3)),
        "log_bandwidth": math.log(max(f.bandwidth_gbs, 1e-3)),
        "low_bits": max(0.0, 8.0 - f.bits) / 4.0,
        f"family={f.family}": 1.0,
        "cpu": 1.0 if f.compute == "cpu" else 0.0,
    }


@dataclass(frozen=True)
class LogLinear:
    """A fitted log-space linear model with empirical residual quantiles (low, high) per engine."""

    intercept: float
    coef: dict[str, float]
    resid: dict[str, list[float]]  # key -> [q_low, q_high, n]
    n_rows: int
    engines: dict[str, int]

    def apply(self, x: dict[str, float]) -> float:
        return self.intercept + sum(self.coef.get(k, 0.0) * v for k, v in x.items())

    def band(self, engine: str) -> tuple[float, float, int]:
        r = self.resid.get(engine) or self.resid["global"]
        return r[0], r[1], int(r[2])

    @classmethod
    def from_dict(cls, d: dict) -> "LogLinear":
        return cls(intercept=d["intercept"], coef=d["coef"], resid=d["resid"], n_rows=d["n_rows"], engines=d["engines"])


class Calibration:
    """Everything the pure predictors need beyond knowledge/: fitted speed, quality and size parameters."""

    def __init__(self, data: dict):
        self.data = data
        self.decode_model = LogLinear.from_dict(data["decode"])
        self.prefill_model = LogLinear.from_dict(data["prefill"])
        self.q = data["quality"]
        self.size = data["size"]
        self.local = data.get("local", {})  # probe-derived corrections for this machine (issue: probes)

    # ----------------------------------------------------------- size
    def size_rel_error(self, family: str) -> float:
        s = self.size.get(family) or self.size["default"]
        return float(s["rel_error"])

    def size_basis(self, family: str) -> str:
        s = self.size.get(family)
        return f"{s['n']} published sizes" if s else "no published sizes for this family; default band"

    # ----------------------------------------------------------- memory
    def overhead_gib(self, backend: str, vocab: int, hidden: int, kb=None) -> tuple[float, str]:
        """Runtime memory beyond weights and KV cache, from the backend's `runtime_overhead` in
        knowledge/backends.yaml (sourced there; not fitted)."""
        if kb is None:
            from .knowledge import load_knowledge

            kb = load_knowledge()
        return kb.backends[backend].runtime_overhead.gib(vocab, hidden)

    # ----------------------------------------------------------- speed
    def _engine(self, model: LogLinear, f: SpeedFeatures) -> tuple[str, float, str]:
        e = f.engine
        if f"engine={e}" in model.coef:
            return e, 1.0, f"{model.engines.get(e, 0)} public rows for {e}"
        proxy = ENGINE_PROXIES.get(e)
        if proxy and f"engine={proxy}" in model.coef:
            return proxy, PROXY_WIDEN, f"no public rows for {e}; borrowed {proxy} ({model.engines.get(proxy, 0)} rows), interval widened"
        return e, PROXY_WIDEN * 1.5, f"no public rows for {e} or a proxy; all-engine average, interval widened"

    def decode(self, f: SpeedFeatures) -> tuple[float, float, float, str]:
        """Multipliers of the bandwidth bound: (mid, low, high, basis)."""
        m = self.decode_model
        engine, widen, basis = self._engine(m, f)
        y = m.apply(speed_features(f, engine))
        lo, hi, n = m.band(engine)
        y += self.local.get(f"decode:{f.engine}", 0.0)
        mid = math.exp(y)
        return mid, mid * math.exp(lo * widen), mid * math.exp(hi * widen), f"achieved fraction {mid:.2f} ({basis})"

    def prefill(self, f: SpeedFeatures) -> tuple[float, float, float, str]:
        """Prefill tokens/s: (mid, low, high, basis)."""
        m = self.prefill_model
        engine, widen, basis = self._engine(m, f)
        y = m.apply(speed_features(f, engine)) - math.log(max(f.params_b, 1e-3))
        y += self.local.get(f"prefill:{f.engine}", 0.0)
        lo, hi, n = m.band(engine)
        mid = math.exp(y)
        return mid, mid * math.exp(lo * widen), mid * math.exp(hi * widen), f"log-linear fit on bandwidth and size ({basis})"

    # ----------------------------------------------------------- quality
    def quality(self, fmt, params_b: float, architecture: str | None = None) -> tuple[float, float, float, str]:
        """Perplexity increase in % (mid, low, high, basis); probe corrections apply per backend, quant and
        architecture."""
        quant = (fmt.quality_proxy or fmt.quant).upper() if fmt.backend != "llamacpp" else fmt.quant.upper()
        if fmt.family == "float":
            return 0.0, 0.0, 0.1, "unquantized (16-bit): no loss beyond rounding"
        a = self.q["intercepts"].get(quant)
        if a is None:
            raise KnowledgeError(f"no quality prior for {quant}; add it to knowledge/data/quant_quality.csv and rerun calibrate")
        y = a + self.q["slope_log_params"] * math.log(max(params_b, 0.01))
        y += self.local.get(f"quality:{fmt.backend}:{fmt.quant.upper()}:{architecture}", 0.0)
        lo, hi = self.q["resid"]
        widen = fmt.quality_uncertainty
        mid = math.exp(y)
        via = f" via {quant}, interval x{widen:g}" if fmt.backend != "llamacpp" else ""
        basis = (f"llama.cpp perplexity priors ({self.q['n_rows']} rows, {self.q['counts'].get(quant, 0)} for {quant}), "
                 f"size slope {self.q['slope_log_params']:.2f}{via}")
        return mid, mid * math.exp(lo * widen), mid * math.exp(hi * widen), basis


@lru_cache(maxsize=4)
def load_calibration(path: Path | None = None) -> Calibration:
    p = path or paths.CALIBRATION_FILE
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{p} is missing; run `advisor calibrate --rebuild`") from None
    except (OSError, ValueError) as exc:
        raise KnowledgeError(f"{p} is unreadable ({exc.__class__.__name__}); run `advisor calibrate --rebuild`") from None
    return Calibration(data)
