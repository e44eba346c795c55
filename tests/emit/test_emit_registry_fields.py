"""What a backend's generated folder does is read from its registry entry (knowledge/backends.yaml `emit:`), not
from branches on its id in the templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from emit_helpers import DEVICES, make_plan_for, one_per_backend

from advisor.emit.render import render_candidate
from advisor.knowledge import load_knowledge

TEMPLATES = Path(__file__).resolve().parents[2] / "advisor" / "templates"
CHECK = "`report.py` (the last step) prints each prediction beside what was measured"


def test_no_template_branches_on_a_backend_id():
    ids = "|".join(load_knowledge().backends)
    pattern = re.compile(rf"backend\s*(==|!=|in)\s*['\"]?({ids})")
    hits = [f"{f.relative_to(TEMPLATES)}: {line.strip()}" for f in sorted(TEMPLATES.rglob("*.j2"))
            for line in f.read_text().splitlines() if pattern.search(line)]
    assert not hits, hits


@pytest.mark.parametrize("backend", sorted(load_knowledge().backends))
def test_local_report_matches_what_run_sh_does(backend):
    em = load_knowledge().backends[backend].emit
    run_sh = (TEMPLATES / em.templates / "run.sh.j2").read_text()
    assert ("report.py" in run_sh) == em.local_report, f"{backend}: set emit.local_report to what its run.sh does"


@pytest.mark.parametrize("backend", ["llamacpp", "qnn"])
def test_the_readme_promises_report_py_only_where_run_sh_runs_it(backend):
    plan = one_per_backend(make_plan_for(DEVICES[backend]), backend)
    _, files = render_candidate(plan, plan.candidates[0], 1)
    readme, _ = files["README.md"]
    assert (CHECK in readme) == load_knowledge().backends[backend].emit.local_report
