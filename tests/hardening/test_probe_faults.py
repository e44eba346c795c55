"""Probes under fault, through `advisor plan --probe` / `probe_plan` with the real llama.cpp backend on the tiny
probe model: a worker SIGKILLed mid-run, a time cap, a memory cap, a full disk under the cache and under the
store, and Ctrl-C. Each time the plan (or probe) completes, the failure carries its reason, the run's work folder
is gone and no worker is left running. (tests/probe covers `run_phase` alone: caps, a crashing worker.)"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import psutil
import pytest
from hardening_helpers import ROOT, advisor_cmd, fill, link_shared, workers
from guards import HANG_S

pytestmark = pytest.mark.backend
PI = ["--device", "raspberry-pi-5-8gb"]


def probed(plan: dict) -> list[dict]:
    return [c for c in plan["candidates"] if c.get("measured")]


def assert_clean(root, marker: str) -> None:
    runs = root / "runs"
    assert not runs.exists() or list(runs.iterdir()) == [], f"work folders left: {list(runs.iterdir())}"
    assert workers(marker) == [], "a probe worker is still running"


def plan_probe(tiny_hf, *extra: str, env=None) -> subprocess.Popen:
    argv = advisor_cmd("plan", *PI, "--model", str(tiny_hf), "--backend", "llamacpp", "--probe", "--probe-top", "1",
                       "--json", *extra)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={**os.environ, **(env or {})})


def wait_for_worker(marker: str, phase: str, proc: subprocess.Popen) -> psutil.Process:
    """The worker of `phase` once it runs; fails only if the advisor process ends first (no time limit of its own:
    a busy machine is slow, not wrong; pytest's own timeout, if any, bounds a hang)."""
    while True:
        found = workers(marker, phase)
        if found:
            return found[0]
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)


def kill(w: psutil.Process, sig: signal.Signals) -> None:
    """Send `sig` to a worker found alive a moment ago; one that has exited since cannot be signalled, and the
    test's assertions (the reason, the clean-up) then say what happened."""
    try:
        w.send_signal(sig)
    except psutil.NoSuchProcess:
        pass


def test_worker_sigkilled_mid_run(probe_cache, tiny_hf):
    cache, root = probe_cache
    proc = plan_probe(tiny_hf)
    w = wait_for_worker(str(root), "measure", proc)
    kill(w, signal.SIGKILL)  # at once: the measure phase takes seconds (imports, load, scoring); no sleep to time
    out, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 0, err
    [c] = probed(json.loads(out))
    m = c["measured"]
    assert m["ok"] is False and "measure: worker killed by signal 9 (SIGKILL)" in m["reason"], m["reason"]
    assert any(r.startswith("probe failed: measure: worker killed") for r in c["reasons"])
    # the reason points at the kept log of the failed run; the store has the failure too
    log = m["reason"].rsplit("(log: ", 1)[1].rstrip(")")
    assert os.path.isfile(log) and log.startswith(str(root / "logs"))
    rows = sqlite3.connect(os.environ["ADVISOR_DATA_DIR"] + "/measurements.sqlite").execute(
        "SELECT ok, reason FROM probes").fetchall()
    assert rows == [(0, m["reason"])]
    assert_clean(root, str(root))


@pytest.mark.parametrize("cap,why", [({"timeout_s": 0.3}, "convert timed out after"),
                                     ({"mem_cap_gib": 0.03}, "exceeded the memory cap of 0.03 GiB")])
def test_time_and_memory_caps_in_probe_plan(probe_cache, tiny_hf, cap, why):
    from advisor.cli.common import load_inputs
    from advisor.planner import make_plan
    from advisor.probe.replan import probe_plan
    from advisor.schemas import Constraints

    cache, root = probe_cache
    kb, cal, dev, spec = load_inputs("raspberry-pi-5-8gb", str(tiny_hf))
    plan = make_plan(dev, spec, Constraints(backend=["llamacpp"]), kb, cal)
    out = probe_plan(plan, spec, top=2, progress=False, threads=1, **cap)
    [a, b] = [c for c in out.candidates if c.measured]
    for c in (a, b):
        assert c.measured.ok is False and why in c.measured.reason, c.measured.reason
    assert_clean(root, str(root))


def test_full_disk_under_the_cache(probe_cache, tiny_hf, tmpfs):
    """The cache on a 6 MiB file system: the 37 MB Q8_0 GGUF cannot be written. llama.cpp reports ENOSPC as an
    opaque iostream error; the reason must still say the disk is full, and the partial file must go."""
    _, shared_root = probe_cache
    fs = tmpfs("6m")
    root = link_shared(fs)
    proc = plan_probe(tiny_hf, env={"ADVISOR_CACHE_DIR": str(fs)})
    out, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    [c] = probed(json.loads(out))
    reason = c["measured"]["reason"]
    assert c["measured"]["ok"] is False and reason.startswith("convert: ") and "is full" in reason, reason
    assert "ADVISOR_CACHE_DIR" in reason
    assert_clean(root, str(fs))
    used = sum(f.stat().st_size for f in fs.rglob("*") if f.is_file() and not f.is_symlink())
    assert used < 1 << 20, f"{used} bytes left on the full disk"  # only the failed run's logs


def test_full_disk_under_the_store_keeps_the_measurement(probe_cache, tmpfs):
    """The store's disk is full: the probe still prints its measurement, says it was not stored and why, and the
    database is intact afterwards."""
    fs = tmpfs("1m")
    from advisor.probe import store
    from advisor.probe.spec import ProbeResult

    db = fs / "measurements.sqlite"
    store.save(ProbeResult(backend="llamacpp", quant="Q8_0", model="before", ok=True, env={"fingerprint": "x"}),
               db)
    fill(fs)
    argv = advisor_cmd("probe", "--backend", "llamacpp", "--quant", "Q8_0", "--model", "tiny", "--gen-tokens", "8",
                       "--json")
    p = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=HANG_S,
                       env={**os.environ, "ADVISOR_DATA_DIR": str(fs)})
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["ok"] and d["measured"]["kld"] < 0.01 and d["id"] is None
    assert any(n.startswith("not stored: cannot ") and "measurement store" in n and "is full" in n
               for n in d["measured"]["notes"]), d["measured"]["notes"]
    (fs / "filler").unlink()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in con.execute("SELECT model FROM probes")] == ["before"]


def test_ctrl_c_kills_the_worker_and_cleans_up(probe_cache):
    cache, root = probe_cache
    argv = advisor_cmd("probe", "--backend", "llamacpp", "--quant", "Q8_0", "--model", "tiny", "--json")
    # as in a terminal: a shell that started the suite in the background (`cmd &`) passes SIGINT on as *ignored*,
    # which Python then honours (the advisor would rightly carry on, as under nohup)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for_worker(str(root), "convert", proc)
    proc.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground group; the worker has its own session
    out, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 130 and err.strip() in ("aborted", "interrupted"), err
    assert workers(str(root)) == []  # gone or a zombie: nothing of it runs
    assert_clean(root, str(root))
