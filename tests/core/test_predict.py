"""Predictors against hand-computed values."""

from __future__ import annotations

import json
import math

import pytest

from advisor.architecture import count_params, kv_bytes_per_token
from advisor.calibration import load_calibration
from advisor.knowledge import load_knowledge
from advisor.predict import GIB, Workload, body_bpw, predict, weights_bytes
from advisor.resolve import resolve_device


@pytest.fixture(scope="module")
def kb():
    return load_knowledge()


def test_llama2_7b_param_count(kb):
    pc = count_params(kb.models["llama-2-7b"])
    # 32 layers x (4 x 4096^2 attention + 3 x 4096 x 11008 MLP + 2 x 4096 norms) + 2 x 32000 x 4096 + 4096
    expected = 32 * (4 * 4096**2 + 3 * 4096 * 11008 + 2 * 4096) + 2 * 32000 * 4096 + 4096
    assert pc.total == expected == 6_738_415_616


def test_gqa_and_tied_embeddings(kb):
    m = kb.models["llama-3.2-1b-instruct"]
    pc = count_params(m)
    assert m.tie_word_embeddings and pc.output == 0
    assert 1.23e9 < pc.total < 1.25e9
    # K and V: 16 layers x 8 kv heads x 64 dims x 2 bytes, twice
    assert kv_bytes_per_token(m) == 2 * 16 * 8 * 64 * 2


def test_moe_active_params(kb):
    pc = count_params(kb.models["qwen3-30b-a3b"])
    assert 29e9 < pc.total < 32e9
    assert 3.0e9 < pc.active < 3.6e9


def test_llama2_7b_q4_0_weights_match_llama_cpp_table(kb):
    # llama.cpp's table: LLaMA-2-7B Q4_0 = 3.56 GiB, Q8_0 = 6.67 GiB, F16 = 12.55 GiB
    m = kb.models["llama-2-7b"]
    for quant, gib in [("Q4_0", 3.56), ("Q8_0", 6.67), ("F16", 12.55)]:
        b, _ = weights_bytes(m, kb.format("llamacpp", quant), kb)
        assert abs(b / GIB - gib) / gib < 0.015, (quant, b / GIB)


def test_llama31_8b_q4_k_m_reproduces_published_file_bpw(kb):
    m = kb.models["llama-3.1-8b-instruct"]
    fmt = kb.format("llamacpp", "Q4_K_M")
    b, _ = weights_bytes(m, fmt, kb)
    assert b * 8 / count_params(m).total == pytest.approx(4.8944, rel=1e-3)
    assert 4.5 < body_bpw(fmt, kb) < 5.0  # mostly q4_K with some q6_K


def test_mlx_4bit_is_four_and_a_half_bits(kb):
    m = kb.models["llama-2-7b"]
    b, _ = weights_bytes(m, kb.format("mlx", "4bit"), kb)
    assert b * 8 / count_params(m).total == pytest.approx(4.5)


def test_kquant_fallback_for_rows_not_multiple_of_256(kb):
    m = kb.models["smollm2-135m-instruct"]  # hidden 576
    b, notes = weights_bytes(m, kb.format("llamacpp", "Q4_K_M"), kb)
    plain = count_params(m).total * body_bpw(kb.format("llamacpp", "Q4_K_M"), kb) / 8
    assert b > plain and any("not a multiple of 256" in n for n in notes)


def test_decode_follows_bandwidth_and_intervals_contain_value(kb):
    cal = load_calibration()
    pi = resolve_device("raspberry-pi-5-8gb")
    m = kb.models["llama-3.2-1b-instruct"]
    w = Workload(context=4096, prompt_tokens=512, gen_tokens=128)
    q4, _ = predict(pi, m, "llamacpp", "cpu", "Q4_0", w, kb, cal)
    f16, _ = predict(pi, m, "llamacpp", "cpu", "F16", w, kb, cal)
    assert f16.decode_tokens_per_s.value < q4.decode_tokens_per_s.value
    for est in (q4.weights_gib, q4.peak_memory_gib, q4.decode_tokens_per_s, q4.prefill_tokens_per_s, q4.ppl_increase_pct):
        assert est.low <= est.value <= est.high and est.basis
    # the bound itself: 17.1 GB/s over the bytes read per token
    bytes_per_token = q4.weights_gib.value * GIB + kv_bytes_per_token(m) * (512 + 64)
    bound = 17.1e9 / bytes_per_token
    assert q4.decode_tokens_per_s.value < bound
    assert "bandwidth bound" in q4.decode_tokens_per_s.basis


def test_peak_memory_includes_kv_cache_growth(kb):
    cal = load_calibration()
    pi = resolve_device("raspberry-pi-5-8gb")
    m = kb.models["llama-3.2-1b-instruct"]
    short, _ = predict(pi, m, "llamacpp", "cpu", "Q4_K_M", Workload(1024, 512, 128), kb, cal)
    long, _ = predict(pi, m, "llamacpp", "cpu", "Q4_K_M", Workload(32768, 512, 128), kb, cal)
    grow = (long.peak_memory_gib.value - short.peak_memory_gib.value) * GIB
    assert grow == pytest.approx(kv_bytes_per_token(m) * (32768 - 1024), rel=1e-3)


def test_quality_shrinks_with_bits_and_model_size(kb):
    cal = load_calibration()
    q = {k: cal.quality(kb.format("llamacpp", k), 8.0)[0] for k in ("Q8_0", "Q4_K_M", "Q2_K")}
    assert q["Q8_0"] < q["Q4_K_M"] < q["Q2_K"]
    small, big = cal.quality(kb.format("llamacpp", "Q4_0"), 1.0)[0], cal.quality(kb.format("llamacpp", "Q4_0"), 70.0)[0]
    assert big <= small
    mlx_mid, mlx_lo, mlx_hi, basis = cal.quality(kb.format("mlx", "4bit"), 8.0)
    ll_mid, ll_lo, ll_hi, _ = cal.quality(kb.format("llamacpp", "Q4_0"), 8.0)
    assert mlx_mid == pytest.approx(ll_mid) and (mlx_hi - mlx_lo) > (ll_hi - ll_lo) and "via Q4_0" in basis


def test_calibration_file_matches_a_rebuild():
    from advisor import fit, paths

    shipped = json.loads(paths.CALIBRATION_FILE.read_text())
    assert fit.same(shipped, json.loads(fit.dumps(fit.build()))), "run: advisor calibrate --rebuild"
    assert not fit.same(shipped, {**shipped, "version": shipped["version"] + 1})


def test_skipped_measurement_rows_are_counted_not_guessed():
    from advisor.speed_data import load_speed_rows

    kb = load_knowledge()
    rows, skipped, _ = load_speed_rows(kb, kb.engines)
    assert skipped["device has no bandwidth figure"] > 0 and skipped["quant not mapped"] > 0
    assert any(k.startswith("engine ") and k.endswith("not modelled yet") for k in skipped)
    assert all(r.x.bandwidth_gbs > 0 and r.x.compute_tops > 0 and math.isfinite(r.x.decode_gb_per_token) for r in rows)


def test_violations_are_typed_and_suggestions_follow_the_kind_not_the_wording():
    """issue 13: `suggest` matches on violation kinds; the JSON keeps the sentences and adds their kinds."""
    from advisor.calibration import load_calibration
    from advisor.knowledge import load_knowledge
    from advisor.planner import make_plan
    from advisor.resolve import resolve_device, resolve_model
    from advisor.schemas import Constraints

    kb, cal = load_knowledge(), load_calibration()
    dev, spec = resolve_device("raspberry-pi-5-8gb"), resolve_model("llama-3.2-1b-instruct", kb)
    plan = make_plan(dev, spec, Constraints(min_decode_tps=10_000, max_memory_gb=0.01), kb, cal)
    for c in plan.candidates:
        assert len(c.violation_kinds) == len(c.violations) and {"min_decode", "max_memory"} <= set(c.violation_kinds)
    assert any("lower --min-decode-tps" in s for s in plan.suggestions)
    assert any("pick a smaller model or a device with more memory" in s for s in plan.suggestions)
