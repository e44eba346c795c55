"""Atomic file writes (a temp file in the same folder, fsync, rename: readers never see half a file), and the
full-disk note that write failures carry."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def _read_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# read once, at import (single-threaded): os.umask is process-wide, so reading it later could race other threads
_UMASK = _read_umask()


def _default_mode() -> int:
    return 0o666 & ~_UMASK


def write_text_atomic(path: Path, text: str, mode: int | None = None) -> None:
    """Write `text` to `path` atomically; the file gets `mode` (default: 0o666 less the umask, like open())."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _default_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a power cut after return keeps the new file); best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


LOW_DISK_BYTES = 4 * 2**20


def full_disk_note(path: Path, setting: str) -> str:
    """'; the disk holding PATH is full ...' when it has under 4 MiB free, else ''. Libraries often report ENOSPC
    as an opaque I/O error (llama.cpp: iostream error; SQLite: disk I/O error), so failures add this."""
    path = Path(path)
    probe = next((p for p in (path, *path.parents) if p.exists()), None)
    try:
        free = shutil.disk_usage(probe).free if probe is not None else LOW_DISK_BYTES
    except OSError:
        return ""
    if free >= LOW_DISK_BYTES:
        return ""
    return f"; the disk holding {path} is full ({free / 2**20:.1f} MiB free): free space or set {setting} elsewhere"
