"""Compiled copies of the loaded knowledge base and the shipped device profiles, like Python's own .pyc files: the
YAML is parsed, validated and the energy model fitted once, then every later command reads the result in about 2 ms
instead of about 180 ms (`advisor plan` starts in a third of the time: benchmarks/plan_latency.py).

A copy is keyed by a fingerprint of everything it was built from: the size and modification time of every file it
was read from and of every module of the advisor package (a changed schema must not meet an old copy), plus the
Python and pydantic versions (pydantic's by its version file). Any change rebuilds it. It lives in the user's cache folder (ADVISOR_CACHE_DIR), is
written atomically, and is only read back when this user owns it and nobody else may write it (it is a pickle:
whoever can write it could run code as this user). ADVISOR_NO_SNAPSHOT=1 turns it off. A snapshot that cannot be
read or written is ignored: the knowledge base is then loaded from the YAML as before, never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from . import paths

T = TypeVar("T")
NAME = "knowledge.snapshot"
MAGIC = b"advisor-snapshot-1\n"


def enabled() -> bool:
    return os.environ.get("ADVISOR_NO_SNAPSHOT", "").strip().lower() not in {"1", "true", "yes", "on"}


def fingerprint(*sources: Path, suffixes: tuple[str, ...] = ()) -> bytes:
    """sha256 over (path, size, mtime) of every source file and every file in the source folders (only those ending
    in `suffixes` when given), and the interpreter's versions."""
    h = hashlib.sha256(f"{sys.version}|{_validator_version()}".encode())
    for source in sources:
        h.update(str(source).encode())
        if source.is_dir():
            _walk(h, str(source), suffixes)
            continue
        try:
            st = os.stat(source)
        except OSError:
            continue
        h.update(f"|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.digest()


@lru_cache(maxsize=1)
def _validator_version() -> str:
    """pydantic validated what a snapshot holds, so a new pydantic retakes it; the size and time of its version.py
    stand for its version (reading pydantic.VERSION would import pydantic, half a cold plan: advisor/record.py)."""
    from importlib.machinery import PathFinder

    try:
        spec = PathFinder.find_spec("pydantic")
        st = os.stat(Path(spec.origin).with_name("version.py"))  # type: ignore[union-attr,arg-type]
    except (OSError, TypeError, AttributeError, ValueError):
        return "pydantic ?"
    return f"pydantic {st.st_size} {st.st_mtime_ns}"


def _walk(h, folder: str, suffixes: tuple[str, ...]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.name == "__pycache__" or entry.name.endswith((".pyc", ".swp", "~")):
            continue
        try:
            if entry.is_dir():
                _walk(h, entry.path, suffixes)
            elif not suffixes or entry.name.endswith(suffixes):
                st = entry.stat()
                h.update(f"{entry.path}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            continue


def cached(build: Callable[[], T], *sources: Path, name: str = NAME) -> T:
    """build(), or the snapshot `name` of its result when no source file or folder (and no module of the package)
    changed since it was taken."""
    if not enabled():
        return build()
    where = _path(name)
    key = fingerprint(*sources) + _package_fingerprint()
    hit = _read(where, key)
    if hit is not None:
        return hit
    value = build()
    _write(where, key, value)
    return value


@lru_cache(maxsize=1)
def _package_fingerprint() -> bytes:
    """The package's modules: a class that changed shape must not meet objects pickled from its old shape."""
    return fingerprint(paths.PACKAGE_DIR, suffixes=(".py",))


def _path(name: str) -> Path | None:
    try:
        return paths.user_cache_dir() / "snapshots" / name
    except Exception:  # noqa: BLE001 - no home, no platformdirs answer: run without a snapshot
        return None


def _read(where: Path | None, key: bytes):
    if where is None:
        return None
    try:
        with open(where, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not _trusted(st):
                return None
            if fh.read(len(MAGIC)) != MAGIC or fh.read(len(key)) != key:
                return None
            return pickle.load(fh)
    except Exception:  # noqa: BLE001 - missing, truncated, from another version: rebuild from the YAML
        return None


def _trusted(st: os.stat_result) -> bool:
    """Owned by this user (or root's own file when running as root) and writable by nobody else."""
    getuid = getattr(os, "getuid", None)
    if getuid is not None and st.st_uid != getuid():
        return False
    return stat.S_ISREG(st.st_mode) and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _write(where: Path | None, key: bytes, value: object) -> None:
    if where is None:
        return
    tmp = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        where.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + key + data)
        os.replace(tmp, where)
    except Exception:  # noqa: BLE001 - a read-only or full cache folder: the next command loads the YAML again
        try:
            tmp.unlink()
        except OSError:
            pass
