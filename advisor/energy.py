"""Answers, not tokens (pure): time to first token, answer time, average power, energy per answer and battery use
for one candidate and workload, each with an 80 % interval and what it rests on (docs/energy.md).

    ttft    = prompt / prefill speed                (a warm model: loading it is not counted)
    answer  = ttft + generated / decode speed
    energy  = P_prefill x t_prefill + P_decode x t_decode,   P_prefill = P_unit x prefill_power_ratio
    battery = energy / (battery Wh x 3600 J/Wh), per 100 answers

P_unit is the profile's own sourced figure for that compute unit (`power.active_w`) where it has one, otherwise the
power model fitted on public measurements (advisor/energy_fit.py). The time intervals come from the speed
intervals; a profile's `sustained` share (throttling after minutes of load) lowers the slow end further. Power and
time errors are taken as independent and combined in log space.
"""

from __future__ import annotations

from typing import Any

import math
from dataclasses import dataclass

from .schemas import DeviceProfile, Estimate, Prediction


@dataclass(frozen=True)
class EnergyKnowledge:
    consts: Any           # energy_data.EnergyFile
    model: Any            # energy_fit.PowerModel (fitted)
    rows: tuple = ()      # the energy_fit.PowerRow it was fitted on

    def device_rows(self, profile_id: str) -> int:
        return sum(1 for r in self.rows if r.profile == profile_id)


def handheld(dev: DeviceProfile) -> bool:
    return any(o in ("android", "ios") for o in dev.os)


def discrete_gpu(dev: DeviceProfile, unit: str) -> bool:
    gpu = dev.gpu()
    return unit == "gpu" and gpu is not None and gpu.memory_gb is not None


def unit_power(dev: DeviceProfile, unit: str, bandwidth_gbs: float, ek: EnergyKnowledge) -> tuple[Estimate, bool]:
    """Average device power (W) with the unit busy decoding, and whether it is the profile's own figure."""
    own = dev.power.active_w.get(unit) if dev.power else None  # type: ignore[call-overload]
    if own is not None:
        band = ek.consts.profile_power_band  # type: ignore[attr-defined]
        rows = ek.device_rows(dev.id)
        return Estimate(value=round(own, 3), low=round(own * band.low, 3), high=round(own * band.high, 3),
                        basis=f"the profile's {unit} power under LLM load ({own:g} W, sourced in the profile)",
                        evidence="engine", rows=rows), True
    m = ek.model  # type: ignore[assignment]
    hand, disc = handheld(dev), discrete_gpu(dev, unit)
    mid, lo, hi = m.predict(bandwidth_gbs, hand, unit, disc)
    kind = ", ".join(k for k, on in [("handheld", hand), ("NPU", unit == "npu"), ("graphics card", disc)] if on)
    thin = " — few such devices measured: wide" if m.thin(hand, unit) else ""
    return Estimate(value=round(mid, 3), low=round(lo, 3), high=round(hi, 3),
                    basis=(f"no measured power in the profile: power model at {bandwidth_gbs:g} GB/s"
                           f"{' (' + kind + ')' if kind else ''}, fitted on {m.n_rows_} public rows from "
                           f"{len(m.devices_)} devices, interval from its leave-one-device-out errors{thin}"),
                    evidence="proxy", rows=0), False


def _times(e: Estimate, tokens: int, slow: float) -> tuple[float, float, float]:
    """Seconds for `tokens` at speed `e`: value, fast end, slow end (the slow end throttled by `slow` <= 1)."""
    return tokens / max(e.value, 1e-9), tokens / max(e.high, 1e-9), tokens / max(e.low * slow, 1e-9)


def _combine(mid: float, t_lo: float, t_hi: float, p_lo: float, p_hi: float) -> tuple[float, float]:
    """Interval of a product of independent factors given each one's relative ends (log-space quadrature)."""
    dl = math.sqrt(math.log(t_lo) ** 2 + math.log(p_lo) ** 2)
    dh = math.sqrt(math.log(t_hi) ** 2 + math.log(p_hi) ** 2)
    return mid * math.exp(-dl), mid * math.exp(dh)


def answer_estimates(pred: Prediction, dev: DeviceProfile, bandwidth_gbs: float, prompt_tokens: int,
                     gen_tokens: int, ek: EnergyKnowledge | None) -> dict[str, Estimate | None]:
    """The five figures of one answer for a candidate (keys as in the plan JSON)."""
    unit = pred.compute
    share = dev.power.sustained_share(unit) if dev.power else None
    slow = share if share else 1.0
    throttle = (f"; the slow end assumes the {share:.0%} of burst speed left after minutes of load" if share and
                share < 1 else "")
    pf, dc = pred.prefill_tokens_per_s, pred.decode_tokens_per_s
    tp, tp_fast, tp_slow = _times(pf, prompt_tokens, slow)
    td, td_fast, td_slow = _times(dc, gen_tokens, slow)
    ttft = Estimate(value=round(tp, 4), low=round(tp_fast, 4), high=round(tp_slow, 4),
                    basis=f"{prompt_tokens} prompt tokens / prefill {pf.value:.0f} tok/s (warm model: loading it "
                          f"is not counted){throttle}", evidence=pf.evidence, rows=pf.rows)
    t, t_fast, t_slow = tp + td, tp_fast + td_fast, tp_slow + td_slow
    answer = Estimate(value=round(t, 4), low=round(t_fast, 4), high=round(t_slow, 4),
                      basis=f"time to first token + {gen_tokens} generated tokens / decode {dc.value:.1f} tok/s"
                            f"{throttle}", evidence=dc.evidence, rows=dc.rows)
    out: dict[str, Estimate | None] = {"ttft_s": ttft, "answer_s": answer, "power_w": None, "energy_j": None,
                                       "battery_pct_per_100_answers": None}
    if ek is None:
        return out
    p_dec, own = unit_power(dev, unit, bandwidth_gbs, ek)
    ratio = ek.consts.prefill_power_ratio  # type: ignore[attr-defined]
    r_mid = ratio.value or 1.0
    energy = p_dec.value * (r_mid * tp + td)
    avg = energy / t
    # power's relative ends: the unit's band and, on the prefill share of the time, the prefill ratio's
    frac = tp / t
    p_lo = (p_dec.low / p_dec.value) * (1 - frac + frac * ratio.low) / (1 - frac + frac * r_mid)
    p_hi = (p_dec.high / p_dec.value) * (1 - frac + frac * ratio.high) / (1 - frac + frac * r_mid)
    e_lo, e_hi = _combine(energy, t_fast / t, t_slow / t, p_lo, p_hi)
    ev, rows = p_dec.evidence, p_dec.rows
    power = Estimate(value=round(avg, 3), low=round(avg * p_lo, 3), high=round(avg * p_hi, 3),
                     basis=f"{p_dec.basis}; prefill at {r_mid:g}x that power ({ratio.low:g}-{ratio.high:g}x)",
                     evidence=ev, rows=rows)
    out["power_w"] = power
    out["energy_j"] = Estimate(value=round(energy, 3), low=round(e_lo, 3), high=round(e_hi, 3),
                               basis=f"power x time by phase: prefill {tp:.2f} s at {p_dec.value * r_mid:.1f} W + "
                                     f"decode {td:.2f} s at {p_dec.value:.1f} W; power and time errors combined",
                               evidence=ev, rows=rows)
    wh = dev.power.battery_wh if dev.power else None
    if wh:
        k = 100 * 100 / (wh * 3600)
        out["battery_pct_per_100_answers"] = Estimate(
            value=round(energy * k, 4), low=round(e_lo * k, 4), high=round(e_hi * k, 4),
            basis=f"100 answers x {energy:.0f} J of a {wh:g} Wh battery", evidence=ev, rows=rows)
    return out
