"""Local speed corrections from stored probes: mean log(measured / predicted) per engine, shrunk toward 0."""

from __future__ import annotations

import math
from collections import defaultdict

from ..calibration import Calibration, SpeedFeatures
from .spec import ProbeResult

LAST_N = 20  # newest probes per key that count
PRIOR = 1.0  # pseudo-probes at ratio 1 (log 0): one probe moves the prediction half-way


def corrections(results: list[ProbeResult]) -> tuple[dict[str, float], dict[str, int]]:
    logs: dict[str, list[float]] = defaultdict(list)
    for r in sorted(results, key=lambda r: r.id or 0, reverse=True):
        if not (r.ok and r.predicted):
            continue
        engine = f"{r.backend}-cpu"  # probes run on this machine's CPU
        for kind in ("decode", "prefill"):
            m, p = getattr(r.measured, f"{kind}_tokens_per_s"), r.predicted.get(f"{kind}_tokens_per_s")
            key = f"{kind}:{engine}"
            if m and p and m > 0 and p > 0 and len(logs[key]) < LAST_N:
                logs[key].append(math.log(m / p))
    corr = {k: sum(v) / (len(v) + PRIOR) for k, v in logs.items() if v}
    return corr, {k: len(v) for k, v in logs.items() if v}


class LocalCalibration(Calibration):
    """The shipped calibration plus this machine's probe corrections, named in each speed basis."""

    counts: dict[str, int]

    @classmethod
    def wrap(cls, cal: Calibration, corr: dict[str, float], counts: dict[str, int]) -> "LocalCalibration":
        new = cls({**cal.data, "local": {**cal.local, **corr}})
        new.counts = counts
        return new

    def _note(self, kind: str, f: SpeedFeatures, basis: str) -> str:
        key = f"{kind}:{f.engine}"
        if key not in self.local:
            return basis
        return (f"{basis}; x{math.exp(self.local[key]):.2f} local correction from {self.counts.get(key, 0)} "
                f"probe(s) on this machine")

    def decode(self, f: SpeedFeatures):
        mid, lo, hi, basis = super().decode(f)
        return mid, lo, hi, self._note("decode", f, basis)

    def prefill(self, f: SpeedFeatures):
        mid, lo, hi, basis = super().prefill(f)
        return mid, lo, hi, self._note("prefill", f, basis)
