"""Stored probes recalibrate predictions: speed for this machine only, quality per backend/quant/architecture."""

from __future__ import annotations

import pytest

from advisor.calibration import load_calibration
from advisor.knowledge import load_knowledge
from advisor.planner import attach_measurements, make_plan
from advisor.predict import Workload, predict
from advisor.probe.recalibrate import LocalCalibration, quality_corrections
from advisor.probe.spec import Measured, ProbeResult
from advisor.resolve import resolve_device
from advisor.schemas import ProbeMeasurement
from advisor.schemas import Constraints


def probe(backend="olive", quant="INT8", ppl=20.0, ppl_pred=0.05, ref=40.0, decode=30.0, decode_pred=10.0, i=1):
    return ProbeResult(backend=backend, quant=quant, model="smollm2-135m", ok=True, id=i,
                       measured=Measured(ppl_increase_pct=ppl, perplexity_ref=ref, decode_tokens_per_s=decode),
                       predicted={"ppl_increase_pct": ppl_pred, "decode_tokens_per_s": decode_pred})


def test_quality_correction_is_shrunk_and_per_architecture():
    corr, counts = quality_corrections([probe(i=1), probe(i=2)], lambda name: "llama")
    key = "quality:olive:INT8:llama"
    import math

    assert counts[key] == 2
    # mean log ratio log(400) shrunk by one pseudo-probe: 2/3 of it
    assert corr[key] == pytest.approx(2 / 3 * math.log(20.0 / 0.05))


def test_meaningless_reference_perplexity_is_ignored():
    corr, _ = quality_corrections([probe(ref=1e8)], lambda name: "llama")
    assert corr == {}


def test_local_quality_correction_changes_the_prediction_and_says_so():
    kb, base = load_knowledge(), load_calibration()
    corr, counts = quality_corrections([probe()], lambda name: "llama")
    cal = LocalCalibration.wrap(base, corr, counts)
    pi = resolve_device("raspberry-pi-5-8gb")
    w = Workload(4096, 512, 128)
    llama = kb.models["llama-3.2-1b-instruct"]
    after, _ = predict(pi, llama, "llamacpp", "cpu", "Q8_0", w, kb, cal)
    plain, _ = predict(pi, llama, "llamacpp", "cpu", "Q8_0", w, kb, base)
    assert after.ppl_increase_pct == plain.ppl_increase_pct  # other formats untouched
    mid, lo, hi, basis = cal.quality(kb.format("olive", "int8"), 1.24, "llama")
    mid0, *_ = base.quality(kb.format("olive", "int8"), 1.24, "llama")
    assert mid > 10 * mid0 and "probe(s) of olive int8" in basis
    qwen_mid, *_ = cal.quality(kb.format("olive", "int8"), 1.24, "qwen2")
    assert qwen_mid == pytest.approx(mid0)  # another architecture: no correction


def test_speed_corrections_only_for_this_machine(tmp_path, monkeypatch):
    from advisor.probe import store
    from advisor.probe.env import fingerprint
    from advisor.probe.localcal import local_calibration

    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path))
    db = store.db_path()
    r = probe(backend="llamacpp", quant="Q8_0", ppl=0.03, ppl_pred=0.03)
    r = r.model_copy(update={"env": {"fingerprint": fingerprint()}})
    store.save(r, db)
    base = load_calibration()
    pi = resolve_device("raspberry-pi-5-8gb")
    assert not any(k.startswith("decode:") for k in local_calibration(base, pi).local)
    from advisor.detect import detect_profile

    here = local_calibration(base, detect_profile(measure=False))
    assert here.local.get("decode:llamacpp-cpu", 0) > 0


def test_attach_measurements_carries_probe_results_onto_a_new_plan():
    kb, cal = load_knowledge(), load_calibration()
    pi = resolve_device("raspberry-pi-5-8gb")
    plan = make_plan(pi, kb.models["llama-3.2-1b-instruct"], Constraints(), kb, cal)
    first = plan.candidates[0]
    probed = plan.model_copy(update={"candidates": [first.model_copy(update={
        "measured": ProbeMeasurement(ok=True, kld=0.01), "reasons": [*first.reasons, "probe on x"]})]})
    again = attach_measurements(make_plan(pi, kb.models["llama-3.2-1b-instruct"], Constraints(), kb, cal), probed)
    hit = next(c for c in again.candidates if (c.backend, c.quant, c.compute) == (first.backend, first.quant, first.compute))
    assert hit.measured == ProbeMeasurement(ok=True, kld=0.01) and "probe on x" in hit.reasons
    assert sum(1 for c in again.candidates if c.measured) == 1
