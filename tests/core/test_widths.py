"""No table cuts a cell at 80 columns (issue 15): the plan table of every profile's default plan for
Llama-3.1-8B, and the ids of `models list` / `devices list`, which people copy into --model / --device."""

from __future__ import annotations

import json

import pytest
from rich.cells import cell_len

from advisor.resolve import load_profiles

MODEL = "llama-3.1-8b-instruct"
PROFILES = sorted(load_profiles())


def _table_part(out: str) -> list[str]:
    lines = out.splitlines()
    end = next(i for i, line in enumerate(lines) if "value over" in line)
    return lines[:end]


@pytest.mark.parametrize("device", PROFILES)
def test_plan_table_cuts_nothing_at_80_columns(cli, monkeypatch, device):
    monkeypatch.setenv("COLUMNS", "80")
    r = cli("plan", "-d", device, "-m", MODEL)
    assert r.code == 0, r.err
    assert max(cell_len(line) for line in r.out.splitlines()) <= 80
    table = _table_part(r.out)
    text = "\n".join(table)
    assert "…" not in text, text
    head = next(line for line in table if "backend" in line)
    assert "score" in head.split(), head
    cands = json.loads(cli("plan", "-d", device, "-m", MODEL, "--json").out)["candidates"][:12]
    rows = [line.split() for line in table]
    for c in cands:  # every shown candidate's identity and score are whole cells of one row
        assert any(c["backend"] in row and c["quant"] + ("*" if c["pareto"] else "") in row
                   and f"{c['score']:.2f}" in row for row in rows), (c["backend"], c["quant"], text)


def test_plan_table_drops_whole_columns_and_says_so_when_very_narrow(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "56")
    r = cli("plan", "-d", "intel-core-ultra-7-258v-laptop", "-m", MODEL)
    assert r.code == 0, r.err
    text = "\n".join(_table_part(r.out))
    assert "…" not in text
    assert "not shown at this width" in " ".join(r.out.split())


@pytest.mark.parametrize("what", ["models", "devices"])
def test_list_ids_are_never_cut_at_80_columns(cli, monkeypatch, what):
    monkeypatch.setenv("COLUMNS", "80")
    r = cli(what, "list")
    assert r.code == 0, r.err
    ids = [d["id"] for d in json.loads(cli(what, "list", "--json").out)]
    words = {w for line in r.out.splitlines() for w in line.split()}
    assert max(cell_len(line) for line in r.out.splitlines()) <= 80
    missing = [i for i in ids if i not in words]
    assert not missing, r.out


@pytest.mark.parametrize("device", PROFILES[::4])
def test_the_cheap_lower_bound_never_exceeds_the_measured_width(device):
    """tablefit skips a layout when its lower bound is over the width: the bound must never be above what rich
    measures, or a layout that fits would be skipped for a denser one."""
    from advisor.calibration import load_calibration
    from advisor.knowledge import load_knowledge
    from advisor.planner import make_plan
    from advisor.render import plan_columns
    from advisor.schemas import Constraints
    from advisor.tablefit import Layout, _gap, build, least_width, natural_width

    kb = load_knowledge()
    plan = make_plan(load_profiles()[device], kb.models[MODEL], Constraints(), kb, load_calibration())
    cols, rows = plan_columns(), plan.candidates
    layouts = [Layout(cols), Layout(cols, folded=True), Layout(cols, folded=True, compact=True),
               Layout(cols[:-2], folded=True, compact=True)]
    for kw in ({}, {"box": None}, {"padding": (0, 2)}, {"padding": 0}):
        for lay in layouts:
            bound = least_width(lay, rows, _gap(kw))
            assert 0 < bound <= natural_width(build(lay, rows, **kw), 200), (kw, lay.folded, lay.compact)
