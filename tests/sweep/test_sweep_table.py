"""`advisor sweep` without probes: one row per (model, device, candidate), bad cells as rows, resumable."""

from __future__ import annotations

import csv
import json

import pytest


def _rows(out):
    return list(csv.DictReader((out / "sweep.csv").open()))


def test_one_row_per_model_device_candidate_and_bad_cells_as_rows(cli, tmp_path):
    out = tmp_path / "s"
    r = cli("sweep", "--models", "llama-3.2-1b-instruct,no-such-model", "--devices", "raspberry-pi-5-8gb",
            "--devices", "class:apple_silicon,no-such-device", "--out", str(out), "--json", "--workers", "1")
    assert r.code == 0, r.err
    s = r.json()
    rows = _rows(out)
    ok = [x for x in rows if x["status"] == "ok"]
    keys = [(x["model"], x["device"], x["backend"], x["quant"], x["compute"]) for x in ok]
    assert len(keys) == len(set(keys)) and ok
    devices = {x["device"] for x in ok}
    assert "raspberry-pi-5-8gb" in devices and len(devices) >= 2  # class:apple_silicon expanded to profiles
    errors = {(x["model"], x["device"]): x["reason"] for x in rows if x["status"] == "error"}
    assert "unknown model 'no-such-model'" in errors[("no-such-model", "*")]
    assert "unknown device 'no-such-device'" in errors[("*", "no-such-device")]
    assert s["rows"] == len(rows) and s["errors"] == 2
    for x in ok[:5]:  # the candidate's keys, flattened with their intervals
        assert float(x["decode_tokens_per_s_low"]) <= float(x["decode_tokens_per_s"]) <= float(
            x["decode_tokens_per_s_high"])
    lines = (out / "sweep.jsonl").read_text().splitlines()
    assert len(lines) == len(rows)

    again = cli("sweep", "--models", "llama-3.2-1b-instruct,no-such-model", "--devices", "raspberry-pi-5-8gb",
                "--devices", "class:apple_silicon,no-such-device", "--out", str(out), "--json")
    assert again.code == 0 and again.json()["planned"] == 0
    assert _rows(out) == rows


def test_a_cell_cut_by_a_kill_is_redone_and_nothing_doubles(cli, tmp_path):
    out = tmp_path / "s"
    args = ("sweep", "--models", "qwen2.5-0.5b-instruct,llama-3.2-1b-instruct", "--devices", "raspberry-pi-5-8gb",
            "--out", str(out), "--json", "--workers", "1")
    assert cli(*args).code == 0
    before = _rows(out)
    j = out / "sweep.jsonl"
    text = j.read_text()
    j.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])  # the last line cut in the middle
    r = cli(*args)
    assert r.code == 0 and r.json()["planned"] == 1
    after = _rows(out)
    assert sorted(map(json.dumps, after)) == sorted(map(json.dumps, before))


def test_backends_quants_and_a_list_file(cli, tmp_path):
    lst = tmp_path / "models.txt"
    lst.write_text("# shortlist\nqwen2.5-0.5b-instruct\n\nbuiltin  # the probe model\n")
    out = tmp_path / "s"
    r = cli("sweep", "--models", str(lst), "--devices", "auto", "--backends", "llamacpp", "--quants", "q4_0,Q8_0",
            "--out", str(out), "--workers", "1")
    assert r.code == 0, r.err
    rows = _rows(out)
    assert {x["model"] for x in rows} == {"qwen2.5-0.5b-instruct", "builtin"}
    assert {x["quant"] for x in rows} == {"Q4_0", "Q8_0"} and {x["backend"] for x in rows} == {"llamacpp"}
    assert {x["device"] for x in rows} == {"auto"}


@pytest.mark.parametrize("argv, needle", [
    (["--models", ",,"], "--models is empty"),
    (["--backends", "tensorrt"], "unknown backend 'tensorrt'"),
    (["--quants", "Q9_9"], "--quants: 'Q9_9'"),
    (["--ray", "local"], "--ray only applies with --probe"),
    (["--probe", "--ray", "a b"], "--ray"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(cli, tmp_path, argv, needle):
    out = tmp_path / "s"
    base = {"--models": "qwen2.5-0.5b-instruct", "--devices": "raspberry-pi-5-8gb"}
    for k in argv:
        base.pop(k, None)
    args = [a for kv in base.items() for a in kv]
    r = cli("sweep", *args, *argv, "--out", str(out))
    assert r.code == 2, r.err
    assert needle in r.err and len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert not out.exists()


def test_out_that_is_a_file_is_bad_input(cli, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = cli("sweep", "--models", "qwen2.5-0.5b-instruct", "--devices", "raspberry-pi-5-8gb", "--out", str(f))
    assert r.code == 2 and "--out" in r.err and len(r.err.strip().splitlines()) == 1
    assert f.read_text() == "x"


def test_what_a_probe_quantizes_for_each_kind_of_model(tmp_path):
    import json as _json

    from advisor.knowledge import load_knowledge
    from advisor.sweep.cells import resolve_models
    from advisor.sweep.probes import probe_model_for

    cfg = {"model_type": "llama", "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
           "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512}
    bare, weights = tmp_path / "bare", tmp_path / "weights"
    for d in (bare, weights):
        d.mkdir()
        (d / "config.json").write_text(_json.dumps(cfg))
    (weights / "model.safetensors").write_bytes(b"\0" * 16)
    entries = {e.name: e.value for e in resolve_models(["builtin", "tiny", "qwen2.5-0.5b-instruct", str(bare),
                                                         str(weights)], load_knowledge())}
    assert {n: probe_model_for(n, s) for n, s in entries.items()} == {
        "builtin": "builtin", "tiny": "tiny", "qwen2.5-0.5b-instruct": "builtin", str(bare): "builtin",
        str(weights): str(weights)}
    assert entries["tiny"].num_hidden_layers == 2 and entries["builtin"].num_hidden_layers > 2
