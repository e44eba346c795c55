"""Real backends on the `tiny` probe model (SmolLM2-135M's first two layers): every figure is measured."""

from __future__ import annotations

import json

import pytest

from advisor.probe.backends import missing_module
from advisor.probe.models import resolve
from advisor.probe.runner import run_probe
from advisor.probe.spec import ProbeRequest
from guards import HANG_S

pytestmark = [pytest.mark.backend, pytest.mark.slow]


def probe(backend, quant, **kw):
    if missing_module(backend):
        pytest.skip(f"{backend} not installed here ({missing_module(backend)})")
    return run_probe(ProbeRequest(backend=backend, quant=quant, model="tiny", threads=1, gen_tokens=8,
                                  timeout_s=HANG_S, **kw))


def params() -> int:
    c = json.loads((resolve("tiny").hf_dir / "config.json").read_text())
    h, i, L, v = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"], c["vocab_size"]
    kv = c["num_key_value_heads"] * c.get("head_dim", h // c["num_attention_heads"])
    return v * h + L * (2 * h * h + 2 * h * kv + 3 * h * i)


def check_common(r, speed=True):
    assert r.ok, r.reason
    m = r.measured
    assert m.file_bytes > 0 and m.weights_gib == pytest.approx(m.file_bytes / 2**30)
    assert m.peak_memory_gib > m.weights_gib
    assert m.load_s > 0 and m.convert_s > 0
    assert m.perplexity > 0 and m.perplexity_ref > 0
    if speed:
        assert m.decode_tokens_per_s > 0 and m.prefill_tokens_per_s > 0
    assert r.predicted and r.predicted["weights_gib"] > 0
    assert r.env["versions"]


def test_llamacpp_q8_0_and_q4_k_m():
    q8, q4 = probe("llamacpp", "Q8_0"), probe("llamacpp", "Q4_K_M")
    check_common(q8), check_common(q4)
    # Q8_0 stores 34 bytes per 32 weights: 8.5 bits/weight, + F32 norms and ~1 MB of tokenizer in the header
    assert q8.measured.file_bytes / params() == pytest.approx(8.5 / 8, rel=0.05)
    assert set(q8.measured.tensor_types) <= {"Q8_0", "F32"}
    # hidden 576 is not a multiple of 256: llama.cpp falls back from K-quants, and the probe must say so
    assert set(q4.measured.tensor_types) - {"Q4_K", "F32"} and q4.measured.notes
    assert q4.measured.file_bytes < q8.measured.file_bytes  # only slightly: 80 % of tiny is its embedding
    assert q8.measured.kld < q4.measured.kld < 0.1
    assert q8.measured.top1_agreement > 0.95


def test_olive_int8_and_int4():
    i8, i4 = probe("olive", "int8"), probe("olive", "int4")
    check_common(i8), check_common(i4)
    fp32 = (resolve("tiny").root / "base" / "onnx-fp32-past" / "model.onnx").stat().st_size
    # Olive's default dynamic INT8 quantizes the MatMul weights and the embedding Gather: ~1/4 of FP32
    assert i8.measured.file_bytes < 0.3 * fp32
    assert i4.measured.file_bytes < i8.measured.file_bytes
    assert i8.measured.kld < 0.3 and i4.measured.kld < 0.3
    # the Olive workflow itself ran (the ORT fallback names itself "olive fallback")
    assert i8.measured.method.startswith("olive ") and "OnnxDynamicQuantization" in i8.measured.method
    assert i4.measured.method.startswith("olive ") and "OnnxBlockWiseRtnQuantization" in i4.measured.method


def test_olive_falls_back_to_onnxruntime_when_the_workflow_fails(tmp_path, monkeypatch):
    from advisor.probe.backends import olive
    from advisor.probe.models import ensure, load_reference

    if missing_module("olive"):
        pytest.skip("olive not installed")
    pm = resolve("tiny")
    ensure(pm)

    def broken(*a, **k):
        raise RuntimeError("no model produced")

    monkeypatch.setattr(olive, "run_olive", broken)
    conv = olive.convert(pm, "INT8", tmp_path, 1, load_reference(pm, 8)[2])
    assert "olive fallback: no model produced" in conv.method and conv.artifact.is_file()
    assert [f.name for f in tmp_path.iterdir()] == ["model.onnx"]


def test_openvino_int8_and_int4():
    i8, i4 = probe("openvino", "int8"), probe("openvino", "int4")
    check_common(i8), check_common(i4)
    assert i8.measured.file_bytes < 0.6 * params() * 4
    assert i4.measured.file_bytes < i8.measured.file_bytes
    assert i8.measured.kld < i4.measured.kld < 0.2


def test_qnn_w8a16():
    r = probe("qnn", "w8a16")
    check_common(r)  # speed is measured too: CPU emulation of the QDQ graph, and labelled so
    assert "CPU emulation, not Hexagon NPU speed" in r.measured.method
    assert any("attention-mask path" in n and "rotary" in n for n in r.measured.notes)
    fp32 = (resolve("tiny").root / "base" / "onnx-fp32-past" / "model.onnx").stat().st_size
    assert r.measured.file_bytes < 0.35 * fp32  # weights (embedding included) stored as uint8
    assert r.measured.kld < 0.05 and r.measured.top1_agreement > 0.9


def test_qnn_float_exclusions_are_structural():
    from advisor.probe.backends.olive import base_onnx
    from advisor.probe.backends.qnn import float_exclusions
    from advisor.probe.models import ensure

    if missing_module("qnn"):
        pytest.skip("onnxruntime not installed")
    pm = resolve("tiny")
    ensure(pm)
    g = float_exclusions(base_onnx(pm)[0])
    off, mask, norm = g.values()
    assert any("rotary_emb" in n for n in off) and not any("proj/MatMul" in n for n in off)
    assert sorted(n.rsplit("/", 1)[1] for n in mask if "layers.0/" in n) == ["Add_2", "Softmax", "Where_2"]
    assert len(norm) == 2 * (2 * 2 + 1)  # Pow + ReduceMean in 2 norms per layer + the final norm


def test_mlx_4bit_or_a_reason():
    r = probe("mlx", "4bit")
    if r.ok:
        check_common(r)
        assert r.measured.file_bytes < 0.3 * params() * 4
    else:
        assert "mlx" in r.reason
