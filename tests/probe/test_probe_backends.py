"""Real backends on the `tiny` probe model (SmolLM2-135M's first two layers): every figure is measured."""

from __future__ import annotations

import json

import pytest

from advisor.probe.backends import missing_module
from advisor.probe.models import resolve
from advisor.probe.runner import run_probe
from advisor.probe.spec import ProbeRequest

pytestmark = [pytest.mark.backend, pytest.mark.slow]


def probe(backend, quant, **kw):
    if missing_module(backend):
        pytest.skip(f"{backend} not installed here ({missing_module(backend)})")
    return run_probe(ProbeRequest(backend=backend, quant=quant, model="tiny", threads=1, gen_tokens=8,
                                  timeout_s=300, **kw))


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
    # the embedding (a Gather) stays FP32 in both: ORT quantizes MatMul weights, incl. the untied lm_head copy
    assert i8.measured.file_bytes < 0.65 * fp32
    assert i4.measured.file_bytes < i8.measured.file_bytes
    assert i8.measured.kld < 0.3 and i4.measured.kld < 0.3
    assert "MatMulNBits" in i4.measured.method


def test_openvino_int8_and_int4():
    i8, i4 = probe("openvino", "int8"), probe("openvino", "int4")
    check_common(i8), check_common(i4)
    assert i8.measured.file_bytes < 0.6 * params() * 4
    assert i4.measured.file_bytes < i8.measured.file_bytes
    assert i8.measured.kld < i4.measured.kld < 0.2


def test_qnn_w8a16_accuracy_only():
    r = probe("qnn", "w8a16")
    check_common(r, speed=False)
    assert r.measured.decode_tokens_per_s is None
    assert any("speed not measured" in n for n in r.measured.notes)
    assert any("attention-mask path" in n and not n.startswith("0 ") for n in r.measured.notes)
    assert r.measured.kld < 1.0 and r.measured.top1_agreement > 0.6


def test_mlx_4bit_or_a_reason():
    r = probe("mlx", "4bit")
    if r.ok:
        check_common(r)
        assert r.measured.file_bytes < 0.3 * params() * 4
    else:
        assert "mlx" in r.reason
