"""The sixth and seventh toolchains' script folders: ExecuTorch's export + run executed end to end on a tiny Llama
at a hostile path (from .venv-executorch, which scripts/setup.sh builds), MLC LLM's folder checked dry."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from emit_helpers import make_plan_for, no_pwned, one_per_backend, results, run_script
from guards import HANG_S

from advisor.emit import emit_plan_scripts
from advisor.probe.backends import venv_dir

ET_PY = venv_dir("executorch") / "bin" / "python"


def emit_one(tmp_path: Path, device: str, backend: str, quant: str | None = None, compute: str | None = None) -> Path:
    plan = make_plan_for(device)
    if compute:
        plan = plan.model_copy(update={"candidates": [c for c in plan.candidates if c.compute == compute]})
    plan = one_per_backend(plan, backend, quant)
    return Path(emit_plan_scripts(plan, tmp_path / "scripts").candidates[0].script)


@pytest.mark.backend
@pytest.mark.slow
def test_executorch_export_and_run_end_to_end(request, tmp_path):
    if not ET_PY.is_file():
        pytest.skip(f"{ET_PY} missing: scripts/setup.sh all builds it")
    tiny_llama = request.getfixturevalue("tiny_llama")
    folder = emit_one(tmp_path, "galaxy-s24-ultra", "executorch", "8da4w", "cpu")
    assert "DELEGATE=xnnpack" in (folder / "run.sh").read_text()
    r = run_script(folder, "--max-cache", "128", "--n-predict", "8", str(tiny_llama), cwd=tmp_path,
                   env={"PYTHON": str(ET_PY)}, timeout=HANG_S)
    assert r.returncode == 0, f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    no_pwned(tmp_path, folder, tiny_llama.parent)
    res = results(folder)
    assert (folder / "out" / "model-8da4w-xnnpack.pte").stat().st_size == res["artifact"]["bytes"] > 0
    v = res["validate"]
    assert v["generated_tokens"] > 0 and math.isfinite(v["decode_tokens_per_s"]) and v["decode_tokens_per_s"] > 0
    assert res["checks"]["weights_gib"]["verdict"] in ("inside", "outside")


def test_executorch_script_refuses_hostile_options(tmp_path):
    folder = emit_one(tmp_path, "galaxy-s24-ultra", "executorch", "8da4w")
    for args, why in [(["--delegate", "x; touch PWNED", "./model"], "unknown --delegate"),
                      (["--max-cache", "12$(id)", "./model"], "must be an integer"),
                      (["./model", "--group-size"], "needs a value")]:
        r = run_script(folder, "--dry-run", *args, cwd=tmp_path)
        assert r.returncode == 2 and why in r.stderr, (args, r.stderr)
    no_pwned(tmp_path)


def test_executorch_npu_candidate_points_to_the_qnn_sdk(tmp_path):
    plan = make_plan_for("galaxy-s24-ultra")
    npu = [c for c in plan.candidates if c.backend == "executorch" and c.compute == "npu"]
    assert npu and npu[0].engine == "executorch-npu-qnn"
    folder = Path(emit_plan_scripts(plan.model_copy(update={"candidates": npu[:1]}), tmp_path / "s")
                  .candidates[0].script)
    r = run_script(folder, "--dry-run", "./model", cwd=tmp_path)
    assert r.returncode == 0 and "QNN SDK" in r.stderr


def test_mlc_folder_on_a_jetson(tmp_path):
    folder = emit_one(tmp_path, "jetson-orin-nano-8gb", "mlc", "q4f16_1")
    r = run_script(folder, "--dry-run", "./model", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    for cmd in ("mlc_llm convert_weight", "mlc_llm gen_config", "mlc_llm compile", "mlc_llm bench"):
        assert cmd in r.stdout
    assert "--device cuda" in r.stdout and "q4f16_1" in r.stdout
    assert "no usable wheel on PyPI" in (folder / "README.md").read_text()
    r = run_script(folder, "--dry-run", "--context", "4k", "./model", cwd=tmp_path)
    assert r.returncode == 2 and "must be an integer" in r.stderr


def test_rkllm_folder_on_an_rk3588_board(tmp_path):
    """RKLLM's folder (no toolkit here: it is not on PyPI): a dry run prints the conversion for the board's chip, the
    conversion script refuses a quantization the chip's NPU does not run, and bad options exit 2."""
    import subprocess
    import sys

    folder = emit_one(tmp_path, "orange-pi-5-16gb", "rkllm", "w8a8")
    r = run_script(folder, "--dry-run", "./model", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "export_rkllm.py" in r.stdout and "--platform rk3588" in r.stdout and "--npu-cores 3" in r.stdout
    assert "rkllm-toolkit is not on PyPI" in r.stderr
    conv = subprocess.run([sys.executable, str(folder / "export_rkllm.py"), "./model", "x.rkllm", "--quant", "w4a16"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert conv.returncode != 0 and "rk3588 runs w8a8" in conv.stderr
    r = run_script(folder, "--dry-run", "--platform", "rk9999", "./model", cwd=tmp_path)
    assert r.returncode == 2 and "unknown --platform" in r.stderr
    assert "not on PyPI" in (folder / "README.md").read_text()
