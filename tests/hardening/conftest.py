"""Hardening fixtures: a private measurement store for the whole folder; for probe tests a private cache whose
runs/ and logs/ are the test's own (the built probe model is shared by symlink, so it is built once); a real small
file system (tmpfs) to fill up; and a way to find a test's worker processes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hardening_helpers import link_shared



@pytest.fixture(scope="session", autouse=True)
def private_data_dir(tmp_path_factory):
    """`plan` reads the measurement store: never the user's own (session scope: hypothesis tests use it too)."""
    old = os.environ.get("ADVISOR_DATA_DIR")
    os.environ["ADVISOR_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    yield
    if old is None:
        os.environ.pop("ADVISOR_DATA_DIR", None)
    else:
        os.environ["ADVISOR_DATA_DIR"] = old


@pytest.fixture
def probe_cache(tmp_path, monkeypatch):
    """(cache dir, probe root): a private ADVISOR_CACHE_DIR for one probe test, llama.cpp required."""
    from advisor.probe.backends import missing_module

    if missing_module("llamacpp"):
        pytest.skip(f"llama-cpp-python not installed ({missing_module('llamacpp')})")
    cache = tmp_path / "cache"
    root = link_shared(cache)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(cache))
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return cache, root


@pytest.fixture(scope="session")
def tiny_hf() -> Path:
    """The tiny probe model's Hugging Face folder (built into the user cache by the first probe if missing)."""
    from advisor.probe.models import resolve

    return resolve("tiny").hf_dir


@pytest.fixture
def tmpfs(tmp_path):
    """mount(size) -> a fresh tmpfs of that size: a real file system that really runs out of space (ENOSPC), which
    RLIMIT_FSIZE (EFBIG + SIGXFSZ) and /dev/full (one file only) cannot give to a whole folder tree."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        d = tmp_path / f"fs{len(mounted)}"
        d.mkdir()
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(d)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {p.stderr.strip()}")
        mounted.append(d)
        return d

    yield mount
    for d in reversed(mounted):
        subprocess.run(["umount", "-l", str(d)], capture_output=True)


