"""What a user can type never crashes the TUI (issue 12, item 2): a path component over 255 bytes typed on the
model step, a config.json with absurd sizes, an unexpected error while planning. Each shows inline and the app
keeps running; a crash that still ends the app makes `advisor tui` exit non-zero."""

from __future__ import annotations

import json

import pytest

from advisor.tui.goals import GoalsScreen
from advisor.tui.model import ModelScreen
from guards import HANG_S

def message(app) -> str:
    return str(app.screen.query_one("#model-message").render())


@pytest.mark.asyncio
async def test_a_path_component_too_long_is_flagged_as_typed(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "/tmp/" + "x" * 300)
        assert "too long" in message(app) and app.screen.query_one("#model-message").has_class("error")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ModelScreen) and app.return_code is None


@pytest.mark.asyncio
async def test_absurd_sizes_in_config_json_are_an_inline_error(make_app, keys, waiter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = {"model_type": "llama", "hidden_size": 10**308, "intermediate_size": 8192, "num_hidden_layers": 16,
           "num_attention_heads": 32, "vocab_size": 128256}
    (tmp_path / "huge").mkdir()
    (tmp_path / "huge" / "config.json").write_text(json.dumps(cfg))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_model(pilot)
        await keys.type(pilot, "./huge")
        await pilot.press("enter")
        await waiter(pilot, lambda: "hidden_size" in message(app))
        assert isinstance(app.screen, ModelScreen) and app.return_code is None


@pytest.mark.asyncio
async def test_an_unexpected_error_while_planning_is_shown_not_fatal(make_app, keys, waiter, monkeypatch):
    import advisor.planner

    def broken(*a, **k):
        raise OverflowError("int too large to convert to float")

    monkeypatch.setattr(advisor.planner, "make_plan", broken)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_goals(pilot)
        await pilot.press("enter")
        await waiter(pilot, lambda: any("OverflowError" in str(n.message) for n in app._notifications))
        assert isinstance(app.screen, GoalsScreen) and app.return_code is None


def test_a_crash_that_ends_the_app_exits_non_zero(cli, monkeypatch):
    import advisor.tui.app as tui_app

    class Crashed:
        return_code = 1

        def run(self):
            return None

    import advisor.cli.tui_cmd as tui_cmd

    monkeypatch.setattr(tui_app, "build_app", lambda *a, **k: Crashed())
    monkeypatch.setattr(tui_cmd, "interactive", lambda: True)  # as in a terminal
    r = cli("tui")
    assert r.code == 1 and "tui" in r.err and r.err.count("\n") == 1, r.err


def test_tui_without_a_terminal_is_one_line_and_exit_2(sh):
    """`advisor tui | less` or from a script used to write escape codes into the pipe and wait for keys forever."""
    r = sh("tui", timeout=HANG_S)
    assert r.code == 2, (r.code, r.err)
    assert r.err.count("\n") == 1 and "terminal" in r.err and "Traceback" not in r.err
    assert r.out == ""
