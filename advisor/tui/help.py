"""F1 / ?: what the current screen is for and its keys (read from its live bindings, so it cannot drift)."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

FLOW = ("advisor asks four things in turn: the device, the model, your goals, then shows the ranked plan. "
        "Escape goes one step back; Ctrl+Q quits from anywhere. The mouse works too: click rows and footer keys.")


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q,question_mark", "close", "Close"),
    ]

    def __init__(self, about: str, keys: list[tuple[str, str]]):
        super().__init__()
        self.about, self.keys = about, keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, what in self.keys:
            table.add_row(key, what)
        with Vertical(id="help-box"):
            yield Static("Help", id="help-title")
            yield Static(self.about, classes="help-about")
            yield Static(table, id="help-keys")
            yield Static(FLOW, classes="help-about dim")
            yield Static("Escape, F1 or q closes this help.", classes="dim")

    def action_close(self) -> None:
        self.dismiss(None)
