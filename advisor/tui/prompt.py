"""A modal that asks for a path (save the plan, export scripts). Returns the Path, or None when cancelled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


def file_target(path: Path) -> str | None:
    """Why a plan cannot be saved at `path`, or None."""
    if path.is_dir():
        return f"{path} is a folder; give a file name"
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        return f"{parent} is a file, not a folder"
    return None


def folder_target(path: Path) -> str | None:
    """Why scripts cannot be exported into `path`, or None."""
    if path.exists() and not path.is_dir():
        return f"{path} is a file; give a folder"
    return None


class PathPrompt(ModalScreen[Path | None]):
    """Ask for a path, check it, and return it."""

    BINDINGS = [
        Binding("enter", "accept", "OK", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, title: str, default: str, check: Callable[[Path], str | None]):
        super().__init__()
        self.title_text, self.default, self.check = title, default, check

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Label(self.title_text, id="prompt-title")
            yield Input(self.default, id="prompt-path")
            yield Static("Enter to accept · Escape to cancel", id="prompt-message", classes="message")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_accept(self) -> None:
        text = self.query_one(Input).value.strip()
        problem = "give a path" if not text else self.check(Path(text).expanduser())
        if problem:
            msg = self.query_one("#prompt-message", Static)
            msg.update(problem)
            msg.add_class("error")
            return
        self.dismiss(Path(text).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
