"""Step 4, the plan: ranked candidates with predicted figures, the highlighted one's intervals and reasons, the
decision path and the eliminated backends. Actions: run probes and export scripts (thread workers, cancellable),
save the plan as Markdown or JSON. Returns the step to go to next ("goals" or "device")."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, ProgressBar, Static
from textual.worker import Worker, WorkerState

from ..atomic import write_text_atomic
from ..errors import AdvisorError
from ..render import mark
from ..schemas import ModelSpec, Plan
from .chart import CandidatesChart
from .figures import plan_detail
from .prompt import PathPrompt, file_target, folder_target

Next = Literal["goals", "device"]
COLUMNS = ("#", "backend", "quant", "unit", "ok", "GiB", "decode/s", "prefill/s", "TTFT s", "J", "ppl+%", "score")


class Unavailable(AdvisorError):
    """An optional part of the advisor (probes, script export) is not importable in this installation."""


def optional(module: str, name: str, what: str):
    """`module.name`, or an Unavailable error that says which feature is missing and why."""
    try:
        return getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            raise Unavailable(f"{what} is not available in this installation yet ({module} cannot be imported)") from None
        raise
    except ImportError as exc:  # the module is there but lacks `name`: a version mismatch
        raise Unavailable(f"{what} is not available: {exc}") from None


class PlanScreen(Screen[Next]):
    """Read the plan and act on it."""

    SUB_TITLE = "4/4 · plan"
    HELP = ("Candidates are ranked best first; ✓ feasible, ✗ violates a goal; * is the Pareto front. ↑/↓ pick a "
            "candidate and the pane below shows its figures with 80 % intervals, why it was admitted, the decision "
            "path and the eliminated backends (Tab focuses the pane to scroll it). p measures the top 3 candidates "
            "with real probe quantizations (c cancels); e writes conversion/deployment scripts to a folder; s and j "
            "save the plan as Markdown or JSON; v swaps the pane for a chart of every candidate (decode speed "
            "against peak memory, usable memory in red), which redraws when probes land.")
    BINDINGS = [
        Binding("p", "probe", "Probe"),
        Binding("c", "cancel", "Cancel"),
        Binding("e", "export", "Export"),
        Binding("v", "chart", "Chart"),
        Binding("s", "save('md')", "Save .md"),
        Binding("j", "save('json')", "Save .json"),
        Binding("escape,g", "leave('goals')", "Goals"),
        Binding("n", "leave('device')", "New"),
    ]

    def __init__(self, plan: Plan, model: ModelSpec, kb=None, cal=None, probe_top: int = 3):
        super().__init__()
        self.plan, self.model = plan, model
        self.kb, self.cal, self.probe_top = kb, cal, probe_top  # what a probe re-plans with (as `plan --probe`)
        self.busy: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="plan-summary")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="plan-table")
        with VerticalScroll(id="plan-detail"):
            yield Static(id="plan-detail-text")
        yield CandidatesChart(id="plan-chart")
        with Horizontal(id="plan-status"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="plan-progress")
            yield Static("", id="plan-message", classes="message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for col in COLUMNS:
            table.add_column(col, key=col)
        self._show_plan()
        table.focus()

    def _show_plan(self) -> None:
        plan, table = self.plan, self.query_one(DataTable)
        self.query_one("#plan-summary", Static).update(plan.summary)
        row = table.cursor_row
        table.clear()
        for i, c in enumerate(plan.candidates, 1):
            table.add_row(str(i), c.backend, c.quant + ("*" if c.pareto else ""), c.compute, "✓" if c.feasible else "✗",
                          f"{c.peak_memory_gib.value:.2f}", f"{mark(c.decode_tokens_per_s)}{c.decode_tokens_per_s.value:.1f}",
                          f"{mark(c.prefill_tokens_per_s)}{c.prefill_tokens_per_s.value:.0f}",
                          "-" if c.ttft_s is None else f"{mark(c.ttft_s)}{c.ttft_s.value:.2f}",
                          "-" if c.energy_j is None else f"{mark(c.energy_j)}{c.energy_j.value:.0f}",
                          f"{c.ppl_increase_pct.value:.2f}", f"{c.score:.2f}",
                          key=str(i - 1))
        if plan.candidates:
            table.move_cursor(row=min(row, len(plan.candidates) - 1))
        self._detail(table.cursor_row if plan.candidates else None)
        self.query_one(CandidatesChart).show_plan(plan, self._usable())

    def _usable(self) -> dict[str, float]:
        """Usable memory per compute unit, from the app's knowledge base (none outside the app)."""
        from ..chart import usable_by_unit

        lib = getattr(self.app, "library", None)
        return usable_by_unit(self.plan, lib.kb) if lib is not None else {}

    def action_chart(self) -> None:
        """Swap the detail pane and the chart."""
        chart, pane = self.query_one(CandidatesChart), self.query_one("#plan-detail")
        chart.display, pane.display = not chart.display, chart.display

    def _detail(self, index: int | None) -> None:
        cand = self.plan.candidates[index] if index is not None and self.plan.candidates else None
        self.query_one("#plan-detail-text", Static).update(plan_detail(self.plan, cand))

    @on(DataTable.RowHighlighted, "#plan-table")
    def _highlight(self, event: DataTable.RowHighlighted) -> None:
        self._detail(event.cursor_row)

    def say(self, text: str, error: bool = False) -> None:
        msg = self.query_one("#plan-message", Static)
        msg.update(text)
        msg.set_class(error, "error")

    def _set_busy(self, what: str | None) -> None:
        self.busy = what
        self.query_one(ProgressBar).display = what is not None
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.busy is not None
        if action in {"probe", "export"}:
            return None if self.busy else True  # shown but disabled while a worker runs
        return True

    # ---------------------------------------------------------------- actions
    def action_leave(self, step: Next) -> None:
        if self.busy:
            self.workers.cancel_group(self, "plan-action")
        self.dismiss(step)

    def action_probe(self) -> None:
        self._set_busy("probe")
        self.say(f"probing the top {self.probe_top} candidates (quantize and measure on this machine)… c cancels")
        self._run(self._probe)

    def action_export(self) -> None:
        self.app.push_screen(PathPrompt("Export scripts to folder", "advisor-scripts", folder_target), self._export_to)

    def _export_to(self, folder: Path | None) -> None:
        if folder is None:
            return
        self._set_busy("export")
        self.say(f"writing scripts to {folder}…")
        self._run(lambda: self._export(folder))

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "plan-action")

    def action_save(self, fmt: str) -> None:
        stem = f"plan-{self.plan.device.id}-{self.model.id}".replace("/", "_")
        title = f"Save the plan as {'JSON' if fmt == 'json' else 'Markdown'}"
        self.app.push_screen(PathPrompt(title, f"{stem}.{fmt}", file_target),
                             lambda path: self._save(path, fmt))

    def _save(self, path: Path | None, fmt: str) -> None:
        if path is None:
            return
        from ..render import plan_json, plan_markdown

        text = plan_json(self.plan) + "\n" if fmt == "json" else plan_markdown(self.plan)
        try:
            write_text_atomic(path, text, mode=0o644)  # a document to share, not a secret
        except OSError as exc:
            self.say(f"cannot save {path}: {exc.strerror or exc}", error=True)
            return
        self.say(f"saved {path}")

    # ---------------------------------------------------------------- workers
    @work(thread=True, exclusive=True, group="plan-action", exit_on_error=False)
    def _run(self, job) -> Plan:
        return job()

    def _probe(self) -> Plan:
        """Probe, re-plan with the new local calibration and attach the measurements: the same core function as
        `advisor plan --probe`, so the screen shows what the CLI would."""
        probe_and_replan = optional("advisor.probe.replan", "probe_and_replan", "probing")
        return probe_and_replan(self.plan, self.kb, self.cal, top=self.probe_top, progress=False)

    def _export(self, folder: Path) -> Plan:
        emit = optional("advisor.emit", "emit_plan_scripts", "script export")
        return emit(self.plan, folder, force=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "plan-action" or event.state in (WorkerState.PENDING, WorkerState.RUNNING):
            return
        what, state = self.busy or "action", event.state
        self._set_busy(None)
        if state == WorkerState.SUCCESS and isinstance(event.worker.result, Plan):
            self.plan = event.worker.result
            self._show_plan()
            self.say("probes done: measured figures are in the detail pane" if what == "probe"
                     else "scripts written: each candidate's script is in the detail pane")
        elif state == WorkerState.CANCELLED:
            self.say(f"{what} cancelled (work already started finishes in the background; its result is dropped)")
        elif state == WorkerState.ERROR:
            err = event.worker.error
            self.say(str(err) if isinstance(err, AdvisorError) else f"{what} failed: {err!r}", error=True)
