"""Hostile values for the registry's `emit.local_report` (knowledge/backends.yaml): one line, exit 2, naming the
field; never a traceback and never a README that promises a check the script does not run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from advisor import paths
from guards import HANG_S


@pytest.mark.parametrize("value", ["maybe", "[1, 2]", "{a: 1}", "3"])
def test_a_bad_local_report_is_one_line_and_exit_2(tmp_path, value):
    for d in ("knowledge", "profiles", "docs"):
        shutil.copytree(paths.ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("screenshots", "data"))
    f = tmp_path / "knowledge" / "backends.yaml"
    text = f.read_text()
    assert "      local_report: false" in text
    f.write_text(text.replace("      local_report: false", f"      local_report: {value}"))
    env = {**os.environ, "ADVISOR_HOME": str(tmp_path), "PYTHONPATH": str(paths.PACKAGE_DIR.parent)}
    r = subprocess.run([sys.executable, "-m", "advisor", "knowledge", "validate"], capture_output=True, text=True,
                       env=env, timeout=HANG_S)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "local_report" in r.stderr and "Traceback" not in r.stderr
