"""Local speed corrections from stored probes: mean log(measured / predicted) per engine, shrunk toward 0."""

from __future__ import annotations

import math
from collections import defaultdict

from ..calibration import Calibration, SpeedEstimate
from ..speedmodel import SpeedInput
from .spec import ProbeResult

LAST_N = 20  # newest probes per key that count
PRIOR = 1.0  # pseudo-probes at ratio 1 (log 0): one probe moves the prediction half-way


def corrections(results: list[ProbeResult]) -> tuple[dict[str, float], dict[str, int]]:
    logs: dict[str, list[float]] = defaultdict(list)
    for r in sorted(results, key=lambda r: r.id or 0, reverse=True):
        if not (r.ok and r.predicted) or r.under_load:  # a busy machine's speeds are not this machine's
            continue
        engine = f"{r.backend}-cpu"  # probes run on this machine's CPU
        for kind in ("decode", "prefill"):
            m, p = getattr(r.measured, f"{kind}_tokens_per_s"), r.predicted.get(f"{kind}_tokens_per_s")
            key = f"{kind}:{engine}"
            if m and p and m > 0 and p > 0 and len(logs[key]) < LAST_N:
                logs[key].append(math.log(m / p))
    corr = {k: sum(v) / (len(v) + PRIOR) for k, v in logs.items() if v}
    return corr, {k: len(v) for k, v in logs.items() if v}


def quality_corrections(results: list[ProbeResult], arch_of) -> tuple[dict[str, float], dict[str, int]]:
    """Mean log(measured / predicted perplexity increase) per backend, quant and architecture, shrunk toward 0.

    Only probes whose reference perplexity is meaningful (a real trained model, not the 2-layer test cut) count.
    `arch_of(model_name)` gives the probe model's architecture (config.json model_type) or None.
    """
    logs: dict[str, list[float]] = defaultdict(list)
    for r in sorted(results, key=lambda r: r.id or 0, reverse=True):
        m = r.measured
        p = (r.predicted or {}).get("ppl_increase_pct")
        if not (r.ok and m.ppl_increase_pct and p and m.perplexity_ref and m.perplexity_ref < 1000):
            continue
        arch = arch_of(r.model)
        key = f"quality:{r.backend}:{r.quant.upper()}:{arch}"
        if arch and len(logs[key]) < LAST_N:
            logs[key].append(math.log(max(m.ppl_increase_pct, 1e-3) / max(p, 1e-3)))
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

    def speed(self, kind: str, x: SpeedInput, like: list[str]) -> SpeedEstimate:
        e = super().speed(kind, x, like)
        key = f"{kind}:{x.engine}"
        if key not in self.local:
            return e
        note = f"; x{math.exp(self.local[key]):.2f} local correction from {self.counts.get(key, 0)} probe(s) on this machine"
        return SpeedEstimate(e.value, e.low, e.high, e.basis + note, e.evidence, e.rows)

    def quality(self, fmt, params_b: float, architecture: str | None = None):
        mid, lo, hi, basis = super().quality(fmt, params_b, architecture)
        key = f"quality:{fmt.backend}:{fmt.quant.upper()}:{architecture}"
        if key in self.local and fmt.family != "float":
            basis += (f"; x{math.exp(self.local[key]):.2f} from {self.counts.get(key, 0)} probe(s) of "
                      f"{fmt.backend} {fmt.quant} on a {architecture} model here")
        return mid, lo, hi, basis
