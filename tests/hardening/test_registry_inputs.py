"""Hostile registry entries (issue 12 item 5): knowledge/workloads.yaml, backends.yaml, engines.yaml (and a few of
quant_formats.yaml and energy.yaml: a bool as a bit count, an energy band whose low is above its value, which was
exit 1 with a 13-line ValidationError from deep inside a plan) as a user or
a careless edit could leave them. `advisor plan` on a knowledge folder (ADVISOR_HOME) holding one bad entry ends
with exit 2 and one line naming the file and the key to fix: no traceback, no entry silently dropped or coerced,
nothing written. Real subprocesses: ADVISOR_HOME is read when the package is imported."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from hardening_helpers import ROOT
from guards import HANG_S

PLAN = ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json"]


def home_with(tmp_path, fname: str, change) -> "os.PathLike":
    """An ADVISOR_HOME whose knowledge/ is the shipped one with `change` applied to `fname`."""
    home = tmp_path / "home"
    (home / "knowledge").mkdir(parents=True)
    (home / "profiles").symlink_to(ROOT / "profiles", target_is_directory=True)
    for f in (ROOT / "knowledge").iterdir():
        if f.name != fname:
            (home / "knowledge" / f.name).symlink_to(f)
    doc = yaml.safe_load((ROOT / "knowledge" / fname).read_text(encoding="utf-8"))
    change(doc)
    (home / "knowledge" / fname).write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return home


def run_plan(home, tmp_path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ADVISOR_DEBUG"}
    env.update(ADVISOR_HOME=str(home), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    return subprocess.run([sys.executable, "-m", "advisor", *PLAN], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=HANG_S)


def _w(d):
    return d["workloads"]


def _b(d):
    return d["backends"]


def _e(d):
    return d["engines"]


CASES = [
    ("workloads.yaml", lambda d: _w(d).append(dict(_w(d)[0])), "duplicate workload ids"),
    ("workloads.yaml", lambda d: _w(d)[0].update(prompt_tokens=-5), "workloads.0.prompt_tokens"),
    ("workloads.yaml", lambda d: _w(d)[0].update(prompt_tokens="many"), "workloads.0.prompt_tokens"),
    ("workloads.yaml", lambda d: _w(d)[0].update(prompt_tokens=1e308), "workloads.0.prompt_tokens"),
    ("workloads.yaml", lambda d: _w(d)[0].update(gen_tokens=True), "workloads.0.gen_tokens"),
    ("workloads.yaml", lambda d: _w(d)[0].pop("source"), "workloads.0.source"),
    ("workloads.yaml", lambda d: _w(d)[0].update(id="../chat"), "workloads.0.id"),
    ("workloads.yaml", lambda d: d.update(workloads=[]), "workloads"),
    ("backends.yaml", lambda d: _b(d).append(dict(_b(d)[0])), "duplicate backend id 'llamacpp'"),
    ("backends.yaml", lambda d: _b(d)[0].update(id="../../etc"), "backends.0.id"),
    ("backends.yaml", lambda d: _b(d)[0]["compute"].append({"unit": "warp"}), "backends.0.compute.4.unit"),
    ("backends.yaml", lambda d: _b(d)[0]["runtime_overhead"].update(base_gib=float("nan")), "base_gib"),
    ("backends.yaml", lambda d: _b(d)[0]["probe"].update(module="os"), "backends.0.probe.module"),
    ("backends.yaml", lambda d: _b(d)[5]["probe"]["requirements"].append("--index-url=http://evil.example/simple"),
     "backends.5.probe.requirements.4"),
    ("backends.yaml", lambda d: _b(d)[5]["probe"]["requirements"].append("torch"), "backends.5.probe.requirements.4"),
    ("backends.yaml", lambda d: _b(d)[0].update(python_module="os; rm -rf ~"), "backends.0.python_module"),
    ("backends.yaml", lambda d: _b(d)[0].update(pip_extra="x]'; rm -rf ~; '"), "backends.0.pip_extra"),
    ("backends.yaml", lambda d: _b(d)[0].update(surprise=1), "backends.0.surprise"),
    ("backends.yaml", lambda d: d.update(backends=[]), "backends.yaml: backends: List should have at least 1"),
    ("engines.yaml", lambda d: _e(d).append(dict(_e(d)[0])), "duplicate engine id 'llamacpp-cpu'"),
    ("engines.yaml", lambda d: _e(d)[0].update(backend="nosuch"), "engine llamacpp-cpu runs unknown backend 'nosuch'"),
    ("engines.yaml", lambda d: _e(d)[0].update(like=["nosuch"]), "unknown engine 'nosuch'"),
    ("engines.yaml", lambda d: _e(d)[1].update(api="cuda"), "engines.1.api"),
    ("engines.yaml", lambda d: _e(d)[0].update(static_shapes="yes"), "engines.0.static_shapes"),
    ("engines.yaml", lambda d: d.update(engines=None), "engines"),
    ("quant_formats.yaml", lambda d: d["formats"][0].update(bits=True), "formats.0.bits"),
    ("quant_formats.yaml", lambda d: d["formats"][0].update(bpw=True), "formats.0.bpw"),
    ("quant_formats.yaml", lambda d: d["formats"][0].update(group_size=10**30), "formats.0.group_size"),
    ("energy.yaml", lambda d: d["prefill_power_ratio"].update(low=2.0), "needs low <= value <= high"),
    ("energy.yaml", lambda d: d["profile_power_band"].update(low=2.0, high=1.5), "needs low <= value <= high"),
]


@pytest.mark.parametrize("fname, change, words", CASES,
                         ids=[f"{f}-{i}-{w[:30]}" for i, (f, _, w) in enumerate(CASES)])
def test_a_bad_registry_entry_is_one_line_exit_2(tmp_path, fname, change, words):
    home = home_with(tmp_path, fname, change)
    before = sorted(p.name for p in tmp_path.iterdir())
    p = run_plan(home, tmp_path)
    assert p.returncode == 2 and p.stdout == "", (p.returncode, p.stderr[-800:])
    assert "Traceback" not in p.stderr and p.stderr.count("\n") == 1, p.stderr[-800:]
    assert fname in p.stderr and words in p.stderr, p.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written beside it


@pytest.mark.parametrize("fname", ["backends.yaml", "engines.yaml", "workloads.yaml"])
def test_the_same_registry_laid_out_another_way_plans(tmp_path, fname):
    """yaml.safe_dump indents lists differently from the shipped files (the backend ids were read by a regular
    expression that expected two spaces: Literal[()] and a traceback at import)."""
    p = run_plan(home_with(tmp_path, fname, lambda d: None), tmp_path)
    assert p.returncode == 0 and p.stderr == "", p.stderr[-800:]
