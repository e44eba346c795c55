"""The power model (pure, scikit-learn style): average device power while an LLM answers, from what every profile
states — the bandwidth of the memory the weights stream from, whether the device is handheld, and whether an NPU
runs it — fitted on public measurements (knowledge/data/energy_measurements.csv; docs/energy.md).

    log P = a + b log(bandwidth GB/s) + c [handheld] + d [npu] + e [graphics card] (+ f [row measured a part only])

Bandwidth stands in for the size of the chip and its memory system (a 17 GB/s board draws ~13 W, a 1 TB/s GPU
box ~260 W). Each device weighs one in the fit however many rows it has. A coefficient whose feature no training
device has stays 0 (a small ridge keeps the solve defined), so a held-out phone with no other phone in the data is
predicted like a board or laptop of its bandwidth — the leave-one-device-out figure shows what that costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is needed to fit, not to predict: a plan that reads a fitted model never imports it
    import numpy as np

FEATURES = ("intercept", "log_bandwidth", "handheld", "npu", "component", "discrete")
# ridge per coefficient: none on the intercept, almost none on the slope, some on the indicators so that one or two
# devices cannot swing them far (they shrink towards 0 where evidence is thin)
RIDGE = (0.0, 1e-3, 0.3, 0.3, 0.3, 0.3)
# rows that measured only a part of the device (SoC package, GPU board) rather than the whole device
COMPONENT_KINDS = ("package", "gpu-board")


@dataclass(frozen=True)
class PowerRow:
    device: str
    form: str          # handheld | board | laptop | desktop
    unit: str          # cpu | gpu | npu
    bandwidth_gbs: float
    power_w: float
    decode_tps: float | None = None
    profile: str | None = None
    source_url: str = ""
    power_kind: str = "wall-peak"
    discrete: bool = False  # a GPU with its own memory (a graphics card): the host around it draws too


def features(bandwidth_gbs: float, handheld: bool, unit: str, discrete: bool = False,
             component: bool = False) -> list[float]:
    """The whole device is predicted (component False); rows that measured a part carry the indicator."""
    return [1.0, math.log(max(bandwidth_gbs, 0.01)), 1.0 if handheld else 0.0, 1.0 if unit == "npu" else 0.0,
            1.0 if component else 0.0, 1.0 if discrete else 0.0]


def _row_features(r: PowerRow) -> list[float]:
    return features(r.bandwidth_gbs, r.form == "handheld", r.unit, r.discrete, r.power_kind in COMPONENT_KINDS)


def _design(rows: list[PowerRow]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    import numpy as np

    x = np.array([_row_features(r) for r in rows])
    y = np.log(np.array([r.power_w for r in rows]))
    per_device: dict[str, int] = {}
    for r in rows:
        per_device[r.device] = per_device.get(r.device, 0) + 1
    w = np.array([1.0 / per_device[r.device] for r in rows])
    return x, y, w


class PowerModel:
    """fit(rows) learns coef_ (log-space), band_ (10th/90th percentile of the leave-one-device-out log errors) and
    the row/device counts; predict() gives (value, low, high) in watts."""

    def __init__(self, quantiles: tuple[float, float] = (0.1, 0.9)):
        self.quantiles = quantiles

    def fit(self, rows: list[PowerRow]) -> "PowerModel":
        if not rows:
            raise ValueError("no power rows to fit")
        self.coef_ = tuple(float(c) for c in _solve(rows))
        self.n_rows_ = len(rows)
        self.devices_ = sorted({r.device for r in rows})
        self.forms_ = {f: len({r.device for r in rows if r.form == f}) for f in {r.form for r in rows}}
        self.npu_devices_ = len({r.device for r in rows if r.unit == "npu"})
        errs = [e for _, e in lodo_errors(rows)]
        lo, hi = (_quantile(errs, q) for q in self.quantiles) if len(errs) >= 5 else (-1.0, 1.0)
        self.band_ = (min(lo, -0.1), max(hi, 0.1))
        return self

    def predict_log(self, bandwidth_gbs: float, handheld: bool, unit: str, discrete: bool = False) -> float:
        return _dot(self.coef_, features(bandwidth_gbs, handheld, unit, discrete))

    def predict(self, bandwidth_gbs: float, handheld: bool, unit: str,
                discrete: bool = False) -> tuple[float, float, float]:
        """Watts with an 80 % interval, widened 1.5x in log space where the device's kind rests on fewer than three
        devices in the data (handheld, NPU): thin data, wide interval."""
        if not hasattr(self, "coef_"):
            raise RuntimeError("PowerModel is not fitted")
        mid = self.predict_log(bandwidth_gbs, handheld, unit, discrete)
        lo, hi = self.band_
        if (handheld and self.forms_.get("handheld", 0) < 3) or (unit == "npu" and self.npu_devices_ < 3):
            lo, hi = lo * 1.5, hi * 1.5
        return math.exp(mid), math.exp(mid + lo), math.exp(mid + hi)

    def thin(self, handheld: bool, unit: str) -> bool:
        return (handheld and self.forms_.get("handheld", 0) < 3) or (unit == "npu" and self.npu_devices_ < 3)


def _dot(coef, feats: list[float]) -> float:
    return float(sum(c * f for c, f in zip(coef, feats, strict=True)))


def _quantile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.quantile(values, q))


def _solve(rows: list[PowerRow]) -> np.ndarray:
    import numpy as np

    x, y, w = _design(rows)
    sw = np.sqrt(w)[:, None]
    xa, ya = x * sw, y * sw.ravel()
    reg = np.diag(RIDGE)
    return np.linalg.solve(xa.T @ xa + reg, xa.T @ ya)


def lodo_errors(rows: list[PowerRow]) -> list[tuple[PowerRow, float]]:
    """Leave one device out: for every row, log(predicted / measured) from a fit on the other devices' rows."""
    out: list[tuple[PowerRow, float]] = []
    for dev in sorted({r.device for r in rows}):
        train = [r for r in rows if r.device != dev]
        if not train:
            continue
        coef = _solve(train)
        for r in rows:
            if r.device == dev:
                pred = _dot(coef, _row_features(r))
                out.append((r, pred - math.log(r.power_w)))
    return out
