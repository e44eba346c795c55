"""ExecuTorch (sixth) and MLC LLM (seventh) through the planner: branches, quant schemes and evidence."""

from __future__ import annotations

import json

import pytest

from advisor.calibration import load_calibration
from advisor.planner import make_plan
from advisor.schemas import Constraints


def plan_for(kb, profs, device, model, backend):
    return make_plan(profs[device], kb.models[model], Constraints(backend=[backend]), kb, load_calibration())


def test_executorch_on_an_android_phone(kb, profs):
    plan = plan_for(kb, profs, "galaxy-s24-ultra", "llama-3.2-1b-instruct", "executorch")
    routes = {(c.compute, c.engine) for c in plan.candidates}
    assert ("cpu", "executorch-cpu") in routes and ("npu", "executorch-npu-qnn") in routes
    assert ("gpu", "executorch-gpu-vulkan") in routes
    cpu = [c for c in plan.candidates if c.engine == "executorch-cpu"]
    assert {c.quant for c in cpu} == {"bf16", "8da8w", "8da4w"}  # 16a4w is the QNN delegate's, not XNNPACK's
    assert all(c.decode_tokens_per_s.evidence == "engine" and c.decode_tokens_per_s.rows > 0 for c in cpu)
    assert any("XNNPACK" in r for r in cpu[0].reasons)


def test_executorch_reasons_where_it_does_not_belong(kb, profs):
    plan = plan_for(kb, profs, "x86-laptop-avx2", "llama-3.2-1b-instruct", "executorch")
    assert not plan.candidates
    why = [e.reason for e in plan.eliminated if e.backend == "executorch"]
    assert why and "phones and embedded boards" in why[0]


def test_executorch_on_an_iphone_uses_the_apple_delegates(kb, profs):
    plan = plan_for(kb, profs, "iphone-16-pro", "llama-3.2-1b-instruct", "executorch")
    engines = {c.engine for c in plan.candidates}
    assert {"executorch-cpu", "executorch-gpu-mps", "executorch-npu-coreml"} <= engines


@pytest.mark.parametrize("device", ["jetson-orin-nano-8gb", "jetson-agx-orin-64gb"])
def test_mlc_on_a_jetson_rests_on_published_measurements(kb, profs, device):
    plan = plan_for(kb, profs, device, "llama-3.2-3b-instruct", "mlc")
    assert plan.candidates and {c.engine for c in plan.candidates} == {"mlc-gpu"}
    best = plan.candidates[0]
    assert best.quant == "q4f16_1" and best.decode_tokens_per_s.evidence == "engine"
    assert best.decode_tokens_per_s.rows >= 8 and best.runs_here is False


def test_mlc_and_executorch_rows_are_fitted_not_skipped():
    from advisor import paths

    skipped = json.loads(paths.CALIBRATION_FILE.read_text())["speed"]["skipped_rows"]
    assert not any(k.startswith(("engine executorch", "engine mlc")) for k in skipped)
