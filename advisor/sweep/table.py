"""The sweep's files under --out DIR.

sweep.jsonl  the journal and the JSON-lines table: one line per row; a cell's rows are appended in one write, each
             carrying `cell`, `cell_seq` and `cell_rows`, so a cell killed halfway is seen as incomplete and redone.
             The last complete copy of a cell wins (a cell re-planned after its probes replaces the first).
probes.jsonl one line per probe job done (its key, where it ran, the stored probe id, the figures or the reason).
sweep.json   the sweep's id (the idempotency keys of its probes) and what it was asked for.
sweep.csv    the flat table, rewritten atomically from the journal at the end of every run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import InputError, clip

FIRST = ["model", "device", "status", "reason", "rank"]
LAST = ["rule_path", "reasons", "cell"]
INTERNAL = {"cell_seq", "cell_rows"}
PROBE = ["probe_ok", "probe_reason", "probe_id", "probe_model", "probe_node", "probe_cpu", "probe_source",
         "measured_weights_gib", "measured_peak_memory_gib", "measured_decode_tokens_per_s",
         "measured_prefill_tokens_per_s", "measured_ppl_increase_pct", "measured_kld", "measured_top1_agreement"]
_COLUMNS: list[str] = []


def columns() -> list[str]:
    """sweep.csv's columns: fixed (the candidate's from its schema), so every process writes the same table."""
    if not _COLUMNS:
        from .plan import candidate_columns

        cand = [c for c in candidate_columns() if c not in FIRST and c not in LAST]
        _COLUMNS.extend(FIRST + cand + PROBE + LAST)
    return _COLUMNS


def csv_text(rows: list[dict], header: bool = False) -> str:
    cols = columns()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(cols)
    for r in rows:
        w.writerow([r.get(c) for c in cols])
    return buf.getvalue()


def jsonl_text(rows: list[dict]) -> str:
    """A cell's journal lines: its rows, numbered, so that a cell cut short is seen as incomplete."""
    n = len(rows)
    return "".join(json.dumps({**r, "cell_seq": i, "cell_rows": n}) + "\n" for i, r in enumerate(rows))


class Journal:
    def __init__(self, out: Path, request: dict):
        self.out = Path(out)
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            probe = self.out / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise InputError(f"--out {clip(str(out))}: cannot write there ({exc.strerror or exc}); choose a writable "
                             "folder") from None
        self.rows_path, self.probes_path = self.out / "sweep.jsonl", self.out / "probes.jsonl"
        self.meta = self._meta(request)
        self.csv: dict[str, str] = {}  # cell -> its CSV lines, when serialized by the worker that planned it
        self.cells: dict[str, list[dict]] = self._load_cells()
        self.probes: dict[str, dict] = self._load_probes()

    # ------------------------------------------------------------------ reading back
    def _meta(self, request: dict) -> dict:
        f = self.out / "sweep.json"
        try:
            meta = json.loads(f.read_text())
            if isinstance(meta, dict) and isinstance(meta.get("id"), str):
                return meta
        except (OSError, ValueError):
            pass
        meta = {"id": uuid.uuid4().hex[:12], "request": request}
        write_text_atomic(f, json.dumps(meta, indent=2) + "\n")
        return meta

    def _lines(self, path: Path) -> list[dict]:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return []
        out = []
        for ln in text.splitlines():
            try:
                d = json.loads(ln)
            except ValueError:  # a line cut by a kill: its cell is incomplete and is redone
                continue
            if isinstance(d, dict):
                out.append(d)
        return out

    def _load_cells(self) -> dict[str, list[dict]]:
        cells: dict[str, list[dict]] = {}
        group: list[dict] = []
        dirty = False
        lines = self._lines(self.rows_path)
        for d in lines:
            if d.get("cell_seq") == 0:
                group = []
            group.append(d)
            n = d.get("cell_rows")
            if isinstance(n, int) and len(group) == n and all(r.get("cell") == d.get("cell") for r in group):
                if d["cell"] in cells:
                    dirty = True
                cells[d["cell"]] = [{k: v for k, v in r.items() if k not in INTERNAL} for r in group]
                group = []
            elif isinstance(n, int) and len(group) > n:
                group, dirty = [], True
        if dirty or sum(len(v) for v in cells.values()) != len(lines) or (
                self.rows_path.exists() and not self.rows_path.read_bytes().endswith(b"\n") and lines):
            self._compact(cells)
        return cells

    def _compact(self, cells: dict[str, list[dict]]) -> None:
        write_text_atomic(self.rows_path, "".join(jsonl_text(rows) for rows in cells.values()))

    def _load_probes(self) -> dict[str, dict]:
        return {d["key"]: d for d in self._lines(self.probes_path) if isinstance(d.get("key"), str)}

    # ------------------------------------------------------------------ writing
    def add_cell(self, rows: list[dict], jsonl: str | None = None, csv_lines: str | None = None) -> None:
        self._write(self.rows_path, jsonl if jsonl is not None else jsonl_text(rows))
        cell = rows[0]["cell"]
        self.cells[cell] = rows
        if csv_lines is not None:
            self.csv[cell] = csv_lines
        else:
            self.csv.pop(cell, None)

    def add_probe(self, entry: dict) -> None:
        self._write(self.probes_path, json.dumps(entry) + "\n")
        self.probes[entry["key"]] = entry

    def _write(self, path: Path, text: str) -> None:
        data = text.encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)  # one write: a kill leaves at most one cut line at the end
        finally:
            os.close(fd)

    def done(self, cell: str, retry_failed: bool = False) -> bool:
        rows = self.cells.get(cell)
        return bool(rows) and not (retry_failed and rows is not None and rows[0].get("status") == "error")

    # ------------------------------------------------------------------ the table
    def rows(self) -> list[dict]:
        return [r for rows in self.cells.values() for r in rows]

    def write_csv(self, changed: dict[str, list[dict]] | None = None) -> tuple[Path, int]:
        """sweep.csv from every cell (the rows in `changed` replace a cell's own, e.g. with probe columns);
        returns the path and the number of rows."""
        changed = changed or {}
        parts, n = [csv_text([], header=True)], 0
        for cell, rows in self.cells.items():
            rows = changed.get(cell, rows)
            n += len(rows)
            parts.append(self.csv[cell] if cell not in changed and cell in self.csv else csv_text(rows))
        path = self.out / "sweep.csv"
        write_text_atomic(path, "".join(parts))
        return path, n
