"""`advisor probe` / `plan --probe` edges: bad input, missing backend, timeout and memory cap, plan integration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.probe.isolate import run_phase
from advisor.probe.models import resolve
from guards import HANG_S

ROOT = Path(__file__).resolve().parents[2]


def test_bad_quant_is_exit_2(cli):
    r = cli("probe", "--backend", "openvino", "--quant", "Q4_K_M")
    assert r.code == 2 and "choose one of FP16, INT8, INT4" in r.err


def test_bad_model_folder_is_exit_2(cli, tmp_path):
    r = cli("probe", "--backend", "llamacpp", "--quant", "Q8_0", "--model", str(tmp_path))
    assert r.code == 2 and "config.json" in r.err


def test_missing_backend_is_exit_3():
    code = ("import sys; sys.modules['onnxruntime'] = None; from advisor.cli import main; "
            "sys.exit(main(['probe', '--backend', 'olive', '--quant', 'int8']))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=HANG_S)
    assert p.returncode == 3, p.stderr
    assert "install it with: pip install 'advisor[olive]'" in p.stderr


@pytest.mark.parametrize("timeout,cap,why", [(0.3, 100.0, "timed out after"), (600, 0.01, "memory cap")])
def test_timeout_and_memory_cap_kill_the_worker(tmp_path, timeout, cap, why):
    args = ["--backend", "llamacpp", "--quant", "Q8_0", "--model", "tiny"]
    out = run_phase("convert", args, tmp_path / "w", timeout, cap)
    assert not out.ok and why in out.reason


def test_worker_crash_becomes_a_reason(tmp_path):
    out = run_phase("measure", ["--backend", "llamacpp", "--quant", "Q8_0", "--model", "tiny"], tmp_path, 60, 4)
    assert not out.ok and out.reason.startswith("measure: ") and "convert.json" in out.reason


@pytest.mark.backend
@pytest.mark.slow
def test_probe_json_and_plan_probe(cli, sh):
    r = sh("probe", "--backend", "llamacpp", "--quant", "q8_0", "--model", "tiny", "--gen-tokens", "8", "--json",
           timeout=HANG_S)
    assert r.code == 0, r.err
    d = r.json()
    assert d["ok"] and d["quant"] == "Q8_0" and d["measured"]["kld"] < 0.01 and d["id"]
    assert cli("measurements", "list", "--json").json()[-1]["id"] == d["id"]
    hf = resolve("tiny").hf_dir  # a local folder with weights: plan --probe probes that very model
    r = cli("plan", "--device", "auto", "--model", str(hf), "--backend", "llamacpp", "--probe", "--probe-top", "1",
            "--json")
    assert r.code == 0, r.err
    c = r.json()["candidates"][0]
    assert c["measured"]["ok"], c["measured"]
    assert c["measured"]["probe_model"] == hf.name
    assert c["measured"]["decode_tokens_per_s"] > 0 and c["measured"]["predicted_for_probe_model"]
    assert any(x.startswith("probe on") for x in c["reasons"])
