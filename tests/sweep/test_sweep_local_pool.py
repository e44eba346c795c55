"""`sweep --probe` without Ray: the local process pool runs the cell through `advisor probe`'s runner; the result is
stored once, shows in `measurements list`, recalibrates the re-planned row, and a rerun reuses it."""

from __future__ import annotations

import csv

import pytest

from advisor.probe.backends import missing_module

pytestmark = [pytest.mark.backend, pytest.mark.slow,
              pytest.mark.skipif(missing_module("llamacpp") is not None, reason="llama.cpp backend not installed")]


def test_one_probe_cell_on_the_local_pool(cli, tmp_path):
    out = tmp_path / "s"
    args = ("sweep", "--models", "tiny", "--devices", "auto", "--backends", "llamacpp", "--quants", "Q8_0",
            "--probe", "--threads", "1", "--out", str(out), "--json")
    r = cli(*args)
    assert r.code == 0, r.err
    assert r.json()["probes_run"] == 1 and r.json()["probes_failed"] == 0
    listed = cli("measurements", "list", "--json").json()
    assert [(x["backend"], x["quant"], x["ok"]) for x in listed] == [("llamacpp", "Q8_0", True)]
    assert listed[0]["node"] and listed[0]["cpu"]
    (row,) = list(csv.DictReader((out / "sweep.csv").open()))
    assert row["probe_ok"] == "True" and int(row["probe_id"]) == listed[0]["id"]
    # re-planned with the new local calibration; a probe timed on a busy machine does not recalibrate (by design)
    expected = "engine" if listed[0]["under_load"] else "measured-here"
    assert row["decode_tokens_per_s_evidence"] == expected, listed[0]

    (out / "probes.jsonl").unlink()  # a driver killed after storing, before journaling: the store has the key
    again = cli(*args)
    assert again.json()["probes_run"] == 0 and again.json()["probes_reused"] == 1
    assert len(cli("measurements", "list", "--json").json()) == 1
