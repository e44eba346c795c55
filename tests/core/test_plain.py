"""Plans are built with model_construct and printed by advisor.plain (start-up, issue 13): on every shipped
profile the constructed plan validates as a Plan, and plain() gives exactly pydantic's JSON dump."""

from __future__ import annotations

import math

import pytest
from pydantic import BaseModel, field_serializer

from advisor.calibration import load_calibration
from advisor.plain import plain
from advisor.planner import make_plan
from advisor.schemas import Constraints, Estimate, Plan

MODELS = ("llama-3.2-1b-instruct", "qwen2.5-7b-instruct")


def test_constructed_plans_validate_and_print_as_pydantic_would(kb, profs):
    cal = load_calibration()
    checked = 0
    for dev in profs.values():
        for model in MODELS:
            plan = make_plan(dev, kb.models[model], Constraints(max_memory_gb=2.0), kb, cal)
            dumped = plan.model_dump(mode="json", by_alias=True)
            assert plain(plan) == dumped, (dev.id, model)
            assert Plan.model_validate(plan.model_dump(by_alias=True)) == plan, (dev.id, model)
            checked += 1
    assert checked >= 2 * 10


def test_probe_measurements_and_scripts_print_the_same(kb, profs):
    from advisor.schemas import ProbeMeasurement

    plan = make_plan(profs["raspberry-pi-5-8gb"], kb.models["llama-3.2-1b-instruct"], Constraints(), kb,
                     load_calibration())
    m = ProbeMeasurement(ok=False, reason="convert: timed out", notes=["a"], decode_tokens_per_s=float("nan"))
    c = plan.candidates[0].model_copy(update={"measured": m, "script": "/tmp/x y/run.sh"})
    plan = plan.model_copy(update={"candidates": [c, *plan.candidates[1:]]})
    assert plain(plan) == plan.model_dump(mode="json", by_alias=True)
    assert math.isnan(plain(plan)["candidates"][0]["measured"]["decode_tokens_per_s"])


def test_a_model_with_its_own_serializer_is_left_to_pydantic():
    class Shout(BaseModel):
        word: str
        when: tuple[float, float] = (1.0, math.inf)

        @field_serializer("word")
        def _up(self, v: str) -> str:
            return v.upper()

    assert plain({"x": [Shout(word="hi")]}) == {"x": [{"word": "HI", "when": [1.0, math.inf]}]}
    e = Estimate(value=1.0, low=0.5, high=2.0, basis="b", evidence="engine")
    assert plain(e) == e.model_dump(mode="json", by_alias=True)


@pytest.mark.parametrize("value, want", [((1, "a"), [1, "a"]), ({"k": 2.5}, {"k": 2.5}),
                                         ({1: 2}, {"1": 2}), (None, None), (True, True)])
def test_plain_values(value, want):
    assert plain(value) == want
