"""Run one worker phase in a subprocess under a progress-scaled timeout and an RSS watchdog (psutil, whole process
tree), and account for the machine's load while it ran. RLIMIT_AS is not used: ONNX Runtime, OpenVINO and torch
reserve far more address space than they touch.

Timeout: a phase that passes `timeout_s` is stopped only if it is not working (its process tree used less than
`STALL_CPU` of a core over the last `STALL_WINDOW_S`); one still computing on a busy machine gets up to
`MAX_STRETCH` x `timeout_s`. Load: the CPU time other processes took while the phase ran, as a share of all CPUs
(`Usage.other_share`); the runner flags a measurement taken above `BUSY_SHARE`."""

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
STALL_WINDOW_S = 30.0  # a phase past its timeout must have used CPU within this window to be given more time
STALL_CPU = 0.05  # ... at least this share of one core on average (a worker blocked on nothing uses ~0)
MAX_STRETCH = 4.0  # a working phase never runs past MAX_STRETCH x timeout_s


@dataclass
class Usage:
    """What the phase and the rest of the machine used while it ran (CPU seconds; shares of all CPUs)."""

    wall_s: float = 0.0
    worker_cpu_s: float = 0.0
    other_cpu_s: float = 0.0
    cpus: int = 1
    loadavg_max: float = 0.0

    @property
    def other_share(self) -> float:
        """Share of the machine's CPU time that other processes took while the phase ran (0..1)."""
        return min(1.0, self.other_cpu_s / (self.wall_s * self.cpus)) if self.wall_s > 0 else 0.0

    def as_dict(self) -> dict:
        return {"wall_s": round(self.wall_s, 2), "worker_cpu_s": round(self.worker_cpu_s, 2),
                "other_cpu_s": round(self.other_cpu_s, 2), "cpus": self.cpus,
                "loadavg_max": round(self.loadavg_max, 2), "other_share": round(self.other_share, 3)}


@dataclass
class PhaseOutcome:
    ok: bool
    data: dict
    reason: str | None = None
    missing: bool = False  # the worker could not import the backend (exit 3)
    usage: Usage | None = None


def stall_window(timeout_s: float) -> float:
    """How far back a late phase's progress is judged: STALL_WINDOW_S, or half a short timeout."""
    return min(STALL_WINDOW_S, max(timeout_s / 2, POLL_S * 5))


def timeout_verdict(elapsed: float, timeout_s: float, recent_cpu_rate: float | None, load: float = 0.0) -> str | None:
    """Why to stop a phase now, or None to let it run. `recent_cpu_rate`: CPU seconds per second its tree used
    over the last STALL_WINDOW_S (None while the phase is younger than the window)."""
    if elapsed <= timeout_s:
        return None
    if elapsed > MAX_STRETCH * timeout_s:
        return (f"timed out after {elapsed:.0f} s, still working at {MAX_STRETCH:g}x the {timeout_s:g} s timeout "
                f"(load {load:.1f}; raise --timeout)")
    if recent_cpu_rate is not None and recent_cpu_rate < STALL_CPU:
        return (f"timed out after {elapsed:.0f} s: no progress in the last {stall_window(timeout_s):g} s "
                f"(used {recent_cpu_rate:.0%} of a core; raise --timeout if it was waiting on the disk)")
    return None


class _Meter:
    """CPU seconds of a process tree (children that exited included) and of the whole machine."""

    def __init__(self, ps, window_s: float):
        import psutil

        self.seen: dict[int, float] = {}
        self.ps, self.cpus, self.window = ps, psutil.cpu_count() or 1, window_s
        self.t0, self.sys0 = time.monotonic(), self._busy()
        self.samples: list[tuple[float, float]] = []
        self.loadavg_max = 0.0

    @staticmethod
    def _busy() -> float:
        import psutil

        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    def tree_cpu(self) -> float:
        import psutil

        try:
            procs = [self.ps, *self.ps.children(recursive=True)]
        except psutil.Error:
            procs = []
        for p in procs:
            try:
                c = p.cpu_times()
                self.seen[p.pid] = max(self.seen.get(p.pid, 0.0), c.user + c.system + c.children_user
                                       + c.children_system)
            except psutil.Error:
                pass
        return sum(self.seen.values())

    def sample(self) -> float | None:
        """Record now; the tree's CPU rate over the last window (None until a window has passed)."""
        now, cpu = time.monotonic(), self.tree_cpu()
        self.samples.append((now, cpu))
        try:
            self.loadavg_max = max(self.loadavg_max, os.getloadavg()[0])
        except OSError:
            pass
        while len(self.samples) > 2 and self.samples[1][0] <= now - self.window:
            self.samples.pop(0)
        t_old, c_old = self.samples[0]
        return (cpu - c_old) / (now - t_old) if now - t_old >= self.window else None

    def usage(self) -> Usage:
        wall = time.monotonic() - self.t0
        worker = sum(self.seen.values())
        other = max(0.0, self._busy() - self.sys0 - worker)
        return Usage(wall, worker, other, self.cpus, self.loadavg_max)


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
        why, ps, meter = None, None, None
        try:
            ps = psutil.Process(p.pid)
            meter = _Meter(ps, stall_window(timeout_s))
            t0, cap = time.monotonic(), mem_cap_gib * 2**30
            while p.poll() is None:
                rate = meter.sample()
                late = timeout_verdict(time.monotonic() - t0, timeout_s, rate, meter.loadavg_max)
                if cancel is not None and cancel.is_set():  # the advisor is stopping (Ctrl-C, SIGTERM)
                    why = f"{phase} cancelled: the advisor was interrupted"
                elif late:
                    why = f"{phase} {late}"
                elif _tree_rss(ps) > cap:
                    why = f"{phase} exceeded the memory cap of {mem_cap_gib:g} GiB (raise --mem-cap-gib)"
                if why:
                    _kill(p, ps)
                    break
                time.sleep(POLL_S)
        except BaseException:
            _kill(p, ps)
            raise
    usage = meter.usage() if meter is not None else None
    if why:
        return PhaseOutcome(False, {}, why, usage=usage)
    data = _read_json(out / f"{phase}.json")
    if p.returncode == 0 and data and "error" not in data:
        return PhaseOutcome(True, data, usage=usage)
    reason = data.get("error") or _crash_reason(p.returncode, log)
    return PhaseOutcome(False, data, f"{phase}: {reason}{_disk_note(out)}", missing=p.returncode == 3, usage=usage)


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
