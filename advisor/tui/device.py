"""Step 1, the device: search the profile library (fuzzy, by name, class or vendor), detect this machine, or load
a profile file. Returns the chosen DeviceProfile."""

from __future__ import annotations

import os
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable, Input

from ..schemas import DeviceProfile
from .figures import device_figures
from .picker import PickerScreen

HINT = "↑↓ move · Enter choose · F2 this machine · or type a profile .yaml path"


def _haystack(p: DeviceProfile) -> str:
    vendors = " ".join(f"{a.vendor} {a.name or ''}" for a in p.accelerators)
    return f"{p.name} {p.id} {p.class_} {p.cpu.model or ''} {vendors}"


def looks_like_file(text: str) -> bool:
    return text.lower().endswith((".yaml", ".yml", ".json")) or os.sep in text or text.startswith("~")


class DeviceScreen(PickerScreen[DeviceProfile]):
    """Pick the device the model will run on."""

    SUB_TITLE = "1/4 · device"
    HELP = ("Type to filter the profile library by name, class (arm_sbc, apple_silicon...) or vendor; ↑/↓ move "
            "through the list and Enter chooses. F2 profiles this machine (CPU flags, RAM, a bandwidth test). "
            "A path ending in .yaml/.yml/.json loads a profile file of your own (`advisor schema device` lists the fields).")
    BINDINGS = [
        Binding("enter", "choose", "Choose", priority=True),
        Binding("f2", "detect", "This machine"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]
    NAME = "device"
    PLACEHOLDER = "search: pi 5, jetson, apple m2, snapdragon... or ./board.yaml"
    HINT = HINT
    COLUMNS = ("profile", "class")
    NO_MATCH = "no profile matches"

    def __init__(self, profiles: dict[str, DeviceProfile], detect: Callable[[], DeviceProfile],
                 current: DeviceProfile | None = None):
        super().__init__()
        self.items = self.profiles = profiles
        self.detect = detect
        self.current = current

    def on_mount(self) -> None:
        self.select_initial(self.current.id if self.current else None)

    def row(self, p: DeviceProfile) -> tuple[str, ...]:  # type: ignore[override]
        return p.id, p.class_

    def haystack(self, p: DeviceProfile) -> str:  # type: ignore[override]
        return _haystack(p)

    def figures(self, p: DeviceProfile) -> "str | Text":  # type: ignore[override]
        return device_figures(p)

    def load(self, arg: str) -> DeviceProfile:
        from ..resolve import resolve_device

        return self.detect() if arg == "auto" else resolve_device(arg)

    @on(Input.Changed, "#device-search")
    def _search(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if looks_like_file(text):
            self._say("Enter loads this profile file", error=False)
            return
        self._fill(text)
        count = self.query_one(DataTable).row_count
        self._say(HINT if count else f"no profile matches {text!r}; try a class (arm_sbc) or a vendor (nvidia)",
                  error=not count)

    def action_choose(self) -> None:
        text = self.query_one(Input).value.strip()
        if text == "auto":
            self.action_detect()
        elif looks_like_file(text) and not self.query_one(DataTable).has_focus:
            self._say(f"loading {text}…")
            self._resolve(text)
        elif (dev := self._highlighted()) is not None:
            self.dismiss(dev)
        else:
            self._say(f"no profile matches {text!r}; clear the search or load a profile file", error=True)

    def action_detect(self) -> None:
        self._say("profiling this machine (CPU flags, RAM, a memory bandwidth test)…")
        self._resolve("auto")
