import math

from advisor.calibration import load_calibration
from advisor.probe import store
from advisor.probe.recalibrate import PRIOR, corrections
from advisor.probe.localcal import local_calibration
from conftest_probe import result as _res


def test_corrections_are_shrunk_mean_log_ratios():
    rs = [_res().model_copy(update={"id": i}) for i in (1, 2)]
    corr, n = corrections(rs)
    assert n == {"decode:llamacpp-cpu": 2, "prefill:llamacpp-cpu": 2}
    assert corr["decode:llamacpp-cpu"] == math.log(50 / 40) * 2 / (2 + PRIOR)
    assert corr["prefill:llamacpp-cpu"] < 0
    assert corrections([_res(ok=False)]) == ({}, {})


def test_local_calibration_applies_only_to_this_machine():
    from advisor.resolve import resolve_device
    from advisor.detect import detect_profile

    cal = load_calibration()
    store.save(_res())
    assert local_calibration(cal, resolve_device("raspberry-pi-5-8gb")) is cal
    here = detect_profile(measure=False)
    local = local_calibration(cal, here)
    assert local is not cal and local.local["decode:llamacpp-cpu"] > 0


def test_plan_basis_names_the_correction(cli):
    store.save(_res())
    r = cli("predict", "--device", "auto", "--model", "llama-3.2-1b-instruct", "--backend", "llamacpp", "--quant",
            "Q4_0", "--json")
    assert r.code == 0 and "local correction from 1 probe(s) on this machine" in r.out  # stored probes count
    r = cli("predict", "--device", "raspberry-pi-5-8gb", "--model", "llama-3.2-1b-instruct", "--backend", "llamacpp",
            "--quant", "Q4_0", "--json")
    assert r.code == 0 and "local correction" not in r.out  # another device: this machine's speeds do not apply
    from advisor.probe.localcal import local_calibration as lc
    from advisor.planner import predict_one
    from advisor.cli.common import load_inputs
    from advisor.schemas import Constraints

    kb, cal, dev, spec = load_inputs("auto", "llama-3.2-1b-instruct")
    c = predict_one(dev, spec, "llamacpp", "Q4_0", Constraints(), kb, lc(cal, dev), "cpu")
    assert "local correction from 1 probe(s) on this machine" in c.decode_tokens_per_s.basis
