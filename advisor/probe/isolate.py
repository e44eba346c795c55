"""Run one worker phase in a subprocess under a wall-clock timeout and an RSS watchdog (psutil, whole process
tree). RLIMIT_AS is not used: ONNX Runtime, OpenVINO and torch reserve far more address space than they touch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
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


def run_phase(phase: str, args: list[str], out: Path, timeout_s: float, mem_cap_gib: float,
              log: Path | None = None, cancel: threading.Event | None = None, python: str | None = None) -> PhaseOutcome:
    """Run the worker's `phase` writing into `out` (its output to `log`, default out/PHASE.log). Never raises for
    what the worker does (crash, kill, full disk): the outcome carries the reason. An exception in this process
    (Ctrl-C) kills the worker's tree before it propagates, and so does `cancel` being set from another thread, so
    nothing is left running. `python`: the interpreter of a backend's own environment (default: this one); it
    finds this advisor package through PYTHONPATH."""
    import psutil

    cmd = [python or sys.executable, "-m", "advisor.probe.worker", phase, "--out", str(out), *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1", "ADVISOR_PROBE_PARENT": str(os.getpid())}
    if python and python != sys.executable:
        pkg_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, os.environ.get("PYTHONPATH")) if p)
    log = log or out / f"{phase}.log"
    try:
        out.mkdir(parents=True, exist_ok=True)
        log.parent.mkdir(parents=True, exist_ok=True)
        fh = open(log, "wb")
    except OSError as exc:
        return PhaseOutcome(False, {}, f"{phase}: cannot write in {out} ({exc.strerror or exc}){_disk_note(out)}")
    with fh:
        try:
            p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        except OSError as exc:
            return PhaseOutcome(False, {}, f"{phase}: cannot start the worker ({exc.strerror or exc})")
        why, ps = None, None
        try:
            ps = psutil.Process(p.pid)
            t0, cap = time.monotonic(), mem_cap_gib * 2**30
            while p.poll() is None:
                if cancel is not None and cancel.is_set():  # the advisor is stopping (Ctrl-C, SIGTERM)
                    why = f"{phase} cancelled: the advisor was interrupted"
                elif time.monotonic() - t0 > timeout_s:
                    why = f"{phase} timed out after {timeout_s:g} s (raise --timeout)"
                elif _tree_rss(ps) > cap:
                    why = f"{phase} exceeded the memory cap of {mem_cap_gib:g} GiB (raise --mem-cap-gib)"
                if why:
                    _kill(p, ps)
                    break
                time.sleep(POLL_S)
        except BaseException:
            _kill(p, ps)
            raise
    if why:
        return PhaseOutcome(False, {}, why)
    data = _read_json(out / f"{phase}.json")
    if p.returncode == 0 and data and "error" not in data:
        return PhaseOutcome(True, data)
    reason = data.get("error") or _crash_reason(p.returncode, log)
    return PhaseOutcome(False, data, f"{phase}: {reason}{_disk_note(out)}", missing=p.returncode == 3)


def _read_json(path: Path) -> dict:
    """The worker's result, or {} when it wrote none or only part of one (killed, disk full)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _disk_note(out: Path) -> str:
    from ..atomic import full_disk_note

    return full_disk_note(out, "ADVISOR_CACHE_DIR")


def _kill(p: subprocess.Popen, ps) -> None:
    """SIGKILL the worker's process group and any descendant that left it (a backend's own sessions)."""
    import psutil

    try:
        kids = ps.children(recursive=True) if ps is not None else []
    except psutil.Error:
        kids = []
    try:
        os.killpg(p.pid, signal.SIGKILL)  # the worker leads its own session: only its tree goes
    except ProcessLookupError:
        pass
    for k in kids:
        try:
            k.kill()
        except psutil.Error:
            pass
    p.wait()


def _crash_reason(code: int, log: Path) -> str:
    try:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:]
    except OSError:
        tail = []
    if code < 0:
        try:
            sig = f"killed by signal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            sig = f"killed by signal {-code}"
    else:
        sig = f"exited {code}"
    return f"worker {sig}" + (f": {tail[0][:300]}" if tail else "") + f" (log: {log})"
