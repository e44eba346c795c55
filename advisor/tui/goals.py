"""Step 3, the goals: memory budget, minimum speeds, maximum quality loss, context length, time to first token and
energy per answer, what matters most (balanced, speed, quality, size, latency, battery) and the workload.
Every field is checked as it is typed against the Constraints schema itself, with the reason shown beside it.
Returns the Constraints, or None to go back."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Vertical
from textual.screen import Screen
from textual.validation import ValidationResult, Validator
from textual.widgets import Footer, Header, Input, Label, RadioButton, RadioSet, Static

from ..schemas import Constraints, DeviceProfile, ModelSpec

# (Constraints field, label, number type, hint shown while the field is valid)
FIELDS: list[tuple[str, str, type, str]] = [
    ("max_memory_gb", "Memory budget (GiB)", float, "peak memory; blank: what fits"),
    ("min_decode_tps", "Min decode (tok/s)", float, "generation speed"),
    ("min_prefill_tps", "Min prefill (tok/s)", float, "prompt processing speed"),
    ("max_quality_loss", "Max quality loss (%)", float, "perplexity increase"),
    ("context", "Context (tokens)", int, "sizes the KV cache; blank: 4096"),
    ("max_ttft_s", "Max first token (s)", float, "time to first token for the prompt"),
    ("max_energy_j", "Max energy (J)", float, "per answer of the workload"),
]
PRIORITIES = ["balanced", "speed", "quality", "size", "latency", "battery"]


def workload_presets() -> dict:
    from ..knowledge import load_knowledge

    return load_knowledge().workloads


class SchemaField(Validator):
    """A number that the Constraints schema accepts for one field; blank means the default."""

    def __init__(self, field: str, kind: type):
        super().__init__()
        self.field, self.kind = field, kind

    def parse(self, text: str) -> float | int | None:
        return self.kind(text.strip()) if text.strip() else None

    def validate(self, value: str) -> ValidationResult:
        from ..record import validation_error

        try:
            number = self.parse(value)
        except ValueError:
            what = "a whole number" if self.kind is int else "a number"
            return self.failure(f"must be {what}, not {value.strip()!r}")
        if number is None:
            return self.success()
        try:
            Constraints.model_validate({self.field: number})
        except validation_error() as exc:
            return self.failure(exc.errors()[0]["msg"].replace("Input should be", "must be"))
        return self.success()


class GoalsScreen(Screen[Constraints | None]):
    """Say what the deployment must achieve."""

    SUB_TITLE = "3/4 · goals"
    HELP = ("Leave a field blank for no limit. Tab / Shift+Tab move between fields; ←/→ pick what matters most "
            "when the choice has focus; Enter makes the plan once every field is valid (a field in error says "
            "why beside it). Escape goes back to the model.")
    BINDINGS = [
        Binding("enter", "submit", "Make plan", priority=True),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, device: DeviceProfile, model: ModelSpec, current: Constraints | None = None):
        super().__init__()
        self.device, self.model = device, model
        self.current = current or Constraints()

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(classes="step"):
            mem = self.device.memory
            yield Static(f"{self.model.name or self.model.id} on {self.device.name}: {mem.total_gb:g} GB at "
                         f"{mem.bandwidth_gbs:g} GB/s. Blank fields mean no limit.", id="goals-intro")
            with Grid(id="goals-form"):
                for field, label, kind, hint in FIELDS:
                    yield Label(label, classes="field-label")
                    value = getattr(self.current, field)
                    text = "" if value is None or (field == "context" and value == 4096) else f"{value:g}"
                    text = str(value) if isinstance(value, int) and text else text
                    yield Input(text, id=field, validators=[SchemaField(field, kind)], validate_on=["changed"],
                                classes="field")
                    yield Static(hint, id=f"{field}-why", classes="why")
                yield Label("What matters most", classes="field-label")
                with RadioSet(id="priority"):
                    for p in PRIORITIES:
                        yield RadioButton(p, value=p == self.current.priority, id=f"priority-{p}")
                yield Label("Workload", classes="field-label")
                with RadioSet(id="workload"):
                    now = self.current.workload
                    yield RadioButton(f"{self.current.prompt_tokens}+{self.current.gen_tokens} tok",
                                      value=now is None, id="workload-custom")
                    for wid, w in workload_presets().items():
                        yield RadioButton(wid, value=wid == now, id=f"workload-{wid}",
                                          tooltip=f"{w.prompt_tokens} prompt + {w.gen_tokens} generated tokens")
            yield Static("", id="goals-message", classes="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(f"#{FIELDS[0][0]}", Input).focus()

    @on(Input.Changed, ".field")
    def _changed(self, event: Input.Changed) -> None:
        self._explain(event.input, event.validation_result)

    def _explain(self, field: Input, result: ValidationResult | None) -> bool:
        why = self.query_one(f"#{field.id}-why", Static)
        hint = next(h for f, _, _, h in FIELDS if f == field.id)
        ok = result is None or result.is_valid
        why.update(hint if ok or result is None else "✗ " + "; ".join(result.failure_descriptions))
        why.set_class(not ok, "error")
        return ok

    def action_back(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        from ..record import validation_error

        from ..yamlio import describe_validation

        values: dict[str, object] = {}
        for field, _, _, _ in FIELDS:
            box = self.query_one(f"#{field}", Input)
            if not self._explain(box, box.validate(box.value)):
                box.focus()
                self._say(f"fix {field.replace('_', ' ')} first: see the reason beside it")
                return
            number = box.validators[0].parse(box.value)  # type: ignore[attr-defined]
            if number is not None:
                values[field] = number
        pressed = self.query_one("#priority", RadioSet).pressed_button
        values["priority"] = str(pressed.label) if pressed else "balanced"
        values.update(self._workload())
        try:
            cons = Constraints.model_validate(values)
        except validation_error() as exc:  # cross-field rules, should the schema gain any
            self._say(describe_validation(exc))
            return
        self.dismiss(cons)

    def _workload(self) -> dict[str, object]:
        """The chosen preset's tokens, or the current ones kept as they are."""
        pressed = self.query_one("#workload", RadioSet).pressed_button
        wid = (pressed.id or "").removeprefix("workload-") if pressed else "custom"
        presets = workload_presets()
        if wid in presets:
            w = presets[wid]
            return {"workload": wid, "prompt_tokens": w.prompt_tokens, "gen_tokens": w.gen_tokens}
        return {"prompt_tokens": self.current.prompt_tokens, "gen_tokens": self.current.gen_tokens}

    def _say(self, text: str) -> None:
        msg = self.query_one("#goals-message", Static)
        msg.update(text)
        msg.set_class(bool(text), "error")
