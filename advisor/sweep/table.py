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

FIRST = ["model", "device", "status", "reason", "rank", "backend", "quant", "compute", "engine", "feasible",
         "violations", "score", "pareto", "runs_here"]
LAST = ["rule_path", "reasons", "cell"]
INTERNAL = {"cell_seq", "cell_rows"}


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
        for d in self._lines(self.rows_path):
            if d.get("cell_seq") == 0:
                group = []
            group.append(d)
            n = d.get("cell_rows")
            if isinstance(n, int) and len(group) == n and all(r.get("cell") == d.get("cell") for r in group):
                if d["cell"] in cells:
                    dirty = True
                cells[d["cell"]] = group
                group = []
            elif isinstance(n, int) and len(group) > n:
                group, dirty = [], True
        raw = sum(len(v) for v in cells.values())
        if dirty or (self.rows_path.exists() and raw != len(self._lines(self.rows_path))):
            self._compact(cells)
        return cells

    def _compact(self, cells: dict[str, list[dict]]) -> None:
        write_text_atomic(self.rows_path, "".join(json.dumps(r) + "\n" for rows in cells.values() for r in rows))

    def _load_probes(self) -> dict[str, dict]:
        return {d["key"]: d for d in self._lines(self.probes_path) if isinstance(d.get("key"), str)}

    # ------------------------------------------------------------------ writing
    def add_cell(self, rows: list[dict]) -> None:
        n = len(rows)
        rows = [{**r, "cell_seq": i, "cell_rows": n} for i, r in enumerate(rows)]
        self._append(self.rows_path, rows)
        self.cells[rows[0]["cell"]] = rows

    def add_probe(self, entry: dict) -> None:
        self._append(self.probes_path, [entry])
        self.probes[entry["key"]] = entry

    def _append(self, path: Path, rows: list[dict]) -> None:
        data = "".join(json.dumps(r) + "\n" for r in rows).encode()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, data)  # one write: a kill leaves at most one cut line at the end
        finally:
            os.close(fd)

    def done(self, cell: str, retry_failed: bool = False) -> bool:
        rows = self.cells.get(cell)
        return bool(rows) and not (retry_failed and rows[0].get("status") == "error")

    # ------------------------------------------------------------------ the table
    def rows(self) -> list[dict]:
        return [{k: v for k, v in r.items() if k not in INTERNAL} for rows in self.cells.values() for r in rows]

    def write_csv(self, rows: list[dict]) -> Path:
        seen: dict[str, None] = {}
        for r in rows:
            seen.update(dict.fromkeys(r))
        middle = [k for k in seen if k not in FIRST and k not in LAST]
        cols = [k for k in FIRST if k in seen] + middle + [k for k in LAST if k in seen]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)
        path = self.out / "sweep.csv"
        write_text_atomic(path, buf.getvalue())
        return path
