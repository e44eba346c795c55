"""No network access unless the user asked for a hub id: every socket connect in the child is refused and logged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from guards import HANG_S

ROOT = Path(__file__).resolve().parents[2]

GUARD = '''
import socket, os
_log = os.environ["NET_LOG"]
def _refuse(self, address, *a, **k):
    fam = getattr(self, "family", None)
    if fam == socket.AF_UNIX:
        return _orig(self, address, *a, **k)
    with open(_log, "a") as fh:
        fh.write(repr(address) + "\\n")
    raise OSError("network disabled by test")
_orig = socket.socket.connect
socket.socket.connect = _refuse
socket.socket.connect_ex = lambda self, address: (_refuse(self, address), 1)[1]
def _no_dns(host, *a, **k):
    with open(_log, "a") as fh:
        fh.write("dns " + repr(host) + "\\n")
    raise socket.gaierror("network disabled by test")
socket.getaddrinfo = _no_dns
'''


def run_guarded(tmp_path, *argv, offline=False):
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    env = {**os.environ, "PYTHONPATH": f"{site}{os.pathsep}{ROOT}", "NET_LOG": str(log)}
    env.pop("HF_HUB_OFFLINE", None)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    p = subprocess.run([sys.executable, "-m", "advisor", *argv], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=HANG_S)
    attempts = log.read_text().splitlines() if log.exists() else []
    return p, attempts


def test_plan_makes_no_network_calls(tmp_path):
    p, attempts = run_guarded(tmp_path, "plan", "--device", "raspberry-pi-5-8gb", "--model", "llama-3.2-1b-instruct", "--json")
    assert p.returncode == 0, p.stderr
    assert attempts == []


def test_guard_really_sees_hub_requests(tmp_path):
    """The guard works: asking for a hub id (the one case allowed to use the network) is caught and explained."""
    p, attempts = run_guarded(tmp_path, "plan", "--device", "raspberry-pi-5-8gb", "--model", "someorg/some-model")
    assert p.returncode == 2 and "local path" in p.stderr and "Traceback" not in p.stderr
    assert attempts, "the hub lookup should have tried the network"
