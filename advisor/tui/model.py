"""Step 2, the model: search the catalogue, or give a local folder holding config.json, a .gguf file, or a
Hugging Face repo id. What is typed is checked as it is typed. Returns the ModelSpec, or None to go back."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from ..errors import AdvisorError
from ..knowledge import Knowledge
from ..resolve import HUB_ID
from ..schemas import ModelSpec
from .figures import model_figures
from .search import fuzzy_filter

HINT = "↑↓ move · Enter choose · or a folder, a .gguf file, a Hugging Face id org/name"


def check_source(text: str) -> tuple[str, str | None]:
    """What the typed text is ("search", "path" or "hub") and, for a path, why it cannot be used (or None)."""
    path = Path(text).expanduser()
    if path.exists() or text.startswith(("/", ".", "~")) or path.suffix.lower() == ".gguf":
        if path.is_dir():
            ok = (path / "config.json").is_file()
            return "path", None if ok else f"{text} has no config.json; give a Hugging Face model folder"
        if path.is_file():
            ok = path.suffix.lower() == ".gguf"
            return "path", None if ok else f"{text} is a file but not a .gguf; give a .gguf or a folder"
        return "path", f"{text} not found; check the path"
    if HUB_ID.match(text):
        return "hub", None
    return "search", None


class ModelScreen(Screen[ModelSpec | None]):
    """Pick the model to deploy."""

    SUB_TITLE = "2/4 · model"
    HELP = ("Type to filter the catalogue (by id, name or architecture); ↑/↓ move and Enter chooses. A local folder "
            "with a Hugging Face config.json or a .gguf file is checked as you type; a repo id like org/name is "
            "fetched (config.json only) when you press Enter. Escape goes back to the device.")
    BINDINGS = [
        Binding("enter", "choose", "Choose", priority=True),
        Binding("escape", "back", "Back"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, kb: Knowledge, current: ModelSpec | None = None):
        super().__init__()
        self.models = kb.models
        self.kb = kb
        self.current = current

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="step"):
            yield Input(placeholder="search: llama 1b, qwen, gemma... or ./model-dir, model.gguf, org/name",
                        id="model-search")
            yield Static(HINT, id="model-message", classes="message")
            with Horizontal(classes="picker"):
                yield DataTable(cursor_type="row", zebra_stripes=True, id="model-table")
                yield Static(id="model-figures", classes="figures")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("model", "params", "arch")
        self._fill("")
        if self.current and self.current.id in self.models:
            table.move_cursor(row=table.get_row_index(self.current.id))
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        found = fuzzy_filter(self.models.values(), query, lambda m: f"{m.id} {m.name or ''} {m.architecture}",
                             key=lambda m: m.id)
        for m in found:
            table.add_row(m.id, f"{m.params_b:g} B" if m.params_b else "?", m.architecture, key=m.id)
        self._show(found[0] if found else None)

    def _show(self, spec: ModelSpec | None) -> None:
        self.query_one("#model-figures", Static).update(model_figures(spec) if spec else "no catalogue match")

    def _say(self, text: str, error: bool = False) -> None:
        msg = self.query_one("#model-message", Static)
        msg.update(text)
        msg.set_class(error, "error")

    def _highlighted(self) -> ModelSpec | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return self.models.get(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    @on(Input.Changed, "#model-search")
    def _typed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        kind, problem = check_source(text)
        if kind == "path":
            self._say(problem or f"✓ {text}: Enter reads it", error=problem is not None)
            return
        self._fill(text)
        count = self.query_one(DataTable).row_count
        if kind == "hub" and not count:
            self._say(f"Hugging Face repo {text}: Enter fetches its config.json (needs the network)")
        elif not count:
            self._say(f"no catalogue model matches {text!r}; or give a folder, a .gguf path, or org/name", error=True)
        else:
            self._say(HINT)

    @on(DataTable.RowHighlighted, "#model-table")
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        self._show(self.models.get(str(event.row_key.value)))

    @on(DataTable.RowSelected, "#model-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.models[str(event.row_key.value)])

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.cursor_row + step, table.row_count - 1)))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_choose(self) -> None:
        text = self.query_one(Input).value.strip()
        kind, problem = check_source(text)
        if problem:
            self._say(problem, error=True)
        elif kind == "search" or self.query_one(DataTable).has_focus:
            spec = self.models.get(text.lower()) or self._highlighted()
            if spec is None:
                self._say(f"no catalogue model matches {text!r}", error=True)
            else:
                self.dismiss(spec)
        elif kind == "hub" and (spec := self._by_repo(text)) is not None:
            self.dismiss(spec)  # a catalogue entry for that repo: no need to fetch it
        else:
            self._say(f"reading {text}…" if kind == "path" else f"fetching config.json of {text}…")
            self._resolve(text)

    def _by_repo(self, repo: str) -> ModelSpec | None:
        return next((m for m in self.models.values() if (m.hf_repo or "").lower() == repo.lower()), None)

    @work(thread=True, exclusive=True, group="resolve", exit_on_error=False)
    def _resolve(self, arg: str) -> None:
        from ..resolve import resolve_model

        try:
            spec = resolve_model(arg, self.kb)
        except AdvisorError as exc:
            self.app.call_from_thread(self._say, str(exc), True)
            return
        self.app.call_from_thread(self._chosen, spec)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self._say(f"cannot read the model: {event.worker.error!r}", error=True)

    def _chosen(self, spec: ModelSpec) -> None:
        self._show(spec)
        self.dismiss(spec)

