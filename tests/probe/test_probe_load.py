"""Probes on a busy machine (issue 12): timeouts follow progress, and speeds timed under load are flagged, kept
out of local recalibration, and shown as such. No test here depends on how fast anything runs."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from advisor.probe import store
from advisor.probe.isolate import MAX_STRETCH, STALL_CPU, Usage, _Meter, stall_window, timeout_verdict
from advisor.probe.recalibrate import corrections
from advisor.probe.replan import measurement
from advisor.probe.runner import BUSY_SHARE, load_note
from conftest_probe import result as _res


def test_a_phase_within_its_timeout_always_runs():
    assert timeout_verdict(599, 600, 0.0) is None


def test_a_late_phase_that_still_works_gets_more_time_up_to_the_stretch():
    assert timeout_verdict(700, 600, 1.5) is None
    assert timeout_verdict(700, 600, None) is None  # too young to judge its progress
    why = timeout_verdict(MAX_STRETCH * 600 + 1, 600, 1.5, load=7.5)
    assert "still working" in why and "load 7.5" in why and "raise --timeout" in why


def test_a_late_phase_that_makes_no_progress_is_stopped():
    why = timeout_verdict(700, 600, STALL_CPU / 2)
    assert why.startswith("timed out after 700 s: no progress") and "raise --timeout" in why


def test_stall_window_scales_down_for_short_timeouts():
    assert stall_window(600) == 30 and stall_window(2) == 1


@pytest.fixture
def proc():
    made = []

    def start(code: str) -> psutil.Process:
        """Run `code` once the interpreter is up: metering starts after its start-up CPU, whatever it costs."""
        p = subprocess.Popen([sys.executable, "-c", f"print('up', flush=True)\n{code}"], stdout=subprocess.PIPE,
                             text=True)
        made.append(p)
        assert p.stdout is not None and p.stdout.readline().strip() == "up"
        return psutil.Process(p.pid)

    yield start
    for p in made:
        p.kill()
        p.wait()


def _rate(meter: _Meter) -> float:
    rate = None
    while rate is None:  # sample until one whole window has passed (however long the machine takes)
        rate = meter.sample()
        psutil.cpu_percent(interval=0.05)
    return rate


def test_meter_tells_a_blocked_worker_from_a_working_one(proc):
    blocked = _Meter(proc("import time; time.sleep(600)"), window_s=0.5)
    working = _Meter(proc("while True: pass"), window_s=0.5)
    assert _rate(blocked) < STALL_CPU
    assert _rate(working) > STALL_CPU


def test_meter_counts_what_other_processes_take(proc):
    meter = _Meter(proc("import time; time.sleep(600)"), window_s=0.5)
    burners = [proc("while True: pass") for _ in range(psutil.cpu_count() or 1)]  # noqa: F841
    _rate(meter)
    u = meter.usage()
    assert u.worker_cpu_s < 0.5 and u.other_cpu_s > 0 and u.other_share > BUSY_SHARE


def test_usage_share_is_bounded_and_serialisable():
    u = Usage(wall_s=10, worker_cpu_s=19, other_cpu_s=15, cpus=2, loadavg_max=3.2)
    assert u.other_share == 0.75 and u.as_dict()["other_share"] == 0.75
    assert Usage(wall_s=0).other_share == 0.0 and Usage(wall_s=1, other_cpu_s=99, cpus=1).other_share == 1.0
    assert "75% of the 2 CPUs" in load_note(u)


def test_speeds_measured_under_load_do_not_recalibrate():
    calm, busy = _res(decode=80.0), _res(decode=10.0).model_copy(update={"under_load": True, "id": 99})
    corr, n = corrections([calm, busy])
    assert n["decode:llamacpp-cpu"] == 1 and corr == corrections([calm])[0]
    assert measurement(busy).under_load is True


def test_the_flag_is_stored_listed_and_exported(private_store, cli):
    busy = _res().model_copy(update={"under_load": True, "env": {**_res().env, "load": Usage(5, 9, 6, 2).as_dict()}})
    store.save(busy)
    [row] = cli("measurements", "list", "--json").json()
    assert row["under_load"] is True and row["other_cpu_share"] == 0.6
    assert cli("measurements", "list").code == 0
    head, line = store.to_csv(store.load()).splitlines()[:2]
    assert head.endswith("under_load,other_cpu_share") and line.endswith("True,0.6")
