"""Plan screen: table and detail pane, save errors, probes and export in cancellable workers, missing modules."""

from __future__ import annotations

import threading

import pytest
from textual.widgets import DataTable

from advisor.schemas import ProbeMeasurement
from advisor.tui.plan import PlanScreen
from advisor.tui.prompt import PathPrompt

pytestmark = pytest.mark.asyncio  # every test here drives the app with a Pilot


def message(app) -> str:
    return str(app.screen.query_one("#plan-message").render())


def detail(app) -> str:
    return str(app.screen.query_one("#plan-detail-text").render())


async def test_detail_pane_follows_the_cursor(make_app, keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        c0, c1 = app.plan.candidates[:2]
        assert detail(app).startswith(f"{c0.backend} {c0.quant} on the {c0.compute}")
        assert "Decision path" in detail(app) and "[" in detail(app)  # intervals print as they are
        await pilot.press("down")
        assert detail(app).startswith(f"{c1.backend} {c1.quant} on the {c1.compute}")
        if app.plan.eliminated:
            assert f"{app.plan.eliminated[0].backend}: {app.plan.eliminated[0].reason}" in detail(app)


async def test_save_into_a_folder_or_under_a_file_is_refused(make_app, keys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("x")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("s", "ctrl+a", "ctrl+k", "enter")
        assert "give a path" in str(app.screen.query_one("#prompt-message").render())
        await pilot.press(*".", "enter")
        assert "is a folder" in str(app.screen.query_one("#prompt-message").render())
        await pilot.press("ctrl+a", "ctrl+k", *"taken/p.md", "enter")
        assert "is a file, not a folder" in str(app.screen.query_one("#prompt-message").render())
        await pilot.press("escape")
        assert isinstance(app.screen, PlanScreen) and list(tmp_path.iterdir()) == [tmp_path / "taken"]


async def test_save_reports_os_errors(make_app, keys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import advisor.tui.plan as plan_mod

    def refuse(path, text, mode=None):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(plan_mod, "write_text_atomic", refuse)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("j", "enter")
        assert "cannot save" in message(app) and "Permission denied" in message(app)


@pytest.mark.parametrize("key, module, what", [("p", "advisor.probe.replan", "probing"),
                                               ("e", "advisor.emit", "script export")])
async def test_missing_probe_or_emit_module_is_a_clear_message(make_app, keys, waiter, fake_module, key, module,
                                                                what, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fake_module(module, missing=True)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press(key)
        if key == "e":
            assert isinstance(app.screen, PathPrompt)
            await pilot.press("enter")
        await waiter(pilot, lambda: app.screen.busy is None and "not available" in message(app))
        assert f"{what} is not available in this installation yet ({module} cannot be imported)" in message(app)
        assert app.screen.query_one("#plan-message").has_class("error")


async def test_probe_runs_in_a_worker_and_updates_the_plan(make_app, keys, waiter, fake_module):
    seen = {}

    def probe_plan(plan, kb, cal, top=3, progress=True):
        seen.update(top=top, progress=progress, model=plan.model.id, thread=threading.current_thread().name)
        best = plan.candidates[0].model_copy(update={"measured": ProbeMeasurement(ok=True, decode_tokens_per_s=12.5)})
        return plan.model_copy(update={"candidates": [best, *plan.candidates[1:]]})

    fake_module("advisor.probe.replan", probe_and_replan=probe_plan)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("p")
        await waiter(pilot, lambda: "probes done" in message(app))
        assert seen["top"] == 3 and seen["progress"] is False and seen["model"] == "llama-3.2-1b-instruct"
        assert seen["thread"] != threading.main_thread().name
        assert "measured: decode_tokens_per_s=12.5" in detail(app)


async def test_probe_can_be_cancelled(make_app, keys, waiter, fake_module):
    release = threading.Event()

    def probe_plan(plan, kb, cal, top=3, progress=True):
        release.wait(10)
        return plan

    fake_module("advisor.probe.replan", probe_and_replan=probe_plan)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("p")
        await waiter(pilot, lambda: app.screen.busy == "probe")
        assert app.screen.query_one("#plan-progress").display
        await pilot.press("c")
        await waiter(pilot, lambda: "cancelled" in message(app))
        assert app.screen.busy is None and not app.screen.query_one("#plan-progress").display
        release.set()
        assert app.screen.query_one(DataTable).row_count == len(app.plan.candidates)


async def test_unexpected_probe_failure_is_shown_not_raised(make_app, keys, waiter, fake_module):
    def probe_plan(plan, kb, cal, top=3, progress=True):
        raise RuntimeError("backend crashed")

    fake_module("advisor.probe.replan", probe_and_replan=probe_plan)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("p")
        await waiter(pilot, lambda: "failed" in message(app))
        assert "backend crashed" in message(app) and isinstance(app.screen, PlanScreen)


async def test_export_with_the_real_emitter(make_app, keys, waiter, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("e", "ctrl+a", "ctrl+k", *"out", "enter")
        await waiter(pilot, lambda: app.screen.busy is None and "scripts" in message(app), tries=400)
        assert "scripts written" in message(app), message(app)
        assert (tmp_path / "out" / "README.md").is_file()
        assert all(c.script for c in app.screen.plan.candidates)
        await pilot.press("e", "ctrl+a", "ctrl+k", *"out", "enter")  # force=False: an existing folder is refused
        await waiter(pilot, lambda: app.screen.busy is None and "written" not in message(app), tries=400)
        assert app.screen.query_one("#plan-message").has_class("error")


@pytest.mark.backend
async def test_probe_with_the_real_runner(make_app, keys, waiter):
    """The real probe runner in the worker: the top candidates are quantized and measured with llama.cpp."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'advisor[llamacpp]')")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await keys.to_plan(pilot)
        await pilot.press("p")
        await waiter(pilot, lambda: app.screen.busy is None and "probe" in message(app), tries=8000)
        assert "probes done" in message(app), message(app)
        measured = [c for c in app.screen.plan.candidates if c.measured]
        failed = [(c.backend, c.quant, c.measured.reason) for c in measured if not c.measured.ok]
        assert measured and not failed, failed  # each failure with its reason
        assert all(c.measured.weights_gib > 0 and c.measured.decode_tokens_per_s > 0 for c in measured)
