"""Probe results in SQLite: user_data_dir()/measurements.sqlite, WAL mode, one IMMEDIATE transaction per write;
concurrent advisor processes queue on the busy timeout, and a process killed mid-write leaves the database intact."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from .. import paths
from ..errors import AdvisorError
from .spec import ProbeResult

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS probes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  machine TEXT NOT NULL,
  backend TEXT NOT NULL,
  quant TEXT NOT NULL,
  model TEXT NOT NULL,
  ok INTEGER NOT NULL,
  reason TEXT,
  result TEXT NOT NULL,
  env TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS probes_machine ON probes(machine, backend, quant);
CREATE TABLE IF NOT EXISTS probe_keys (
  key TEXT PRIMARY KEY,
  probe_id INTEGER NOT NULL REFERENCES probes(id)
);
"""
CSV_COLUMNS = ("id", "created", "backend", "quant", "model", "ok", "reason", "weights_gib", "peak_memory_gib",
               "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct", "kld", "top1_agreement",
               "perplexity", "convert_s", "load_s", "pred_decode_tokens_per_s", "pred_prefill_tokens_per_s",
               "pred_ppl_increase_pct", "machine", "node", "cpu", "source", "under_load", "other_cpu_share")


def db_path() -> Path:
    return paths.measurement_store()


def _fix(p: Path, default: str) -> str:
    """How to fix a failed open/write: the full disk when it is full (SQLite says 'disk I/O error'), else default."""
    from ..atomic import full_disk_note

    return full_disk_note(p, "ADVISOR_DATA_DIR") or default


BUSY_S = 60  # how long a writer waits for another process's transaction before giving up


def _busy(exc: Exception) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def connect(path: Path | None = None) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL journal, durable commits.

    Setting up waits out other processes for up to BUSY_S: the busy timeout covers ordinary lock waits, but
    SQLite answers "database is locked" at once, without waiting, to one of two connections that both switch a
    new database to WAL (each holds a shared lock and wants the exclusive one), so the set-up itself retries."""
    p = path or db_path()
    deadline = time.monotonic() + BUSY_S
    pause = 0.01
    while True:
        con = None
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(p, timeout=BUSY_S, isolation_level=None)
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; a killed writer loses nothing
            con.execute("PRAGMA synchronous=FULL")  # a commit is on disk before save() returns
            con.executescript(SCHEMA)
            return con
        except (OSError, sqlite3.Error) as exc:
            if con is not None:
                con.close()
            if _busy(exc) and time.monotonic() < deadline:
                time.sleep(pause)
                pause = min(pause * 2, 0.5)
                continue
            raise AdvisorError(f"cannot open the measurement store {p} ({exc})"
                               + _fix(p, "; set ADVISOR_DATA_DIR to a writable folder")) from None


def save(res: ProbeResult, path: Path | None = None, key: str | None = None) -> ProbeResult:
    """Insert one probe in one IMMEDIATE transaction (the write lock is taken first, so concurrent writers queue
    on the busy timeout instead of failing); returns the result with its id once the row is committed.

    With `key` (a sweep cell's idempotency key) the row is stored at most once: when the key is already in the
    store, nothing is written and the stored row comes back (a retried or resumed cell is never stored twice)."""
    body = res.model_dump(mode="json", exclude={"env", "id", "created"})
    p = path or db_path()
    try:
        with closing(connect(p)) as con, con:  # `with con`: COMMIT on success, ROLLBACK on any exception
            con.execute("BEGIN IMMEDIATE")
            if key is not None:
                old = con.execute("SELECT p.id, p.created, p.result, p.env FROM probe_keys k JOIN probes p "
                                  "ON p.id = k.probe_id WHERE k.key=?", (key,)).fetchone()
                if old is not None:
                    prev = _parse(*old)
                    if prev is not None:
                        return prev
            cur = con.execute(
                "INSERT INTO probes(machine, backend, quant, model, ok, reason, result, env) VALUES (?,?,?,?,?,?,?,?)",
                (res.env.get("fingerprint", "?"), res.backend, res.quant, res.model, int(res.ok), res.reason,
                 json.dumps(body), json.dumps(res.env)))
            rid = cur.lastrowid
            if key is not None:
                con.execute("INSERT OR REPLACE INTO probe_keys(key, probe_id) VALUES (?,?)", (key, rid))
            created = con.execute("SELECT created FROM probes WHERE id=?", (rid,)).fetchone()[0]
    except sqlite3.Error as exc:
        raise AdvisorError(f"cannot write to the measurement store {p} ({exc})"
                           + _fix(p, "; set ADVISOR_DATA_DIR to a writable folder")) from None
    return res.model_copy(update={"id": rid, "created": created})


def by_keys(keys: list[str], path: Path | None = None) -> dict[str, ProbeResult]:
    """The stored rows of these idempotency keys (the keys not in the store are absent)."""
    p = path or db_path()
    if not keys or not p.exists():
        return {}
    out: dict[str, ProbeResult] = {}
    try:
        with closing(connect(p)) as con:
            for k in keys:
                row = con.execute("SELECT k.key, p.id, p.created, p.result, p.env FROM probe_keys k JOIN probes p "
                                  "ON p.id = k.probe_id WHERE k.key=?", (k,)).fetchone()
                res = _parse(*row[1:]) if row else None
                if res is not None:
                    out[k] = res
    except sqlite3.Error as exc:
        raise AdvisorError(f"cannot read the measurement store {p} ({exc}); move it aside to start a new one") from None
    return out


def check(path: Path | None = None) -> list[str]:
    """Integrity problems of the store (empty when it is consistent): SQLite's own check, keys pointing nowhere,
    one probe claimed by two keys."""
    p = path or db_path()
    if not p.exists():
        return []
    try:
        with closing(connect(p)) as con:
            problems = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"]
            dangling = con.execute("SELECT count(*) FROM probe_keys k LEFT JOIN probes p ON p.id = k.probe_id "
                                   "WHERE p.id IS NULL").fetchone()[0]
            shared = con.execute("SELECT count(*) FROM (SELECT probe_id FROM probe_keys GROUP BY probe_id "
                                 "HAVING count(*) > 1)").fetchone()[0]
    except sqlite3.Error as exc:
        return [f"unreadable ({exc})"]
    if dangling:
        problems.append(f"{dangling} key(s) point to no probe")
    if shared:
        problems.append(f"{shared} probe(s) claimed by several keys")
    return problems


def load(machine: str | None = None, ok_only: bool = False, path: Path | None = None) -> list[ProbeResult]:
    q, args = "SELECT id, created, result, env FROM probes WHERE 1=1", []
    if machine:
        q += " AND machine=?"
        args.append(machine)
    if ok_only:
        q += " AND ok=1"
    p = path or db_path()
    if not p.exists():  # reading creates nothing: `plan` works with an unwritable or absent data folder
        return []
    try:
        with closing(connect(p)) as con:
            rows = con.execute(q + " ORDER BY id", args).fetchall()
    except sqlite3.Error as exc:
        raise AdvisorError(f"cannot read the measurement store {p} ({exc}); move it aside to start a new one") from None
    out, bad = [], []
    for i, c, r, e in rows:
        res = _parse(i, c, r, e)
        if res is None:
            bad.append(i)
        else:
            out.append(res)
    if bad:  # one damaged row must not hide the others, nor stop a plan: skip it and say which
        ids = ", ".join(str(i) for i in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        log.warning("measurement store %s: skipped %d unreadable row(s) (id %s); delete them with: sqlite3 %s "
                    "'DELETE FROM probes WHERE id IN (%s)'", p, len(bad), ids, p, ",".join(str(i) for i in bad))
    return out


def _parse(rid: object, created: object, result: object, env: object) -> ProbeResult | None:
    """One row as a ProbeResult, or None when any part of it is not what save() writes."""
    try:
        body, env_d = json.loads(result), json.loads(env)  # type: ignore[arg-type]  # TypeError is caught below
        if not isinstance(body, dict) or not isinstance(env_d, dict):
            return None
        res = ProbeResult.model_validate({**body, "id": rid, "created": created, "env": env_d})
    except (TypeError, ValueError, RecursionError):  # ValueError covers JSONDecodeError and ValidationError
        return None
    numbers = [v for v in res.measured.model_dump().values() if isinstance(v, float)]
    numbers += list((res.predicted or {}).values())
    return res if all(math.isfinite(v) for v in numbers) else None


def flat(r: ProbeResult) -> dict:
    m, p = r.measured, r.predicted or {}
    row = {"id": r.id, "created": r.created, "backend": r.backend, "quant": r.quant, "model": r.model, "ok": r.ok,
           "reason": r.reason, "machine": r.env.get("fingerprint"), "node": r.env.get("node") or host(r.env),
           "cpu": (r.env.get("machine") or {}).get("cpu"), "source": r.env.get("source"), "under_load": r.under_load,
           "other_cpu_share": (r.env.get("load") or {}).get("other_share")}
    for k in CSV_COLUMNS:
        if k.startswith("pred_"):
            row[k] = p.get(k[5:])
        elif k not in row:
            row[k] = getattr(m, k, None)
    return row


def host(env: dict) -> str | None:
    """The host a probe ran on (where a sweep's worker ran it), from its environment."""
    m = env.get("machine")
    return m.get("host") if isinstance(m, dict) else None


def to_csv(rows: list[ProbeResult]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(flat(r))
    return buf.getvalue()
