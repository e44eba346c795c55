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


def workers(marker: str) -> list:
    """Live probe worker processes whose command line names `marker` (a test's private folder)."""
    import psutil

    out = []
    for p in psutil.process_iter(["cmdline"]):
        cmd = " ".join(p.info["cmdline"] or [])
        if "advisor.probe.worker" in cmd and marker in cmd:
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except psutil.Error:
                pass
    return out


def advisor_cmd(*argv: str) -> list[str]:
    return [sys.executable, "-m", "advisor", *argv]
