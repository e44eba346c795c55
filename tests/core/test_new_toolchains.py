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


@pytest.mark.parametrize("device", ["orange-pi-5-16gb", "radxa-rock-5b-16gb"])
def test_rkllm_on_an_rk3588_board_runs_the_w8a8_family_only(kb, profs, device):
    """RKLLM (eighth toolchain) on the RK3588's NPU: the chip's kernels run w8a8 and its grouped variants, not w4a16
    (Rockchip's SDK and benchmark table); the figures rest on Rockchip's published rows."""
    plan = plan_for(kb, profs, device, "llama-3.2-1b-instruct", "rkllm")
    assert plan.candidates and {c.engine for c in plan.candidates} == {"rkllm-npu"}
    assert {c.quant for c in plan.candidates} == {"w8a8", "w8a8_g128", "w8a8_g256", "w8a8_g512"}
    best = plan.candidates[0]
    assert best.runs_here is False and best.compute == "npu"
    assert best.decode_tokens_per_s.evidence == "engine" and best.decode_tokens_per_s.rows >= 20


def test_rkllm_is_offered_only_where_there_is_a_rockchip_npu(kb, profs):
    plan = plan_for(kb, profs, "raspberry-pi-5-8gb", "llama-3.2-1b-instruct", "rkllm")
    assert not plan.candidates
    assert any(e.backend == "rkllm" for e in plan.eliminated)
    full = make_plan(profs["orange-pi-5-16gb"], kb.models["llama-3.2-1b-instruct"], Constraints(), kb,
                     load_calibration())
    assert any("Rockchip board with an RKNPU" in step and "yes" in step for step in full.decision_path)
    assert {"rkllm", "llamacpp"} <= {c.backend for c in full.candidates}


def test_an_engine_never_measured_on_this_makers_hardware_is_a_proxy(kb, profs):
    """ExecuTorch's CPU rows are phones (Qualcomm, Apple cores): on a Raspberry Pi's Cortex-A76 its figure keeps the
    engine's efficiency but is a proxy, ranked after the measured llama.cpp CPU route; on a Snapdragon it is not."""
    pi = make_plan(profs["raspberry-pi-5-8gb"], kb.models["llama-3.2-1b-instruct"], Constraints(), kb,
                   load_calibration())
    et = [c for c in pi.candidates if c.engine == "executorch-cpu"]
    assert et and all(c.decode_tokens_per_s.evidence == "proxy" and c.decode_tokens_per_s.rows == 0 for c in et)
    assert "no decode rows of executorch-cpu on arm hardware" in et[0].decode_tokens_per_s.basis
    first_proxy = next(i for i, c in enumerate(pi.candidates) if c.decode_tokens_per_s.evidence == "proxy")
    assert all(c.decode_tokens_per_s.evidence != "proxy" for c in pi.candidates[:first_proxy])
    assert pi.candidates[0].engine == "llamacpp-cpu"
    phone = plan_for(kb, profs, "galaxy-s24-ultra", "llama-3.2-1b-instruct", "executorch")
    assert all(c.decode_tokens_per_s.evidence == "engine" for c in phone.candidates if c.engine == "executorch-cpu")


def test_rkllm_rows_are_the_rockchip_npus_own():
    """The fit files RKLLM rows under the NPU's maker (rockchip), as the profiles name it, so the plan applies the
    engine's fitted effect on that hardware; the boards' Arm cores stay 'arm'."""
    from advisor import paths
    from advisor.speed_data import device_vendor

    assert device_vendor({"device": "Rockchip RK3588", "npu_name": "RKNPU (3-core)"}, "npu") == "rockchip"
    assert device_vendor({"device": "Orange Pi 5 (RK3588S)"}, "cpu") == "arm"
    vendors = json.loads(paths.CALIBRATION_FILE.read_text())["speed"]["decode"]["vendor"]
    assert "rkllm-npu|rockchip" in vendors


def test_rkllm_is_fitted_on_more_than_one_rockchip_chip(kb):
    """The RK3576 has a sourced bandwidth (Rockchip's DDR loader), so its rows enter the fit beside the RK3588's:
    w4a16 is measured, not only the RK3588's w8a8 family; the RV1126B and RK3562 still have none and stay out."""
    from advisor.speed_data import load_speed_rows

    rows, skipped, _ = load_speed_rows(kb, kb.engines)
    rk = [r for r in rows if r.x.engine == "rkllm-npu"]
    assert {"Rockchip RK3588", "Rockchip RK3576"} <= {r.group for r in rk}
    assert any(r.family == "int4_group" for r in rk if r.group == "Rockchip RK3576")
    assert not any("RV1126B" in r.group or "RK3562" in r.group for r in rk)
    assert skipped["device has no bandwidth figure"] > 0
