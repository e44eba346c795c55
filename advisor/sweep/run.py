"""One sweep, start to end: resolve, plan the cells not done yet, probe (optional), re-plan the probed cells with
the new local calibration, write the table."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from .cells import Entry
from .plan import cell_key, plan_cells
from .table import Journal

log = logging.getLogger(__name__)


@dataclass
class SweepRequest:
    models: list[Entry]
    devices: list[Entry]
    out: Path
    backends: list[str] | None = None
    quants: list[str] | None = None
    constraints: dict = field(default_factory=dict)
    workers: int = 2
    probe: bool = False
    ray: str | None = None  # None: local pool; "local" or an address
    probe_workers: int | None = None
    threads: int | None = None
    probe_timeout_s: float = 600
    retry_failed: bool = False
    aihub_device: str | None = None
    ray_retries: int = 1  # how often Ray re-runs a probe whose worker died


@dataclass
class SweepSummary:
    out: str
    cells: int
    planned: int
    skipped: int
    rows: int
    errors: int
    probes_run: int = 0
    probes_reused: int = 0
    probes_failed: int = 0
    csv: str = ""
    jsonl: str = ""
    notes: list[str] = field(default_factory=list)


def _progress(enabled: bool, total: int, what: str):
    from contextlib import nullcontext

    if not enabled:
        return nullcontext(lambda n=1, msg=None: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    class _P:
        def __enter__(self):
            self.p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                              console=Console(stderr=True), transient=True)
            self.p.__enter__()
            t = self.p.add_task(what, total=total)
            return lambda n=1, msg=None: self.p.update(t, advance=n, **({"description": msg} if msg else {}))

        def __exit__(self, *exc):
            return self.p.__exit__(*exc)

    return _P()


def run_sweep(req: SweepRequest, progress: bool = True) -> SweepSummary:
    jr = Journal(req.out, _request_record(req))
    good_models = [(m.name, m.value) for m in req.models if m.error is None]
    good_devs = [(d.name, d.value) for d in req.devices if d.error is None]
    bad = [({"model": m.name, "device": "*", "status": "error", "reason": m.error}) for m in req.models if m.error]
    bad += [({"model": "*", "device": d.name, "status": "error", "reason": d.error}) for d in req.devices if d.error]
    for r in bad:
        r["cell"] = cell_key(r["model"], r["device"])
        old = jr.cells.get(r["cell"])
        if not old or old[0].get("reason") != r["reason"]:
            jr.add_cell([r])
    cells = [(m, d) for m, _ in good_models for d, _ in good_devs]
    todo_cells = {c for c in cells if not jr.done(cell_key(*c), req.retry_failed)}
    todo = []
    for m, spec in good_models:
        devs = [(d, dev) for d, dev in good_devs if (m, d) in todo_cells]
        if devs:
            todo.append((m, spec, devs))
    with _progress(progress, len(todo_cells), "planning") as tick:
        def on_cell(rows, jsonl, csv_lines):
            jr.add_cell(rows, jsonl, csv_lines)
            tick()

        plan_cells(todo, req.constraints, req.backends, req.quants, req.workers, on_cell)
    summary = SweepSummary(out=str(req.out), cells=len(cells) + len(bad), planned=len(todo_cells),
                           skipped=len(cells) - len(todo_cells), rows=0, errors=0)
    if req.probe:
        from .probe_phase import probe_phase

        probed_models = probe_phase(req, jr, dict(good_models), summary, progress)
        if probed_models:  # the new measurements recalibrate this machine's speeds and the formats' quality: re-plan
            again = [(m, spec, good_devs) for m, spec in good_models if m in probed_models]
            plan_cells(again, req.constraints, req.backends, req.quants, req.workers, jr.add_cell)
    path, summary.rows = jr.write_csv(_with_probes(jr, dict(good_models), req.aihub_device))
    summary.errors = sum(1 for rows in jr.cells.values() for r in rows if r.get("status") == "error")
    summary.csv = str(path)
    summary.jsonl = str(jr.rows_path)
    return summary


def _with_probes(jr: Journal, models: dict, aihub_device: str | None = None) -> dict[str, list[dict]]:
    """The cells whose rows a probe backs, with the probe's columns added."""
    from .probes import job_for, measured_columns

    if not jr.probes:
        return {}
    sid = jr.meta["id"]
    out: dict[str, list[dict]] = {}
    for cell, rows in jr.cells.items():
        new, hit = [], False
        for r in rows:
            job = job_for(r, models, aihub_device)
            entry = jr.probes.get(job.key(sid)) if job else None
            hit = hit or entry is not None
            new.append({**r, **measured_columns(entry)} if entry else r)
        if hit:
            out[cell] = new
    return out


def _request_record(req: SweepRequest) -> dict:
    return {"models": [m.name for m in req.models], "devices": [d.name for d in req.devices],
            "backends": req.backends, "quants": req.quants, "probe": req.probe, "ray": req.ray}
