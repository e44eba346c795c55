"""Helpers shared by the hardening tests (a plain module: pytest puts this folder on sys.path)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("smollm2-135m-2layer", "local")  # what probes read and build once: the tiny model, local-folder exports


def _shared_probe_root() -> Path:
    from advisor.probe.models import cache_root

    return cache_root()


def link_shared(cache: Path) -> Path:
    """Make `cache` an ADVISOR_CACHE_DIR that shares the built probe models with the user cache; returns its
    probe root (where runs/ and logs/ appear)."""
    shared = _shared_probe_root()
    root = cache / shared.relative_to(shared.parents[1])
    root.mkdir(parents=True, exist_ok=True)
    for name in SHARED:
        (shared / name).mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(shared / name, target_is_directory=True)
    return root


def fill(fs: Path) -> None:
    """Fill a file system to the last byte (unbuffered writes, smaller and smaller, until ENOSPC)."""
    with open(fs / "filler", "wb", buffering=0) as fh:
        for chunk in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    fh.write(b"\0" * chunk)
            except OSError:
                pass


def workers(marker: str, phase: str | None = None) -> list:
    """Live probe worker processes whose command line names `marker` (a test's private folder), and `phase` when
    given. A process may exit or turn zombie at any moment of the scan: it then simply is not live, never an
    error (psutil.ZombieProcess from a second cmdline() call made this flaky under load)."""
    import psutil

    out = []
    for p in psutil.process_iter(["cmdline", "status"]):
        cmd = p.info["cmdline"] or []  # read once, by process_iter, which turns access errors into None
        if ("advisor.probe.worker" in " ".join(cmd) and marker in " ".join(cmd) and (phase is None or phase in cmd)
                and p.info["status"] != psutil.STATUS_ZOMBIE):
            out.append(p)
    return out


def advisor_cmd(*argv: str) -> list[str]:
    return [sys.executable, "-m", "advisor", *argv]
