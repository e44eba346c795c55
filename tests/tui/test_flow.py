"""The whole questionnaire by keyboard alone: Raspberry Pi 5 + Llama 3.2 1B -> goals -> plan -> save/export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable

from advisor.tui.device import DeviceScreen
from advisor.tui.goals import GoalsScreen
from advisor.tui.model import ModelScreen
from advisor.tui.plan import PlanScreen

pytestmark = pytest.mark.asyncio  # every test here drives the app with a Pilot


async def test_keyboard_flow_reaches_plan_then_saves_and_exports(make_app, typist, waiter, tmp_path, fake_module,
                                                                  emitter, monkeypatch):
    keys = typist
    monkeypatch.chdir(tmp_path)  # paths typed relative to the working folder, as a user would
    calls: list = []
    fake_module("advisor.emit", emit_plan_scripts=emitter(calls))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, DeviceScreen)
        await keys.to_model(pilot)
        assert app.device.id == "raspberry-pi-5-8gb" and isinstance(app.screen, ModelScreen)
        await keys.type(pilot, "llama 3.2 1b")
        await pilot.press("enter")
        await pilot.pause()
        assert app.model.id == "llama-3.2-1b-instruct" and isinstance(app.screen, GoalsScreen)

        await keys.type(pilot, "4")                      # memory budget
        await pilot.press("tab", *"5", "tab", "tab", *"5", "tab", *"2048")  # decode, (prefill), quality, context
        await pilot.press("tab", "tab", "tab", "right", "space")  # (max TTFT, max energy), priority: speed
        await pilot.press("enter")
        await waiter(pilot, lambda: isinstance(app.screen, PlanScreen))
        cons = app.plan.constraints
        assert (cons.max_memory_gb, cons.min_decode_tps, cons.min_prefill_tps, cons.max_quality_loss, cons.context,
                cons.priority) == (4.0, 5.0, None, 5.0, 2048, "speed")
        assert app.plan.device.id == "raspberry-pi-5-8gb" and app.plan.candidates
        assert app.screen.query_one(DataTable).row_count == len(app.plan.candidates)

        await pilot.press("s", *keys_for("plan.md"), "enter")
        await pilot.press("j", *keys_for("sub/plan.json"), "enter")
        await pilot.press("e", *keys_for("scripts"), "enter")
        md, js, out = tmp_path / "plan.md", tmp_path / "sub" / "plan.json", Path("scripts")
        await waiter(pilot, lambda: bool(calls) and app.screen.busy is None)
        assert md.read_text().startswith("# Deployment plan: Llama 3.2 1B Instruct on Raspberry Pi 5 (8 GB)")
        assert json.loads(js.read_text())["device"]["id"] == "raspberry-pi-5-8gb"
        assert calls == [(out, False)] and (tmp_path / out / "convert.sh").is_file()
        assert app.screen.plan.candidates[0].script == str(out / "convert.sh")
        assert "scripts written" in str(app.screen.query_one("#plan-message").render())

        await pilot.press("ctrl+q")
    assert app.return_value is not None and app.return_value.candidates[0].script  # run() returns the last plan


def keys_for(path) -> tuple[str, ...]:
    return ("ctrl+a", "ctrl+k", *str(path))


async def test_escape_walks_back_and_keeps_answers(make_app, keys, waiter):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("escape")                      # plan -> goals
        await waiter(pilot, lambda: isinstance(app.screen, GoalsScreen))
        await keys.type(pilot, "3")
        await pilot.press("enter")                       # re-plan with a budget
        await waiter(pilot, lambda: isinstance(app.screen, PlanScreen))
        assert app.plan.constraints.max_memory_gb == 3.0
        await pilot.press("escape")
        await waiter(pilot, lambda: isinstance(app.screen, GoalsScreen))
        assert app.screen.query_one("#max_memory_gb").value == "3"  # the answer survives going back
        await pilot.press("escape")                      # goals -> model
        await waiter(pilot, lambda: isinstance(app.screen, ModelScreen))
        await pilot.press("escape")                      # model -> device, current one highlighted
        await waiter(pilot, lambda: isinstance(app.screen, DeviceScreen))
        assert app.screen._highlighted().id == "raspberry-pi-5-8gb"


async def test_new_plan_starts_over_at_the_device(make_app, keys, waiter):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("n")
        await waiter(pilot, lambda: isinstance(app.screen, DeviceScreen))


async def test_help_screen_lists_the_screens_keys(make_app, keys, waiter):
    from advisor.tui.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        assert ("f2", "This machine") in app.screen.keys
        await pilot.press("escape")
        assert isinstance(app.screen, DeviceScreen)
        await keys.to_goals(pilot)
        await pilot.press("f1")
        assert any(what == "Make plan" for _, what in app.screen.keys)
        await pilot.press("f1")                          # F1 toggles it closed
        assert isinstance(app.screen, GoalsScreen)
        await pilot.press("enter")
        await waiter(pilot, lambda: isinstance(app.screen, PlanScreen))
        await pilot.press("question_mark")               # ? works where no text field has focus
        assert isinstance(app.screen, HelpScreen)
        assert ("p", "Probe") in app.screen.keys and ("s", "Save .md") in app.screen.keys
