"""The new inputs of backends with an environment of their own (issue 13): ADVISOR_VENVS_DIR pointing at nonsense,
a broken interpreter in .venv-<name>. Each is a one-line error with exit 3 naming the fix, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hardening_helpers import ROOT
from guards import HANG_S

HOSTILE = "venvs $(touch PWNED) ; `id` 'q'"


def probe(env: dict) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "ADVISOR_DEBUG"}
    e.update({"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **env})
    return subprocess.run([sys.executable, "-m", "advisor", "probe", "--backend", "executorch", "--quant", "8da4w",
                           "--model", "tiny"], capture_output=True, text=True, env=e, cwd=ROOT, timeout=HANG_S)


@pytest.mark.parametrize("kind", ["missing", "a-file", "hostile-name", "broken-python"])
def test_a_bad_backend_environment_is_one_line_exit_3(tmp_path, kind):
    d = tmp_path / ("x" if kind != "hostile-name" else HOSTILE)
    if kind == "a-file":
        d.write_text("not a folder")
    if kind == "broken-python":
        py = d / ".venv-executorch" / "bin" / "python"
        py.parent.mkdir(parents=True)
        py.write_text("#!/bin/sh\nexit 7\n")
        py.chmod(0o755)
    p = probe({"ADVISOR_VENVS_DIR": str(d)})
    assert p.returncode == 3, p.stderr[-800:]
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr and "scripts/setup.sh all" in lines[0]
    assert not list(tmp_path.rglob("PWNED")) and not (ROOT / "PWNED").exists()
