"""A real ExecuTorch probe through the XNNPACK CPU delegate, its worker run from .venv-executorch."""

from __future__ import annotations

import json

import pytest

from advisor.probe.backends import missing_module, venv_dir, worker_python


def test_worker_runs_from_the_backends_own_environment():
    assert worker_python("executorch") == str(venv_dir("executorch") / "bin" / "python")
    assert worker_python("llamacpp") != worker_python("executorch")


@pytest.mark.backend
@pytest.mark.slow
def test_probe_executorch_8da4w(cli):
    gone = missing_module("executorch")
    if gone:
        pytest.skip(f"executorch not importable from {venv_dir('executorch')} ({gone}): scripts/setup.sh all")
    r = cli("probe", "--backend", "executorch", "--quant", "8da4w", "--model", "tiny", "--threads", "2",
            "--prompt-tokens", "64", "--gen-tokens", "8", "--json")
    assert r.code == 0, r.err
    res = json.loads(r.out)
    m = res["measured"]
    assert res["ok"] and res["quant"] == "8DA4W" and m["file_bytes"] > 0
    assert m["decode_tokens_per_s"] > 0 and m["kld"] is not None and m["kld"] < 1.0
    assert "XNNPACK" in m["method"] and res["env"]["versions"]["executorch"].startswith("1.5.1")


def test_missing_environment_names_setup(tmp_path, monkeypatch, cli):
    monkeypatch.setenv("ADVISOR_VENVS_DIR", str(tmp_path))
    r = cli("probe", "--backend", "executorch", "--quant", "8da4w", "--model", "tiny")
    assert r.code == 3 and "scripts/setup.sh all" in r.err


def test_a_backend_without_a_probe_is_exit_2(cli):
    r = cli("probe", "--backend", "mlc", "--quant", "q4f16_1")
    assert r.code == 2 and "'mlc' has no probe on this machine" in r.err and "executorch" in r.err
