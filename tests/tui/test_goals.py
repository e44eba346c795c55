"""Goals screen: every field checked as typed, the reason shown beside it, Enter blocked until all are valid."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from advisor.tui.goals import GoalsScreen
from advisor.tui.plan import PlanScreen

pytestmark = pytest.mark.asyncio  # every test here drives the app with a Pilot


def why(app, field: str) -> str:
    return str(app.screen.query_one(f"#{field}-why").render())


BAD = [  # (field, typed, the reason shown beside it)
    ("max_memory_gb", "-2", "must be greater than 0"),
    ("max_memory_gb", "0", "must be greater than 0"),
    ("min_decode_tps", "fast", "must be a number, not 'fast'"),
    ("min_prefill_tps", "-1", "must be greater than or equal to 0"),
    ("max_quality_loss", "1%", "must be a number, not '1%'"),
    ("context", "4k", "must be a whole number, not '4k'"),
    ("context", "0", "must be greater than or equal to 1"),
]


async def test_bad_input_is_explained_and_blocks_the_plan(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_goals(pilot)
        for field, text, reason in BAD:
            await pilot.click(f"#{field}")              # the mouse works too
            await keys.type(pilot, text)
            assert reason in why(app, field)
            assert app.screen.query_one(f"#{field}-why").has_class("error")
            await pilot.click("#max_quality_loss" if field != "max_quality_loss" else "#context")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, GoalsScreen), (field, text)
            assert app.screen.query_one(f"#{field}", Input).has_focus  # Enter took the cursor to the culprit
            assert "fix" in str(app.screen.query_one("#goals-message").render())
            await keys.type(pilot, "")                   # blank again: valid, no limit
            assert not app.screen.query_one(f"#{field}-why").has_class("error")


async def test_fixing_the_field_clears_the_reason_and_plans(make_app, keys, waiter):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_goals(pilot)
        await keys.type(pilot, "-1")
        assert "greater than 0" in why(app, "max_memory_gb")
        await keys.type(pilot, "0.5")
        assert why(app, "max_memory_gb") == "peak memory; blank: what fits"
        await pilot.press("enter")
        await waiter(pilot, lambda: isinstance(app.screen, PlanScreen))
        assert app.plan.constraints.max_memory_gb == 0.5


async def test_impossible_goals_still_give_a_plan_that_says_what_to_relax(make_app, keys, waiter):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_goals(pilot)
        await pilot.press("tab", *"500")                 # 500 tok/s decode on a Raspberry Pi
        await pilot.press("enter")
        await waiter(pilot, lambda: isinstance(app.screen, PlanScreen))
        assert not any(c.feasible for c in app.plan.candidates) and app.plan.suggestions
        detail = str(app.screen.query_one("#plan-detail-text").render())
        assert "What to relax" in detail and "violation" in detail
