"""Run one worker phase in a subprocess under a wall-clock timeout and an RSS watchdog (psutil, whole process
tree). RLIMIT_AS is not used: ONNX Runtime, OpenVINO and torch reserve far more address space than they touch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

POLL_S = 0.1


@dataclass
class PhaseOutcome:
    ok: bool
    data: dict
    reason: str | None = None
    missing: bool = False  # the worker could not import the backend (exit 3)


def _tree_rss(proc) -> int:
    import psutil

    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_phase(phase: str, args: list[str], out: Path, timeout_s: float, mem_cap_gib: float) -> PhaseOutcome:
    import psutil

    out.mkdir(parents=True, exist_ok=True)
    log = out / f"{phase}.log"
    cmd = [sys.executable, "-m", "advisor.probe.worker", phase, "--out", str(out), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    with open(log, "wb") as fh:
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        ps = psutil.Process(p.pid)
        t0, cap, why = time.monotonic(), mem_cap_gib * 2**30, None
        while p.poll() is None:
            if time.monotonic() - t0 > timeout_s:
                why = f"{phase} timed out after {timeout_s:.0f} s (raise --timeout)"
            elif _tree_rss(ps) > cap:
                why = f"{phase} exceeded the memory cap of {mem_cap_gib:g} GiB (raise --mem-cap-gib)"
            if why:
                _kill(p)
                break
            time.sleep(POLL_S)
    if why:
        return PhaseOutcome(False, {}, why)
    res = out / f"{phase}.json"
    data = json.loads(res.read_text()) if res.is_file() else {}
    if p.returncode == 0 and "error" not in data:
        return PhaseOutcome(True, data)
    reason = data.get("error") or _crash_reason(p.returncode, log)
    return PhaseOutcome(False, data, f"{phase}: {reason}", missing=p.returncode == 3)


def _kill(p: subprocess.Popen) -> None:
    import signal

    try:
        os.killpg(p.pid, signal.SIGKILL)  # the worker leads its own session: only its tree goes
    except ProcessLookupError:
        pass
    p.wait()


def _crash_reason(code: int, log: Path) -> str:
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.is_file() else []
    sig = f"killed by signal {-code}" if code < 0 else f"exited {code}"
    return f"worker {sig}" + (f": {tail[0][:300]}" if tail else "") + f" (log: {log})"
