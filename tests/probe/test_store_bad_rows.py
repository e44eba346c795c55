"""One damaged row in the measurement store (issue 12, item 3) used to break `plan` and every `measurements`
command (exit 1: JSONDecodeError, TypeError, a 13-line ValidationError). Now the row is skipped with one warning
line that names it and how to delete it, and every other row still counts."""

from __future__ import annotations

import sqlite3

import pytest

from advisor.probe import store
from conftest_probe import result as _res

DAMAGE = {
    "result is not JSON": "UPDATE probes SET result='{not json' WHERE id=?",
    "result is a list": "UPDATE probes SET result='[1, 2]' WHERE id=?",
    "result is null": "UPDATE probes SET result='null' WHERE id=?",
    "a measured figure is text": """UPDATE probes SET result=json_set(result, '$.measured.decode_tokens_per_s',
                                    'fast') WHERE id=?""",
    "an unknown key": "UPDATE probes SET result=json_set(result, '$.surprise', 1) WHERE id=?",
    "an infinite speed": """UPDATE probes SET result=replace(result, '"decode_tokens_per_s": 50.0',
                            '"decode_tokens_per_s": 1e999') WHERE id=?""",
    "env is not JSON": "UPDATE probes SET env='oops' WHERE id=?",
    "result is a number": "UPDATE probes SET result=42 WHERE id=?",
}


def damage(kind: str) -> tuple[list[int], int]:
    """A store of three probes whose middle one is damaged; returns (good ids, bad id)."""
    a, b, c = (store.save(_res()) for _ in range(3))
    with sqlite3.connect(store.db_path()) as con:
        assert con.execute(DAMAGE[kind], (b.id,)).rowcount == 1
    return [a.id, c.id], b.id


def one_warning(err: str, bad: int) -> None:
    lines = [ln for ln in err.splitlines() if "skipped" in ln]
    assert len(lines) == 1 and f"id {bad}" in lines[0] and "DELETE FROM probes" in lines[0], err
    assert "Traceback" not in err and "validation error" not in err


READERS = [
    ["measurements", "list"], ["measurements", "list", "--json"], ["measurements", "export"],
    ["measurements", "export", "--csv"],
    ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json"],
    ["plan", "-d", "auto", "-m", "llama-3.2-1b-instruct", "--json"],
]


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_every_reader_skips_the_bad_row_and_keeps_the_rest(private_store, cli, caplog, kind):
    good, bad = damage(kind)
    assert [r.id for r in store.load()] == good
    for argv in READERS:
        caplog.clear()
        r = cli(*argv)
        assert r.code == 0, (argv, r.err)
        assert sum(f"id {bad}" in m for m in caplog.messages) == 1, (argv, caplog.messages)
    assert [row["id"] for row in cli("measurements", "list", "--json").json()] == good


@pytest.mark.parametrize("argv", [READERS[0], READERS[4]])
def test_the_warning_is_one_line_on_stderr(private_store, sh, argv):
    _, bad = damage("result is not JSON")
    r = sh(*argv, env={"ADVISOR_DEBUG": ""})
    assert r.code == 0, r.err[-800:]
    one_warning(r.err, bad)
