"""The generated scripts, run for real on a tiny local Llama at a hostile path (llamacpp, olive, openvino, mlx)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from emit_helpers import has, make_plan_for, no_pwned, one_per_backend, results, run_script

from advisor.emit import emit_plan_scripts

pytestmark = [pytest.mark.backend, pytest.mark.slow]


def emit_one(tmp_path: Path, device: str, backend: str, quant: str | None = None) -> Path:
    plan = one_per_backend(make_plan_for(device), backend, quant)
    return Path(emit_plan_scripts(plan, tmp_path / "scripts").candidates[0].script)


def check_run(r, folder: Path, model: Path, tmp_path: Path) -> dict:
    assert r.returncode == 0, f"{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    no_pwned(tmp_path, folder, model.parent)
    assert (folder / "logs").is_dir() and any((folder / "logs").iterdir())
    res = results(folder)
    assert res["artifact"]["bytes"] > 0 and "checks" in res
    return res


def test_llamacpp_end_to_end(request, tmp_path):
    if not has("llama_cpp", "numpy"):
        pytest.skip("llama-cpp-python is not importable (pip install 'advisor[llamacpp]')")
    tiny_llama = request.getfixturevalue("tiny_llama")  # after the backend check: its skip reason wins
    folder = emit_one(tmp_path, "raspberry-pi-5-8gb", "llamacpp", "Q4_K_M")
    r = run_script(folder, "--threads", "2", "--ctx", "256", "--n-predict", "16", str(tiny_llama), cwd=tmp_path)
    res = check_run(r, folder, tiny_llama, tmp_path)
    assert (folder / "out" / "model-F16.gguf").stat().st_size > (folder / "out" / "model-Q4_K_M.gguf").stat().st_size
    assert 0 < res["run"]["completion_tokens"] <= 16  # a random model may stop early at EOS
    v = res["validate"]
    assert math.isfinite(v["perplexity"]) and v["eval_tokens"] > 100 and v["decode_tokens_per_s"] > 0
    assert math.isfinite(v["ppl_increase_pct"])
    assert res["checks"]["weights_gib"]["verdict"] in ("inside", "outside")
    assert "llama-server -m" in r.stdout


def test_olive_end_to_end(request, tmp_path):
    if not has("olive", "onnxruntime_genai", "onnxruntime"):
        pytest.skip("olive-ai / onnxruntime-genai are not importable (pip install 'advisor[olive]')")
    tiny_llama = request.getfixturevalue("tiny_llama")  # after the backend check: its skip reason wins
    folder = emit_one(tmp_path, "x86-laptop-avx2", "olive", "int4")  # a DirectML plan, checked on the CPU EP
    r = run_script(folder, "--local-cpu", "--n-predict", "16", str(tiny_llama), cwd=tmp_path)
    res = check_run(r, folder, tiny_llama, tmp_path)
    assert res["validate"]["completion_tokens"] == 16
    assert list((folder / "out" / "olive").rglob("model.onnx"))


def test_openvino_end_to_end(request, tmp_path):
    if not has("openvino", "openvino_genai", "optimum.intel", "nncf"):
        pytest.skip("openvino / optimum-intel are not importable (pip install 'advisor[openvino,convert]')")
    tiny_llama = request.getfixturevalue("tiny_llama")  # after the backend check: its skip reason wins
    folder = emit_one(tmp_path, "x86-laptop-avx2", "openvino", "int4")
    r = run_script(folder, "--n-predict", "16", "--bench-seconds", "1", str(tiny_llama), cwd=tmp_path)
    res = check_run(r, folder, tiny_llama, tmp_path)
    assert res["validate"]["completion_tokens"] == 16
    assert "using 64" in (folder / "logs" / "export.log").read_text() or "group size: 64" in r.stderr
    ir = folder / "out" / "ov"
    assert (ir / "openvino_model.xml").exists() and (ir / "openvino_tokenizer.xml").exists()


def test_mlx_end_to_end(request, tmp_path):
    if not has("mlx.core", "mlx_lm"):
        pytest.skip("mlx / mlx-lm are not importable (pip install 'advisor[mlx]')")
    try:
        import mlx.core  # noqa: F401  (the Linux wheel without mlx-cpu installs but fails to import)
    except Exception as e:  # pragma: no cover - depends on the platform
        pytest.skip(f"mlx does not load here: {e}")
    tiny_llama = request.getfixturevalue("tiny_llama")  # after the backend check: its skip reason wins
    folder = emit_one(tmp_path, "apple-m2-16gb", "mlx", "4bit")
    r = run_script(folder, "--n-predict", "16", str(tiny_llama), cwd=tmp_path)
    check_run(r, folder, tiny_llama, tmp_path)
    assert "tokens-per-sec" in (folder / "logs" / "generate.log").read_text()
