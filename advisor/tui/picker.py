"""The shared shape of the device and model steps: a search box, a fuzzy-filtered table, a figures pane, and a
worker that resolves what was typed (a path, a hub id, this machine). Subclasses say what the items are."""

from __future__ import annotations

from typing import Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from ..errors import AdvisorError

T = TypeVar("T")


class PickerScreen(Screen[T], Generic[T]):
    NAME = "item"  # widget ids: {NAME}-search, {NAME}-message, {NAME}-table, {NAME}-figures
    PLACEHOLDER = ""
    HINT = ""
    COLUMNS: tuple[str, ...] = ()
    NO_MATCH = "no match"

    items: dict[str, T]

    # ------------------------------------------------------------ what subclasses provide
    def row(self, item: T) -> tuple[str, ...]:
        raise NotImplementedError

    def haystack(self, item: T) -> str:
        raise NotImplementedError

    def figures(self, item: T) -> "str | Text":
        raise NotImplementedError

    def load(self, arg: str) -> T:
        """Resolve typed text in a worker thread; raise AdvisorError with a one-line reason."""
        raise NotImplementedError

    # ------------------------------------------------------------ layout and shared behaviour
    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="step"):
            yield Input(placeholder=self.PLACEHOLDER, id=f"{self.NAME}-search")
            yield Static(self.HINT, id=f"{self.NAME}-message", classes="message")
            with Horizontal(classes="picker"):
                yield DataTable(cursor_type="row", zebra_stripes=True, id=f"{self.NAME}-table")
                yield Static(id=f"{self.NAME}-figures", classes="figures")
        yield Footer()

    def select_initial(self, current_id: str | None) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*self.COLUMNS)
        self._fill("")
        if current_id and current_id in self.items:
            table.move_cursor(row=table.get_row_index(current_id))
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        from .search import fuzzy_filter

        table = self.query_one(DataTable)
        table.clear()
        found = fuzzy_filter(self.items.values(), query, self.haystack, key=self.key)
        for item in found:
            table.add_row(*self.row(item), key=self.key(item))
        self._show(found[0] if found else None)

    @staticmethod
    def key(item) -> str:
        return item.id

    def _show(self, item: T | None) -> None:
        self.query_one(f"#{self.NAME}-figures", Static).update(self.figures(item) if item else self.NO_MATCH)

    def _say(self, text: str, error: bool = False) -> None:
        msg = self.query_one(f"#{self.NAME}-message", Static)
        msg.update(text)
        msg.set_class(error, "error")

    def _highlighted(self) -> T | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return self.items.get(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    @on(DataTable.RowHighlighted)
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        self._show(self.items.get(str(event.row_key.value)))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.items[str(event.row_key.value)])

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)))

    @work(thread=True, exclusive=True, group="resolve", exit_on_error=False)
    def _resolve(self, arg: str) -> None:
        try:
            item = self.load(arg)
        except AdvisorError as exc:
            self.app.call_from_thread(self._say, str(exc), True)
            return
        self.app.call_from_thread(self._chosen, item)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:  # anything but an AdvisorError: say what broke, keep the screen
            self._say(f"cannot load the {self.NAME}: {event.worker.error!r}", error=True)

    def _chosen(self, item: T) -> None:
        self._show(item)
        self.dismiss(item)
