"""Qualcomm AI Hub as a device farm, tested up to the network boundary with qai-hub's own classes (its Device,
QuantizeDtype, Client and the profile dict its client builds from the service's protobuf); no server is faked."""

from __future__ import annotations

import pytest

qai_hub = pytest.importorskip("qai_hub")


@pytest.fixture
def no_token(tmp_path, monkeypatch):
    ini = tmp_path / "nowhere" / "client.ini"
    monkeypatch.setenv("QAIHUB_CLIENT_INI", str(ini))
    return ini


def test_without_a_token_probe_says_so_in_one_line_exit_3_and_stores_nothing(cli, no_token, private_store):
    r = cli("probe", "--backend", "qnn", "--quant", "w8a16", "--aihub-device", "Samsung Galaxy S24")
    assert r.code == 3, r.err
    assert len(r.err.strip().splitlines()) == 1 and "qai-hub configure --api_token" in r.err
    assert not (private_store / "measurements.sqlite").exists()


def test_without_a_token_sweep_writes_nothing(cli, no_token, tmp_path):
    out = tmp_path / "s"
    r = cli("sweep", "--models", "builtin", "--devices", "galaxy-s24-ultra", "--backends", "qnn", "--probe",
            "--aihub-device", "Samsung Galaxy S24", "--out", str(out))
    assert r.code == 3 and len(r.err.strip().splitlines()) == 1
    assert not out.exists()


def test_our_token_rule_is_qai_hubs_own(no_token, tmp_path):
    from qai_hub.client import UserError

    from advisor.errors import RemoteUnavailable
    from advisor.probe import aihub

    assert aihub.config_path() == no_token
    with pytest.raises(RemoteUnavailable):
        aihub.require_token()
    with pytest.raises(UserError):  # qai-hub itself refuses at once: the same file is missing
        qai_hub.Client().get_devices()
    no_token.parent.mkdir()
    no_token.write_text("[api]\napi_token = not-a-real-token\napi_url = https://workbench.aihub.qualcomm.com\n"
                        "web_url = https://workbench.aihub.qualcomm.com\n")
    assert aihub.require_token() == no_token


def test_device_and_quantization_map_to_qai_hub_classes():
    from advisor.errors import InputError
    from advisor.probe import aihub

    dev = aihub.hub_device(" Samsung Galaxy S24 ")
    assert isinstance(dev, qai_hub.Device) and dev.name == "Samsung Galaxy S24"
    assert aihub.quantize_dtypes("w8a16") == (qai_hub.QuantizeDtype.INT8, qai_hub.QuantizeDtype.INT16)
    assert aihub.quantize_dtypes("W8A8") == (qai_hub.QuantizeDtype.INT8, qai_hub.QuantizeDtype.INT8)
    with pytest.raises(InputError):
        aihub.quantize_dtypes("fp16")
    with pytest.raises(InputError):
        aihub.hub_device("  ")


def test_a_profile_as_qai_hub_returns_it_becomes_measured_figures_with_its_url():
    from qai_hub import public_api_pb2 as api_pb
    from qai_hub.client import _profile_pb_to_python_dict

    from advisor.probe import aihub

    pb = api_pb.ProfileDetail(major_version=1, minor_version=2, execution_time=25_000,
                              after_execution_peak_memory=3 * 2**30, cold_load_time=1_500_000)
    for name, unit in (("l0", api_pb.COMPUTE_UNIT_NPU), ("l1", api_pb.COMPUTE_UNIT_CPU)):
        pb.layer_details.append(api_pb.LayerDetail(name=name, compute_unit=unit, layer_type_name="MatMul"))
    url = "https://workbench.aihub.qualcomm.com/jobs/jabc123/"
    m = aihub.measured_from_profile(_profile_pb_to_python_dict(pb), url, "Samsung Galaxy S24")
    assert m.decode_tokens_per_s == pytest.approx(40.0)  # 25 ms per decode step
    assert m.peak_memory_gib == pytest.approx(3.0) and m.load_s == pytest.approx(1.5)
    assert url in m.notes[0] and "CPU 1, NPU 1" in m.notes[1]


def test_aihub_device_needs_the_qnn_backend(cli):
    r = cli("probe", "--backend", "llamacpp", "--quant", "Q4_0", "--aihub-device", "Samsung Galaxy S24")
    assert r.code == 2 and "--backend qnn" in r.err


def test_the_jobs_arguments_bind_to_qai_hubs_own_signatures(tmp_path):
    import inspect

    import numpy as np

    from advisor.probe import aihub

    dev = aihub.hub_device("Samsung Galaxy S24")
    calib = {"input_ids": [np.zeros((1, 8), dtype=np.int64)]}
    for fn, args in ((qai_hub.submit_quantize_job, aihub.quantize_args(tmp_path / "m.onnx", calib, "w8a16", "n")),
                     (qai_hub.submit_compile_job, aihub.compile_args("model", dev, "n")),
                     (qai_hub.submit_inference_job, aihub.profile_args("model", dev, "n"))):
        inspect.signature(fn).bind(**args)  # raises TypeError on a name qai-hub does not take
    assert aihub.profile_args("m", dev, "n")["profile"] is True


def test_a_sweep_sends_its_qnn_cells_to_aihub_under_their_own_keys():
    from advisor.sweep.probes import jobs_from

    rows = [{"status": "ok", "model": "builtin", "backend": "qnn", "quant": "w8a16", "runs_here": True},
            {"status": "ok", "model": "builtin", "backend": "llamacpp", "quant": "Q4_0", "runs_here": True},
            {"status": "error", "model": "x", "device": "y", "reason": "bad"}]
    local, hub = jobs_from(rows, {}), jobs_from(rows, {}, "Samsung Galaxy S24")
    assert [(j.backend, j.where) for j in local] == [("qnn", ""), ("llamacpp", "")]
    assert [(j.backend, j.where) for j in hub] == [("qnn", "aihub:Samsung Galaxy S24"), ("llamacpp", "")]
    assert hub[0].key("s") != local[0].key("s") and hub[1].key("s") == local[1].key("s")
