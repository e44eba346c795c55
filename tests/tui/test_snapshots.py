"""Snapshot tests at 80x24 (pytest-textual-snapshot). Each scene also regenerates docs/screenshots/<scene>.svg
when ADVISOR_SCREENSHOTS=1:

    ADVISOR_SCREENSHOTS=1 python -m pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Input

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SLOW_MACHINE_S = 0.7  # > the 0.5 s blink interval: a blinking cursor would be in its off phase


async def device(pilot, keys):
    await keys.type(pilot, "raspberry")


async def model(pilot, keys):
    await keys.to_model(pilot)
    await keys.type(pilot, "llama")


async def goals(pilot, keys):
    await keys.to_goals(pilot)
    await keys.type(pilot, "-1")                         # memory budget: shows the inline reason
    await pilot.press("tab")
    await keys.type(pilot, "8")


async def plan(pilot, keys):
    await keys.to_plan(pilot)


async def help_(pilot, keys):
    await keys.to_plan(pilot)
    await pilot.press("f1")


async def save(pilot, keys):
    await keys.to_plan(pilot)
    await pilot.press("s")


async def chart(pilot, keys):
    await keys.to_plan(pilot)
    await pilot.press("v")


SCENES = {"device": device, "model": model, "goals": goals, "plan": plan, "help": help_, "save": save,
          "chart": chart}


@pytest.mark.parametrize("scene", SCENES)
def test_screen_snapshot(snap_compare, make_app, keys, waiter, scene):
    async def run_before(pilot):
        await SCENES[scene](pilot, keys)
        app = pilot.app
        await waiter(pilot, lambda: not [w for w in app.workers if w.node is app.screen and w.is_running])
        # The cursor blinks every 0.5 s: on a busy machine the picture was taken in the off phase (issue 12, three
        # failures under the load script). Blinking is timing, not content: the cursor stays drawn. The pause is a
        # slow machine's delay, so that a field that still blinked would fail here every time.
        for field in app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause(SLOW_MACHINE_S)
        if os.environ.get("ADVISOR_SCREENSHOTS"):
            DOCS.mkdir(parents=True, exist_ok=True)
            pilot.app.save_screenshot(filename=f"{scene}.svg", path=str(DOCS))

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
