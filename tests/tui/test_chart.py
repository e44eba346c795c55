"""The candidates chart on the plan screen (issue 15): `v` swaps the detail pane for it, it draws every backend,
and it redraws when probes land."""

from __future__ import annotations

import pytest

from advisor.schemas import Estimate, ProbeMeasurement
from advisor.tui.chart import CandidatesChart, series

pytestmark = pytest.mark.asyncio


def drawn(app) -> str:
    return app.screen.query_one(CandidatesChart).render().plain


async def test_v_shows_the_chart_of_every_backend(make_app, keys):
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await keys.to_plan(pilot)
        chart = app.screen.query_one(CandidatesChart)
        assert not chart.display
        await pilot.press("v")
        await pilot.pause()
        assert chart.display and not app.screen.query_one("#plan-detail").display
        assert chart.plan is app.screen.plan and chart.usable  # usable memory comes from the app's knowledge
        text = drawn(app)
        for backend in series(app.screen.plan):
            assert backend in text  # the legend names each backend
        assert "●" in text and "peak GiB" in text
        await pilot.press("v")
        assert not chart.display and app.screen.query_one("#plan-detail").display


async def test_chart_redraws_when_probes_land(make_app, keys, waiter, fake_module):
    def probe_plan(plan, kb, cal, top=3, progress=True):
        best = plan.candidates[0]
        moved = best.decode_tokens_per_s.model_copy(update={"evidence": "measured-here"})
        best = best.model_copy(update={"measured": ProbeMeasurement(ok=True, decode_tokens_per_s=12.5), "decode_tokens_per_s": moved,
                                       "peak_memory_gib": Estimate(value=0.5, low=0.4, high=0.6)})
        return plan.model_copy(update={"candidates": [best, *plan.candidates[1:]]})

    fake_module("advisor.probe.replan", probe_and_replan=probe_plan)
    app = make_app()
    async with app.run_test(size=(100, 32)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("v")
        await pilot.pause()
        before = drawn(app)
        assert "=" not in before.split("\n", 1)[1]  # nothing probed yet (the title names the '=' mark)
        await pilot.press("p")
        await waiter(pilot, lambda: "probes done" in str(app.screen.query_one("#plan-message").render()))
        await pilot.pause()
        chart = app.screen.query_one(CandidatesChart)
        assert chart.plan is app.screen.plan and chart.plan.candidates[0].measured
        after = drawn(app)
        assert after != before and "=" in after.split("\n", 1)[1]
