"""probe/runner.py split along its concerns: request validation, orchestration, store glue, plan integration,
terminal progress, recalibration glue. `plan` imports only the recalibration glue, never the probe machinery."""

from __future__ import annotations

import subprocess
import sys

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MACHINERY = ("advisor.probe.runner", "advisor.probe.backends", "advisor.probe.isolate", "advisor.probe.worker",
             "psutil")


def _loaded_after(stmt: str) -> set[str]:
    code = f"import sys\n{stmt}\nprint(' '.join(sys.modules))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(p.stdout.split())


def test_local_calibration_does_not_import_the_probe_machinery():
    loaded = _loaded_after("from advisor.probe.localcal import local_calibration")
    assert not loaded & set(MACHINERY), sorted(loaded & set(MACHINERY))


def test_plan_does_not_import_the_probe_machinery():
    loaded = _loaded_after("import io, contextlib\nfrom advisor.cli import main\n"
                           "with contextlib.redirect_stdout(io.StringIO()):\n"
                           "    assert main(['plan', '-d', 'raspberry-pi-5-8gb', '-m', 'llama-3.2-1b-instruct', "
                           "'--json']) == 0")
    assert not loaded & set(MACHINERY), sorted(loaded & set(MACHINERY))


def test_older_import_paths_still_work():
    from advisor.probe import localcal, replan, request, runner

    assert runner.local_calibration is localcal.local_calibration
    assert runner.check_request is request.check_request and runner.default_threads is request.default_threads
    assert runner.probe_plan is replan.probe_plan and runner.measurement is replan.measurement


def test_each_part_stays_small():
    probe = ROOT / "advisor" / "probe"
    for name in ("runner", "request", "persist", "progress", "replan", "localcal"):
        assert len((probe / f"{name}.py").read_text().splitlines()) <= 200, name
