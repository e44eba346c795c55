"""benchmarks/soak.py's verdict: a row a client was told is stored and is not there counts as lost, a row stored
twice as duplicated, a write acknowledged under another name as lost; a clean store passes."""

from __future__ import annotations

import importlib.util
import json
import sqlite3

import pytest

from hardening_helpers import ROOT

from advisor.probe import store
from advisor.probe.spec import Measured, ProbeResult
from guards import HANG_S


def soak():
    spec = importlib.util.spec_from_file_location("soak_bench", ROOT / "benchmarks" / "soak.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def row(name: str, decode: float = 30.0) -> ProbeResult:
    return ProbeResult(backend="llamacpp", quant="Q8_0", model=name, ok=True,
                       measured=Measured(decode_tokens_per_s=decode), env={"fingerprint": "soak"})


def fill(data, ledger: list[str], stats: list[dict]) -> None:
    (data / "ledger-0.txt").write_text("".join(line + "\n" for line in ledger))
    (data / "stats-0.txt").write_text("".join(json.dumps(s) + "\n" for s in stats))


RUN = {"kills": 1, "probe_kills": 0, "overrun_s": 0.0, "leftovers": []}


def test_a_clean_store_passes(tmp_path):
    db = tmp_path / "measurements.sqlite"
    a, b = store.save(row("soak-c0-i0-1"), db), store.save(row("smollm2-135m-2layer", 70.0), db)
    fill(tmp_path, [f"write {a.id} soak-c0-i0-1", f"probe {b.id} smollm2-135m-2layer"],
         [{"op": "plan", "s": 1.0, "ok": True, "why": ""}, {"op": "probe", "s": 20.0, "ok": True, "why": ""}])
    out = soak().report(tmp_path, RUN)
    assert (out["lost"], out["duplicated"], out["failures"], out["integrity"]) == (0, 0, 0, "ok")
    assert out["acknowledged_rows"] == {"write": 1, "probe": 1} and out["operations"]["probe"]["count"] == 1
    assert out["operations"]["plan"]["p50_s"] == 1.0 and out["operations"]["tui"]["p50_s"] is None


def test_lost_duplicated_and_renamed_rows_are_counted(tmp_path):
    db = tmp_path / "measurements.sqlite"
    a = store.save(row("soak-c0-i0-1"), db)
    b = store.save(row("smollm2-135m-2layer", 70.0), db)
    store.save(row("smollm2-135m-2layer", 70.0), db)  # the same probe stored twice
    fill(tmp_path, [f"write {a.id} soak-c0-i0-1", f"probe {b.id} smollm2-135m-2layer", "probe 99 gone",
                    f"write {b.id} soak-c0-i0-2"],  # acknowledged under a name the row does not have
         [{"op": "list", "s": 1.0, "ok": False, "why": "list: RuntimeError: database is locked"}])
    out = soak().report(tmp_path, RUN)
    assert out["lost"] == 2 and out["duplicated"] == 1 and out["unacknowledged_rows"] == 1
    assert out["failures"] == 1 and "database is locked" in out["failure_examples"][0]
    assert "2 lost, 1 duplicated" in soak().summary(out)


def test_a_damaged_store_fails_the_integrity_check(tmp_path):
    db = tmp_path / "measurements.sqlite"
    a = store.save(row("soak-c0-i0-1"), db)
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO probe_keys(key, probe_id) VALUES ('k', 12345)")  # a key pointing nowhere
    fill(tmp_path, [f"write {a.id} soak-c0-i0-1"], [])
    assert "point to no probe" in soak().report(tmp_path, RUN)["integrity"]


def _soak_cli(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak.py"), *args], capture_output=True,
                          text=True, cwd=cwd, timeout=HANG_S)


@pytest.mark.parametrize("args", [["--minutes", "0"], ["--clients", "0"], ["--kill-every", "-1"],
                                  ["--probe-every", "0"], ["--probe-model", "huge"]])
def test_nonsense_soak_options_are_usage_errors(tmp_path, args):
    p = _soak_cli(*args, "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.strip(), p.stderr
    assert not (tmp_path / "d").exists()


def test_a_store_that_is_not_a_soaks_is_left_alone(tmp_path):
    """--data pointing at a user's store: refused before any client starts, the store untouched."""
    db = tmp_path / "measurements.sqlite"
    store.save(row("users-own-probe"), db)
    before = db.read_bytes()
    p = _soak_cli("--minutes", "1", "--data", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 2 and "not a soak's" in p.stderr, p.stderr
    assert db.read_bytes() == before and not list(tmp_path.glob("ledger-*"))
