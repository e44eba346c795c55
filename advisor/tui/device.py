"""Step 1, the device: search the profile library (fuzzy, by name, class or vendor), detect this machine, or load
a profile file. Returns the chosen DeviceProfile."""

from __future__ import annotations

import os
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from ..errors import AdvisorError
from ..schemas import DeviceProfile
from .figures import device_figures
from .search import fuzzy_filter

HINT = "↑↓ move · Enter choose · F2 this machine · or type a profile .yaml path"


def _haystack(p: DeviceProfile) -> str:
    vendors = " ".join(f"{a.vendor} {a.name or ''}" for a in p.accelerators)
    return f"{p.name} {p.id} {p.class_} {p.cpu.model or ''} {vendors}"


def looks_like_file(text: str) -> bool:
    return text.lower().endswith((".yaml", ".yml", ".json")) or os.sep in text or text.startswith("~")


class DeviceScreen(Screen[DeviceProfile]):
    """Pick the device the model will run on."""

    SUB_TITLE = "1/4 · device"
    HELP = ("Type to filter the profile library by name, class (arm_sbc, apple_silicon...) or vendor; ↑/↓ move "
            "through the list and Enter chooses. F2 profiles this machine (CPU flags, RAM, a bandwidth test). "
            "A path ending in .yaml/.yml/.json loads a profile file of your own (see SPEC.md for the fields).")
    BINDINGS = [
        Binding("enter", "choose", "Choose", priority=True),
        Binding("f2", "detect", "This machine"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, profiles: dict[str, DeviceProfile], detect: Callable[[], DeviceProfile],
                 current: DeviceProfile | None = None):
        super().__init__()
        self.profiles = profiles
        self.detect = detect
        self.current = current

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="step"):
            yield Input(placeholder="search: pi 5, jetson, apple m2, snapdragon... or ./board.yaml",
                        id="device-search")
            yield Static(HINT, id="device-message", classes="message")
            with Horizontal(classes="picker"):
                yield DataTable(cursor_type="row", zebra_stripes=True, id="device-table")
                yield Static(id="device-figures", classes="figures")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("profile", "class")
        self._fill("")
        if self.current and self.current.id in self.profiles:
            table.move_cursor(row=table.get_row_index(self.current.id))
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        found = fuzzy_filter(self.profiles.values(), query, _haystack, key=lambda p: p.id)
        for p in found:
            table.add_row(p.id, p.class_, key=p.id)
        self._show(found[0] if found else None)

    def _show(self, dev: DeviceProfile | None) -> None:
        self.query_one("#device-figures", Static).update(device_figures(dev) if dev else "no profile matches")

    def _say(self, text: str, error: bool = False) -> None:
        msg = self.query_one("#device-message", Static)
        msg.update(text)
        msg.set_class(error, "error")

    def _highlighted(self) -> DeviceProfile | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.profiles.get(str(key.value))

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

    @on(DataTable.RowHighlighted, "#device-table")
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        self._show(self.profiles.get(str(event.row_key.value)))

    @on(DataTable.RowSelected, "#device-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.profiles[str(event.row_key.value)])

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)))

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

    @work(thread=True, exclusive=True, group="resolve", exit_on_error=False)
    def _resolve(self, arg: str) -> None:
        from ..resolve import resolve_device

        try:
            dev = self.detect() if arg == "auto" else resolve_device(arg)
        except AdvisorError as exc:
            self.app.call_from_thread(self._say, str(exc), True)
            return
        self.app.call_from_thread(self._chosen, dev)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # anything but an AdvisorError: say what broke, keep the screen
            self._say(f"cannot load the device: {event.worker.error!r}", error=True)

    def _chosen(self, dev: DeviceProfile) -> None:
        self._show(dev)
        self.dismiss(dev)
