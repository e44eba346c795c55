"""Ranking (pure): constraints checked with each violation named, Pareto front, a score, best first."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .schemas import Candidate, Constraints, Prediction, ViolationKind

# weights of (speed, quality, size) in the score, by --priority
PRIORITY_WEIGHTS = {
    "balanced": (0.4, 0.4, 0.2),
    "speed": (0.7, 0.2, 0.1),
    "quality": (0.2, 0.7, 0.1),
    "size": (0.2, 0.2, 0.6),
    "latency": (0.6, 0.3, 0.1),     # answer time for the workload
    "battery": (0.05, 0.3, 0.05),   # + ENERGY_WEIGHT: energy per answer
}
# weight of the energy term (energy per answer on a log scale) by --priority; absent: 0 (docs/policy.md#ranking)
ENERGY_WEIGHT = {"battery": 0.6}


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    text: str


@dataclass(frozen=True)
class Scored:
    pred: Prediction
    violations: list[Violation]
    reasons: list[str]
    rule_path: list[str]
    runs_here: bool


def violations(pred: Prediction, cons: Constraints, usable_gib: float, scope: str) -> list[Violation]:
    """`usable_gib`, `scope`: the route's MemoryLimit (predict.memory_limit)."""
    out = []
    peak = pred.peak_memory_gib.value
    if peak > usable_gib:
        out.append(Violation("memory", f"peak memory {peak:.2f} GiB exceeds the {usable_gib:.2f} GiB usable {scope}"))
    if cons.max_memory_gb is not None and peak > cons.max_memory_gb:
        out.append(Violation("max_memory", f"peak memory {peak:.2f} GiB > --max-memory-gb {cons.max_memory_gb:g}"))
    d = pred.decode_tokens_per_s.value
    if cons.min_decode_tps is not None and d < cons.min_decode_tps:
        out.append(Violation("min_decode", f"decode {d:.1f} tok/s < --min-decode-tps {cons.min_decode_tps:g}"))
    p = pred.prefill_tokens_per_s.value
    if cons.min_prefill_tps is not None and p < cons.min_prefill_tps:
        out.append(Violation("min_prefill", f"prefill {p:.1f} tok/s < --min-prefill-tps {cons.min_prefill_tps:g}"))
    q = pred.ppl_increase_pct.value
    if cons.max_quality_loss is not None and q > cons.max_quality_loss:
        out.append(Violation("max_quality_loss", f"perplexity +{q:.2f}% > --max-quality-loss {cons.max_quality_loss:g}%"))
    if cons.max_ttft_s is not None and pred.ttft_s is not None and pred.ttft_s.value > cons.max_ttft_s:
        out.append(Violation("max_ttft", f"time to first token {pred.ttft_s.value:.2f} s > --max-ttft-s "
                                         f"{cons.max_ttft_s:g}"))
    if cons.max_energy_j is not None:
        if pred.energy_j is None:
            out.append(Violation("energy_unknown", "energy per answer unknown (no energy model loaded) while "
                                                   "--max-energy-j is set"))
        elif pred.energy_j.value > cons.max_energy_j:
            out.append(Violation("max_energy", f"energy {pred.energy_j.value:.1f} J per answer > --max-energy-j "
                                               f"{cons.max_energy_j:g}"))
    return out


def _point(p: Prediction) -> tuple[float, float, float, float]:
    """What the front compares: memory, decode, prefill (what a long prompt waits on) and quality loss."""
    return (p.peak_memory_gib.value, -p.decode_tokens_per_s.value, -p.prefill_tokens_per_s.value,
            p.ppl_increase_pct.value)


def pareto(preds: list[Prediction]) -> list[bool]:
    """Not dominated by any other candidate: no other is at least as good on every dimension of `_point` and
    better on one (each candidate's point read once: a sweep ranks tens of thousands of candidates). Prefill is a
    dimension of its own: a candidate that prefills several times faster is not beaten by one that only decodes a
    little faster."""
    pts = [_point(p) for p in preds]
    return [not any(o[0] <= v[0] and o[1] <= v[1] and o[2] <= v[2] and o[3] <= v[3] and o != v
                    for j, o in enumerate(pts) if j != i)
            for i, v in enumerate(pts)]


def cautious(e) -> float:
    """A speed judged between its middle and the low end of its 80 % interval (their geometric mean, about the
    30th percentile in log space): a figure resting on little, with a wide interval, is judged by what it may turn
    out to be, so a guess cannot win on its optimistic middle (docs/policy.md#ranking)."""
    return math.sqrt(max(e.value, 1e-9) * max(e.low, 1e-9))


def answer_seconds(p: Prediction, prompt_tokens: int, gen_tokens: int) -> float:
    """Time to answer the workload: prompt / prefill + generated / decode, on cautious speeds; a prompt-heavy
    workload weighs prefill accordingly."""
    return prompt_tokens / cautious(p.prefill_tokens_per_s) + gen_tokens / cautious(p.decode_tokens_per_s)


def scores(preds: list[Prediction], priority: str, prompt_tokens: int = 512, gen_tokens: int = 128) -> list[float]:
    """0..1: answer time on a log scale relative to the quickest (a tenth of its speed scores 0), quality and size
    relative to the best."""
    if not preds:
        return []
    ws, wq, wm = PRIORITY_WEIGHTS[priority]
    we = ENERGY_WEIGHT.get(priority, 0.0)
    times = [answer_seconds(p, prompt_tokens, gen_tokens) for p in preds]
    quickest = min(times)
    small = min(p.peak_memory_gib.value for p in preds)
    energies = [energy_cautious(p) for p in preds]
    least = min((e for e in energies if e is not None), default=None)
    out = []
    for p, t, e in zip(preds, times, energies):
        speed = 1.0 + math.log(quickest / t) / math.log(10)
        quality = 1.0 / (1.0 + p.ppl_increase_pct.value / 5.0)  # +5 % perplexity halves the quality score
        size = small / max(p.peak_memory_gib.value, 1e-6)
        # energy like speed: 1 for the least energy per answer, 0 at ten times more; unknown energy scores 0
        energy = 1.0 + math.log(least / e) / math.log(10) if (e is not None and least) else 0.0
        out.append(round(ws * max(speed, 0.0) + wq * quality + wm * size + we * max(energy, 0.0), 4))
    return out


def energy_cautious(p: Prediction) -> float | None:
    """Energy per answer judged between its middle and the high end of its interval (the mirror of `cautious`)."""
    e = p.energy_j
    if e is None:
        return None
    return math.sqrt(max(e.value, 1e-9) * max(e.high, 1e-9))


def rank(items: list[Scored], cons: Constraints) -> list[Candidate]:
    feasible = [i for i in items if not i.violations]
    pool = feasible or items
    front = dict(zip((id(i) for i in pool), pareto([i.pred for i in pool])))
    sc = dict(zip((id(i) for i in items), scores([i.pred for i in items], cons.priority, cons.prompt_tokens,
                                                 cons.gen_tokens)))
    cands = []
    for i in items:
        on_front = front.get(id(i), False)
        reasons = list(i.reasons) + (["on the Pareto front (no other candidate is smaller, faster and better at once)"] if on_front else [])
        # built from validated parts (a Prediction, checked figures): model_construct skips a validator that is
        # ~7 ms of every cold plan to build; tests/core/test_plain.py validates every shipped profile's plans
        cands.append(Candidate.model_construct(
            **dict(i.pred), feasible=not i.violations, violations=[v.text for v in i.violations],
            violation_kinds=[v.kind for v in i.violations], score=sc[id(i)], reasons=reasons,
            pareto=on_front, rule_path=i.rule_path, runs_here=i.runs_here,
        ))
    # A guess never outranks a measurement: candidates whose decode speed is borrowed from another engine (proxy)
    # come after those backed by measurements of their own engine.
    cands.sort(key=lambda c: (not c.feasible, len(c.violations), c.decode_tokens_per_s.evidence == "proxy",
                              not c.pareto, -c.score))
    return cands
