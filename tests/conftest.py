"""Shared fixtures: run the real CLI entry point in-process or as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from guards import HANG_S

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def _private_measurement_store(tmp_path_factory):
    """Plans read stored probes: give the test session its own, empty store (the probe model cache stays shared)."""
    if not os.environ.get("ADVISOR_DATA_DIR"):
        os.environ["ADVISOR_DATA_DIR"] = str(tmp_path_factory.mktemp("advisor-data"))
    yield


class Result:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(capsys):
    """Call advisor.cli.main(argv) in-process; returns exit code and captured stdout/stderr."""
    from advisor.cli import main

    def run(*argv: str) -> Result:
        code = main(list(argv))
        cap = capsys.readouterr()
        return Result(code, cap.out, cap.err)

    return run


@pytest.fixture
def sh():
    """Run `python -m advisor` in a subprocess (the console entry point, with a clean environment)."""

    def run(*argv: str, env: dict | None = None, timeout: float = HANG_S) -> Result:
        e = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
        p = subprocess.run([sys.executable, "-m", "advisor", *argv], capture_output=True, text=True, env=e,
                           timeout=timeout, cwd=ROOT)
        return Result(p.returncode, p.stdout, p.stderr)

    return run
