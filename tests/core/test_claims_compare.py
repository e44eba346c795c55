"""`advisor claims` (the chapter's table checked on a device) and `advisor compare` (one model, several devices):
the JSON contracts (`advisor schema claims|compare`), the schemas behind them, and verdicts that follow the decision tree (issue 15)."""

from __future__ import annotations

import pytest

from advisor.report_schemas import ClaimsReport, CompareReport

ROWS = [("llama.cpp", "Q4_K_M"), ("Olive", "int4"), ("OpenVINO", "int8"), ("OpenVINO", "int4"), ("QNN", "w8a16"),
        ("QNN", "w4a16"), ("MLX", "4bit")]
SPEC_KEYS = {"framework", "quant", "claim_memory", "claim_speedup", "predicted_memory_reduction_pct",
             "predicted_speedup", "verdict", "reason"}
# which chapter rows apply on each device: the backends the decision tree admits there
APPLIES = {
    "galaxy-s24-ultra": {"llama.cpp", "Olive", "QNN"},
    "intel-core-ultra-7-258v-laptop": {"llama.cpp", "Olive", "OpenVINO"},
    "apple-m3-16gb": {"llama.cpp", "Olive", "MLX"},
    "raspberry-pi-5-8gb": {"llama.cpp"},
}


@pytest.mark.parametrize("device", sorted(APPLIES))
def test_claims_json_rows_and_verdicts(cli, device):
    r = cli("claims", "--device", device, "--json")
    assert r.code == 0, r.err
    rep = ClaimsReport.model_validate(r.json())
    assert rep.device == device and rep.model == "llama-2-7b"
    assert [(x.framework, x.quant) for x in rep.rows] == ROWS
    for raw, row in zip(r.json()["rows"], rep.rows):
        assert SPEC_KEYS <= set(raw)
        assert row.reason
        if row.framework in APPLIES[device]:
            assert row.verdict in {"consistent", "contradicted"}, row
            assert row.baseline and row.backend in row.baseline and row.compute
            est = row.predicted_speedup
            assert est is not None and est.low <= est.value <= est.high
            assert row.predicted_memory_reduction_pct is not None
            consistent = (row.memory_verdict, row.speedup_verdict) == ("consistent", "consistent")
            assert (row.verdict == "consistent") == consistent
        else:
            assert row.verdict == "not-applicable" and "eliminated" in row.reason, row
            assert row.predicted_speedup is None


def test_claims_reduction_is_physics(cli):
    """4-bit weights are ~70 % smaller than FP16, 8-bit ~50 %: the saving follows the bits per weight."""
    rows = {(x["framework"], x["quant"]): x for x in cli("claims", "-d", "intel-core-ultra-7-258v-laptop",
                                                          "--json").json()["rows"]}
    assert 60 < rows[("OpenVINO", "int4")]["predicted_memory_reduction_pct"]["value"] < 80
    assert 40 < rows[("OpenVINO", "int8")]["predicted_memory_reduction_pct"]["value"] < 55
    assert rows[("llama.cpp", "Q4_K_M")]["predicted_speedup"]["value"] > 1.5


def test_claims_model_option_and_outputs(cli):
    r = cli("claims", "-d", "apple-m3-16gb", "--model", "llama-3.2-1b-instruct", "--json")
    assert r.code == 0 and r.json()["model"] == "llama-3.2-1b-instruct"
    gb = next(x for x in r.json()["rows"] if x["framework"] == "MLX")["claimed_memory_gb"]
    assert gb["high"] < 1.5  # "~4 GB for a 7B model" scales down to a 1.2B model
    md = cli("claims", "-d", "apple-m3-16gb", "--markdown")
    assert md.code == 0 and md.out.startswith("# The chapter's claims") and "| MLX | 4bit |" in md.out
    human = cli("claims", "-d", "apple-m3-16gb")
    assert human.code == 0 and "consistent" in human.out and "compared with" in human.out


def test_compare_json_contract_and_class_selection(cli):
    r = cli("compare", "-m", "llama-3.2-1b-instruct", "--devices", "class:apple_silicon", "-d", "raspberry-pi-5-8gb",
            "--json")
    assert r.code == 0, r.err
    rep = CompareReport.model_validate(r.json())
    ids = [d.device for d in rep.devices]
    assert ids[0] == "raspberry-pi-5-8gb" and len(ids) == len(set(ids)) > 5
    assert all(d.device_class == "apple_silicon" for d in rep.devices[1:])
    for d in rep.devices:
        assert d.best is not None and d.best.feasible
        assert d.per_backend[d.best.backend].quant == d.best.quant or d.per_backend[d.best.backend].feasible
        assert set(d.per_backend) <= {"llamacpp", "olive", "openvino", "mlx", "qnn", "executorch", "mlc"}
    assert "mlx" in rep.devices[1].per_backend and "mlx" not in rep.devices[0].per_backend


def test_compare_markdown_and_table(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    argv = ("compare", "-m", "llama-3.1-8b-instruct", "--devices", "apple-m3-16gb,galaxy-s24-ultra")
    r = cli(*argv)
    assert r.code == 0 and "apple-m3-16gb" in r.out and "galaxy-s24-ultra" in r.out and "★" in r.out
    assert "…" not in r.out and max(len(line) for line in r.out.splitlines()) <= 80
    md = cli(*argv, "--markdown")
    assert md.code == 0 and md.out.startswith("# Llama 3.1 8B") and "## Per backend" in md.out


@pytest.mark.parametrize("which", ["claims", "compare"])
def test_schemas_are_printed(cli, which):
    r = cli("schema", which)
    assert r.code == 0 and r.json()["type"] == "object"


def test_speedup_interval_is_the_measured_error_of_predicted_speedups(kb):
    """Public (quantized, float) pairs of the same engine, device and model say how far a predicted speed-up
    may be off; the interval is not the near-zero width left of two predictions that share their error."""
    from advisor.calibration import load_calibration
    from advisor.claims import check_claims, ratio_band
    from advisor.resolve import resolve_device
    from advisor.schemas import Constraints
    from advisor.speed_data import load_speed_rows

    cal = load_calibration()
    rows, _, _ = load_speed_rows(kb, kb.engines)
    band = ratio_band(rows, cal, kb.engines)
    assert band is not None and band.pairs >= 20 and band.low < 0 < band.high
    rep = check_claims(resolve_device("apple-m3-16gb"), kb.models["llama-2-7b"], Constraints(), kb, cal, band)
    x = next(r for r in rep.rows if r.framework == "MLX").predicted_speedup
    assert x.high / x.low > 1.3 and f"{band.pairs} public" in x.basis
