"""Probe tests: a private measurement store per test; the probe model cache is shared (it is built once)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_store(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "data"
