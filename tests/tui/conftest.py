"""TUI fixtures: the knowledge base loaded once, an app factory with a fixed "this machine", keyboard helpers,
and stand-ins for the optional probe/emit modules."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from textual.widgets import Input

from advisor.schemas import DeviceProfile, Plan
from advisor.tui.app import AdvisorApp, Library, build_app
from guards import HANG_S


@pytest.fixture(autouse=True)
def _empty_measurement_store(tmp_path, monkeypatch):
    """Plans read stored probes: each TUI test starts from an empty store, so a probe run by one test cannot
    change the figures another test (or a snapshot) sees."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "advisor-data"))

DEVICE, MODEL = "raspberry-pi-5-8gb", "llama-3.2-1b-instruct"
CLEAR = ("ctrl+a", "ctrl+k")  # Input: go home, delete to the end


@pytest.fixture(scope="session")
def library() -> Library:
    return Library.load()


@pytest.fixture
def this_machine(library: Library) -> DeviceProfile:
    """What F2 "detects": a shipped profile renamed, so tests and snapshots do not depend on the test host."""
    return library.profiles["x86-laptop-avx2"].model_copy(update={"id": "this-machine", "name": "This machine"})


@pytest.fixture
def make_app(library: Library, this_machine: DeviceProfile):
    def make() -> AdvisorApp:
        return build_app(library=library, detect=lambda: this_machine)

    return make


class Keys:
    """Drive the questionnaire one step at a time. `typing=True` sends every character as a key press (the
    keyboard-only flow test); otherwise text lands in the focused field in one go, which fires the same
    Input.Changed validation and is many times faster."""

    def __init__(self, typing: bool = False):
        self.typing = typing

    async def type(self, pilot, text: str, clear: bool = True) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.focused, Input))  # the screen is up and focused
        if self.typing:
            await pilot.press(*(CLEAR if clear else ()), *text)
            return
        field = pilot.app.focused
        field.value = text if clear else field.value + text
        field.cursor_position = len(field.value)
        await pilot.pause()

    async def to_model(self, pilot, device: str = "pi 5 8gb") -> None:
        await self.type(pilot, device)
        await pilot.press("enter")
        await pilot.pause()

    async def to_goals(self, pilot, model: str = "llama 3.2 1b") -> None:
        await self.to_model(pilot)
        await self.type(pilot, model)
        await pilot.press("enter")
        await pilot.pause()

    async def to_plan(self, pilot) -> None:
        await self.to_goals(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "PlanScreen")


WAIT_LIMIT_S = HANG_S  # only against a hang: on a busy machine a worker is slow, not wrong


async def wait_for(pilot, cond, tries: int | None = None) -> None:
    """Pause until `cond()` holds (thread workers finish on their own time). No test depends on how long that takes:
    the limit is only there so that a hang fails instead of blocking the suite. (`tries` is accepted for the
    callers that used to size a shorter limit.)"""
    import time

    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > WAIT_LIMIT_S:
            raise AssertionError(f"condition not reached in {WAIT_LIMIT_S} s")
        await pilot.pause(0.05)


@pytest.fixture
def keys() -> Keys:
    return Keys()


@pytest.fixture
def typist() -> Keys:
    return Keys(typing=True)


@pytest.fixture
def waiter():
    return wait_for


@pytest.fixture
def fake_module(monkeypatch):
    """Install a stand-in module (or None: "not importable") under a dotted name for one test."""

    def install(name: str, **attrs) -> types.ModuleType | None:
        if attrs.get("missing"):
            monkeypatch.setitem(sys.modules, name, None)
            return None
        mod = types.ModuleType(name)
        for k, v in attrs.items():
            setattr(mod, k, v)
        monkeypatch.setitem(sys.modules, name, mod)
        return mod

    return install


def script_emitter(calls: list):
    """A stand-in for advisor.emit.emit_plan_scripts that writes one script and records the call."""

    def emit_plan_scripts(plan: Plan, out: Path, force: bool = False) -> Plan:
        calls.append((out, force))
        out.mkdir(parents=True, exist_ok=True)
        (out / "convert.sh").write_text("#!/bin/sh\n")
        best = plan.candidates[0].model_copy(update={"script": str(out / "convert.sh")})
        return plan.model_copy(update={"candidates": [best, *plan.candidates[1:]]})

    return emit_plan_scripts


@pytest.fixture
def emitter():
    return script_emitter

