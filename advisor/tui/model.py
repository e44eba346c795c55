"""Step 2, the model: search the catalogue, or give a local folder holding config.json, a .gguf file, or a
Hugging Face repo id. What is typed is checked as it is typed. Returns the ModelSpec, or None to go back."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable, Input

from ..knowledge import Knowledge
from ..resolve import HUB_ID
from ..schemas import ModelSpec
from .figures import model_figures
from .picker import PickerScreen

HINT = "↑↓ move · Enter choose · or a folder, a .gguf file, a Hugging Face id org/name"


def check_source(text: str) -> tuple[str, str | None]:
    """What the typed text is ("search", "path" or "hub") and, for a path, why it cannot be used (or None)."""
    try:
        return _check_source(text)
    except OSError as exc:  # a name too long, a folder we may not enter: Path.exists() raises these
        return "path", f"cannot use this path ({exc.strerror or exc}); check it"


def _check_source(text: str) -> tuple[str, str | None]:
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


class ModelScreen(PickerScreen[ModelSpec | None]):
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
    NAME = "model"
    PLACEHOLDER = "search: llama 1b, qwen, gemma... or ./model-dir, model.gguf, org/name"
    HINT = HINT
    COLUMNS = ("model", "params", "arch")
    NO_MATCH = "no catalogue match"

    def __init__(self, kb: Knowledge, current: ModelSpec | None = None):
        super().__init__()
        self.items = self.models = kb.models  # type: ignore[assignment]
        self.kb = kb
        self.current = current

    def on_mount(self) -> None:
        self.select_initial(self.current.id if self.current else None)

    def row(self, m: ModelSpec) -> tuple[str, ...]:  # type: ignore[override]
        return m.id, f"{m.params_b:g} B" if m.params_b else "?", m.architecture

    def haystack(self, m: ModelSpec) -> str:  # type: ignore[override]
        return f"{m.id} {m.name or ''} {m.architecture}"

    def figures(self, m: ModelSpec) -> "str | Text":  # type: ignore[override]
        return model_figures(m)

    def load(self, arg: str) -> ModelSpec:
        from ..resolve import resolve_model

        return resolve_model(arg, self.kb)

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
