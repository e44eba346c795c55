"""The Pareto front a plan marks is exactly the set of candidates no other one dominates (memory, decode speed,
prefill speed, quality) among the feasible ones: the fast path in rank.pareto agrees with the pairwise definition."""

from __future__ import annotations

import pytest

from advisor.calibration import load_calibration
from advisor.planner import make_plan
from advisor.schemas import Constraints


def _naive(cands) -> list[bool]:
    pts = [(c.peak_memory_gib.value, -c.decode_tokens_per_s.value, -c.prefill_tokens_per_s.value,
            c.ppl_increase_pct.value) for c in cands]
    return [not any(all(x <= y for x, y in zip(o, v)) and o != v for j, o in enumerate(pts) if j != i)
            for i, v in enumerate(pts)]


@pytest.mark.parametrize("device, model", [("raspberry-pi-5-8gb", "llama-3.2-1b-instruct"),
                                           ("apple-m2-16gb", "qwen2.5-7b-instruct"),
                                           ("galaxy-s24-ultra", "phi-3.5-mini-instruct")])
def test_pareto_flags_match_the_pairwise_definition(kb, profs, device, model):
    plan = make_plan(profs[device], kb.models[model], Constraints(), kb, load_calibration())
    pool = [c for c in plan.candidates if c.feasible] or plan.candidates  # the front is drawn among the feasible
    assert len(pool) > 3
    assert [c.pareto for c in pool] == _naive(pool)
    assert not any(c.pareto for c in plan.candidates if c not in pool)
