"""Probes leave nothing behind however the advisor ends (issue 12, item 5): SIGTERM kills the worker and removes
the run folder (exit 143); after a SIGKILL the orphaned worker kills itself, and the next run sweeps the folder.
The waits below are on conditions, bounded only against a hang; nothing depends on how fast this machine is."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from hardening_helpers import ROOT, advisor_cmd, workers

from advisor.probe.runs import RunDir, sweep

HANG_S = 600


def until(cond, what: str) -> None:
    t0 = time.monotonic()
    while not cond():
        assert time.monotonic() - t0 < HANG_S, f"{what}: not within {HANG_S} s"
        time.sleep(0.05)


def start_probe(root) -> subprocess.Popen:
    argv = advisor_cmd("probe", "--backend", "llamacpp", "--quant", "Q8_0", "--model", "tiny", "--json")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    until(lambda: workers(str(root), "convert") or proc.poll() is not None, "a convert worker")
    assert proc.poll() is None, proc.communicate()
    return proc


def run_folders(root) -> list[str]:
    runs = root / "runs"
    return sorted(p.name for p in runs.iterdir()) if runs.exists() else []


@pytest.mark.backend
def test_sigterm_kills_the_worker_and_removes_the_run_folder(probe_cache):
    _, root = probe_cache
    proc = start_probe(root)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=HANG_S)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1] == "terminated by signal 15", err
    assert workers(str(root)) == []
    assert run_folders(root) == []


@pytest.mark.backend
def test_after_a_sigkill_the_worker_dies_and_the_next_run_sweeps_its_folder(probe_cache):
    _, root = probe_cache
    proc = start_probe(root)
    proc.kill()
    proc.communicate(timeout=HANG_S)
    until(lambda: workers(str(root)) == [], "the orphaned worker to end itself")
    left = [n for n in run_folders(root) if not n.endswith(".lock")]
    assert len(left) == 1, left  # SIGKILL: nothing could clean up
    # the worker died with its parent (within its 0.5 s watch) instead of finishing a conversion nobody will read
    assert not (root / "runs" / left[0] / "convert.json").exists()
    assert sweep(root / "runs") == 1
    assert run_folders(root) == []


def test_sweep_takes_only_folders_whose_owner_is_gone(tmp_path):
    runs = tmp_path / "runs"
    live = RunDir(runs)
    live.path.mkdir()
    dead = []
    for _ in range(5):  # five killed runs: their locks released by the kernel, their folders left
        d = RunDir(runs)
        (d.path / "artifact").mkdir(parents=True)
        (d.path / "artifact" / "model.gguf").write_bytes(b"\0" * 1024)
        os.close(d._fd)
        dead.append(d.run_id)
    (runs / "0123456789ab").mkdir()  # a folder from a version without locks
    assert sweep(runs) == 6
    assert sorted(p.name for p in runs.iterdir()) == sorted([live.run_id, f"{live.run_id}.lock"])
    live.release()
    assert list(runs.iterdir()) == []
