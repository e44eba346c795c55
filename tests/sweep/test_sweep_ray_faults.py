"""A real local Ray cluster (loopback only, no dashboard, stopped by the fixture): a probe sweep of four cells on
two workers, one worker SIGKILLed in the middle of a cell. Every cell must come back stored exactly once, or failed
with its reason, and the store must pass its integrity check."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time

import pytest

ray = pytest.importorskip("ray")
from advisor.probe.backends import missing_module  # noqa: E402
from guards import HANG_S  # noqa: E402

pytestmark = [pytest.mark.backend, pytest.mark.slow,
              pytest.mark.skipif(missing_module("llamacpp") is not None, reason="llama.cpp backend not installed")]

QUANTS = ["Q8_0", "Q4_0", "Q5_0", "Q4_K_S"]  # four probe cells of the 2-layer probe model (~10 s each here)


@pytest.fixture
def ray_cluster(private_store):
    from advisor.sweep.ray_pool import loopback_only

    tmp = tempfile.mkdtemp(prefix="adv-rt-", dir="/tmp")  # short: Ray's socket paths are limited to ~107 bytes
    loopback_only()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=tmp, _node_ip_address="127.0.0.1",
             configure_logging=False)
    try:
        assert ray.util.get_node_ip_address() == "127.0.0.1"
        assert _listening() and all(ip in ("127.0.0.1", "::ffff:127.0.0.1") for ip in _listening()), _listening()
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


def _listening() -> set[str]:
    """The addresses the cluster's processes (this process's children) listen on."""
    import psutil

    ips = set()
    for p in psutil.Process().children(recursive=True):
        try:
            ips |= {c.laddr.ip for c in p.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            continue
    return ips


def _ray_worker_mid_probe() -> int | None:
    """The pid of one of this cluster's Ray workers (this process's descendants, nobody else's) that is running a
    probe phase right now: its child is advisor.probe.worker."""
    import psutil

    for p in psutil.Process().children(recursive=True):
        try:
            if "advisor.probe.worker" not in " ".join(p.cmdline()):
                continue
            parent = p.parent()
            if parent is not None and (parent.name().startswith("ray::") or "ray::" in " ".join(parent.cmdline())):
                return parent.pid
        except psutil.Error:
            continue
    return None


def _sweep_killing_one_worker(req):
    from advisor.sweep.run import run_sweep

    box: dict = {}
    t = threading.Thread(target=lambda: box.update(summary=run_sweep(req, progress=False)))
    t.start()
    killed = None
    deadline = time.monotonic() + HANG_S  # an upper bound only: the loop waits for an event, not for a time
    while killed is None and t.is_alive() and time.monotonic() < deadline:
        pid = _ray_worker_mid_probe()
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
            killed = pid
        time.sleep(0.05)
    t.join(900)
    assert not t.is_alive()
    assert killed is not None, "no Ray worker was seen mid-probe"
    return box["summary"]


def test_worker_killed_mid_cell_every_cell_stored_once_or_failed(ray_cluster, tmp_path):
    from advisor.knowledge import load_knowledge
    from advisor.probe import store
    from advisor.sweep.cells import resolve_devices, resolve_models
    from advisor.sweep.run import SweepRequest, run_sweep

    req = SweepRequest(models=resolve_models(["tiny"], load_knowledge()), devices=resolve_devices(["auto"]),
                       out=tmp_path / "out", backends=["llamacpp"], quants=QUANTS, workers=1, probe=True,
                       ray="local", probe_workers=2, threads=1, probe_timeout_s=HANG_S)
    summary = _sweep_killing_one_worker(req)

    entries = [__import__("json").loads(ln) for ln in (tmp_path / "out" / "probes.jsonl").read_text().splitlines()]
    assert sorted(e["quant"] for e in entries) == sorted(QUANTS)  # every cell once in the journal
    stored = store.load()
    for e in entries:
        if e["ok"]:
            assert [r.id for r in stored if r.id == e["probe_id"]] == [e["probe_id"]]
        else:
            assert e["reason"], e
    ok_rows = [r for r in stored if r.ok and r.model == "smollm2-135m-2layer"]
    assert sorted(r.quant for r in ok_rows) == sorted(e["quant"] for e in entries if e["ok"])  # none twice
    assert summary.probes_run == len(QUANTS)
    assert store.check() == []
    # the table: one row per candidate, each carrying its probe's outcome
    import csv

    rows = list(csv.DictReader((tmp_path / "out" / "sweep.csv").open()))
    assert sorted(r["quant"] for r in rows) == sorted(QUANTS)
    assert all(r["probe_ok"] in ("True", "False") for r in rows)

    # rerunning resumes: nothing is probed again, nothing is stored again
    again = run_sweep(req, progress=False)
    assert again.probes_run == 0 and again.planned == 0
    assert len(store.load()) == len(stored)

    # without retries the killed cell is not lost either: it is failed, with Ray's reason, and stored as no measurement
    one = SweepRequest(**{**req.__dict__, "out": tmp_path / "out2", "quants": ["Q8_0"], "ray_retries": 0})
    summary = _sweep_killing_one_worker(one)
    (entry,) = [__import__("json").loads(ln) for ln in (tmp_path / "out2" / "probes.jsonl").read_text().splitlines()]
    assert summary.probes_failed == 1 and entry["ok"] is False
    assert "Ray task failed" in entry["reason"] and "Worker" in entry["reason"], entry["reason"]
    assert store.check() == []
