"""Run folders (cache_root()/runs/ID) that outlive nothing: each is owned through an exclusive flock on ID.lock,
held by the advisor process for the whole run, so the kernel releases it however that process ends, SIGKILL
included. The next run sweeps every folder whose lock it can take: its owner is gone."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import uuid
from pathlib import Path

log = logging.getLogger(__name__)


class RunDir:
    """A fresh run folder under `runs`, owned (locked) until `release()`."""

    def __init__(self, runs: Path):
        runs.mkdir(parents=True, exist_ok=True)
        while True:
            self.run_id = uuid.uuid4().hex[:12]
            lock = runs / f"{self.run_id}.lock"
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_nlink:  # a sweeper unlinked it before we locked it: take another id
                break
            os.close(fd)
        self._fd: int | None = fd
        self.lock, self.path = lock, runs / self.run_id

    def release(self) -> None:
        """Delete the folder and its lock (the lock last: while it exists and is held, nobody sweeps the folder)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            try:
                self.lock.unlink()
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None


def sweep(runs: Path) -> int:
    """Remove run folders whose owner is gone (their lock is free, or they have none); returns how many."""
    if not runs.is_dir():
        return 0
    gone = 0
    for entry in sorted(runs.iterdir()):
        if entry.suffix == ".lock" or not entry.is_dir():
            continue
        lock = runs / f"{entry.name}.lock"
        try:
            fd = os.open(lock, os.O_RDWR)
        except FileNotFoundError:  # a folder from a version without locks, or whose lock a sweep already took
            shutil.rmtree(entry, ignore_errors=True)
            gone += 1
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a live run
            os.close(fd)
            continue
        shutil.rmtree(entry, ignore_errors=True)
        try:
            lock.unlink()
        except FileNotFoundError:
            pass
        os.close(fd)
        gone += 1
    # locks whose folder is gone and whose owner is gone too
    for lock in runs.glob("*.lock"):
        if (runs / lock.stem).exists():
            continue
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.unlink()
        except (BlockingIOError, FileNotFoundError):
            pass
        finally:
            os.close(fd)
    if gone:
        log.info("removed %d run folder(s) left by probes that were killed", gone)
    return gone
