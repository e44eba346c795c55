"""The measurement store under a sweep: idempotency keys hold under concurrent writers (several processes, as
several sweep drivers on several nodes sharing one store would be), and the integrity check stays clean."""

from __future__ import annotations

import multiprocessing as mp
import sys
from pathlib import Path
from guards import HANG_S

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "probe"))


def _writer(path: str, keys: list[str], q) -> None:
    from conftest_probe import result

    from advisor.probe import store

    ids = {k: store.save(result(), path=Path(path), key=k).id for k in keys}
    q.put(ids)


def test_concurrent_writers_store_each_key_once(tmp_path):
    from advisor.probe import store

    db = tmp_path / "m.sqlite"
    keys = [f"sweep:s1:builtin:llamacpp:Q{i}" for i in range(12)]
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(str(db), keys[i % 3:] + keys[: i % 3], q)) for i in range(4)]
    for p in procs:
        p.start()
    seen = [q.get(timeout=HANG_S) for _ in procs]
    for p in procs:
        p.join(HANG_S)
        assert p.exitcode == 0
    for k in keys:  # every writer got the same row back for a key: it was stored once
        assert len({ids[k] for ids in seen}) == 1
    assert len(store.load(path=db)) == len(keys)
    assert store.check(db) == []
    assert set(store.by_keys(keys, db)) == set(keys)


def test_unkeyed_saves_still_append_and_flat_rows_say_node_and_cpu(tmp_path):
    from conftest_probe import result

    from advisor.probe import store

    db = tmp_path / "m.sqlite"
    store.save(result(), path=db)
    store.save(result(), path=db)
    rows = [store.flat(r) for r in store.load(path=db)]
    assert len(rows) == 2 and rows[0]["node"] and rows[0]["cpu"] is not None
    assert set(rows[0]) == set(store.CSV_COLUMNS)


def test_measurements_check_finds_a_key_pointing_nowhere(cli, tmp_path):
    import sqlite3

    from conftest_probe import result

    from advisor.probe import store

    store.save(result(), key="sweep:s:builtin:llamacpp:Q8_0")
    ok = cli("measurements", "check", "--json")
    assert ok.code == 0 and ok.json()["ok"] is True
    con = sqlite3.connect(store.db_path())
    con.execute("INSERT INTO probe_keys(key, probe_id) VALUES ('sweep:s:builtin:llamacpp:Q4_0', 999)")
    con.commit()
    con.close()
    bad = cli("measurements", "check")
    assert bad.code == 1 and "1 key(s) point to no probe" in bad.err and len(bad.err.strip().splitlines()) == 1
