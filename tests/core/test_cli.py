"""The real CLI entry point: JSON contracts (docs/user-guide.md#json-output, `advisor schema`) and one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest

CANDIDATE_KEYS = {"backend", "quant", "compute", "feasible", "violations", "weights_gib", "peak_memory_gib",
                  "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct", "score", "reasons", "measured",
                  "script"}
PI = ("--device", "raspberry-pi-5-8gb")
LLAMA = ("--model", "llama-3.2-1b-instruct")


def test_plan_json_contract(cli):
    r = cli("plan", *PI, *LLAMA, "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert set(d) >= {"device", "model", "constraints", "candidates"}
    assert d["candidates"], "a Pi 5 runs a 1B model"
    for c in d["candidates"]:
        assert CANDIDATE_KEYS <= set(c)
        for k in ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s", "ppl_increase_pct"):
            assert c[k]["low"] <= c[k]["value"] <= c[k]["high"]
    assert d["candidates"][0]["feasible"] and d["candidates"][0]["backend"] == "llamacpp"
    assert {e["backend"] for e in d["eliminated"]} >= {"mlx", "qnn"}


def test_plan_human_and_markdown(cli):
    r = cli("plan", *PI, *LLAMA)
    assert r.code == 0 and "Raspberry Pi 5" in r.out and "eliminated mlx" in r.out
    r = cli("plan", *PI, *LLAMA, "--markdown")
    assert r.code == 0 and r.out.startswith("# Deployment plan") and "## Decision path" in r.out


def test_nothing_feasible_still_exits_zero_with_suggestions(cli):
    r = cli("plan", *PI, "--model", "llama-3.1-70b-instruct", "--json")
    assert r.code == 0
    d = r.json()
    assert not any(c["feasible"] for c in d["candidates"])
    assert d["suggestions"] and any("smaller" in s or "lower" in s for s in d["suggestions"])


def test_constraints_produce_named_violations(cli):
    r = cli("plan", *PI, *LLAMA, "--min-decode-tps", "1000", "--max-quality-loss", "0.01", "--json")
    assert r.code == 0
    c = r.json()["candidates"][0]
    assert not c["feasible"] and any("--min-decode-tps 1000" in v for v in c["violations"])


def test_predict_with_spec_only_profile_and_config_dir(cli, tmp_path):
    prof = tmp_path / "board.yaml"
    prof.write_text("""id: my-board
name: My board
class: arm_sbc
os: [linux]
cpu: {arch: arm64, cores: 4, features: [neon, dotprod]}
memory: {total_gb: 8, bandwidth_gbs: 17.1, unified: true}
accelerators: []
sources: [https://example.com]
""")
    model = tmp_path / "tiny"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({
        "model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
        "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256, "tie_word_embeddings": True}))
    r = cli("predict", "--device", str(prof), "--model", str(model), "--backend", "llamacpp", "--quant", "q4_0",
            "--prompt-tokens", "512", "--gen-tokens", "128", "--json")
    assert r.code == 0, r.err
    c = r.json()
    assert c["quant"] == "Q4_0" and c["backend"] == "llamacpp" and c["decode_tokens_per_s"]["value"] > 0


def test_explain_lists_path_and_eliminations(cli):
    r = cli("explain", "--device", "galaxy-s24-ultra", *LLAMA, "--json")
    assert r.code == 0
    d = r.json()
    assert d["branch"] == "snapdragon-npu"
    assert any(x["backend"] == "qnn" and x["compute"] == "npu" for x in d["routes"])
    assert any(e["backend"] == "mlx" for e in d["eliminated"])


@pytest.mark.parametrize("device,branch,backend", [
    ("apple-m2-16gb", "apple", "mlx"),
    ("intel-core-ultra-7-155h-laptop", "intel", "openvino"),
    ("desktop-rtx-4090-24gb", "nvidia", "llamacpp"),
    ("raspberry-pi-5-8gb", "cpu-only", "llamacpp"),
])
def test_decision_tree_branches(cli, device, branch, backend):
    d = cli("explain", "--device", device, *LLAMA, "--json").json()
    assert d["branch"] == branch and any(r["backend"] == backend for r in d["routes"])


def test_devices_models_detect_schema(cli):
    assert "raspberry-pi-5-8gb" in cli("devices", "list").out
    assert cli("devices", "show", "raspberry-pi-5-8gb", "--json").json()["class"] == "arm_sbc"
    assert any(m["id"] == "qwen3-30b-a3b" for m in cli("models", "list", "--json").json())
    d = cli("detect", "--json", "--no-bandwidth").json()
    assert d["id"] == "this-machine" and d["cpu"]["cores"] >= 1
    s = cli("schema", "device").json()
    assert "properties" in s and "class" in s["properties"]


BAD = [
    (("plan", "--device", "nope", *LLAMA), "unknown device"),
    (("plan", *PI, "--model", "nope"), "unknown model"),
    (("plan", *PI, *LLAMA, "--backend", "tensorrt"), "tensorrt"),
    (("predict", *PI, *LLAMA, "--backend", "llamacpp", "--quant", "Q9_9"), "unknown quant"),
    (("plan", *PI, *LLAMA, "--max-memory-gb", "-3"), "max-memory-gb"),
    (("plan", *PI, *LLAMA, "--context", "0"), "context"),
    (("plan", *PI, *LLAMA, "--context", "99999999999"), "context"),
    (("plan", *PI, *LLAMA, "--min-decode-tps", "abc"), "min-decode-tps"),
    (("plan", *PI, *LLAMA, "--json", "--markdown"), "--json"),
    (("devices", "show", "nope"), "unknown device"),
]


@pytest.mark.parametrize("argv,needle", BAD)
def test_bad_input_one_line_exit_2(cli, argv, needle):
    r = cli(*argv)
    assert r.code == 2, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
    assert "Traceback" not in r.err and r.out == ""


def test_bad_files_one_line_exit_2(cli, tmp_path):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("id: [unclosed\n")
    unknown_key = tmp_path / "extra.yaml"
    unknown_key.write_text("id: x\nname: x\nclass: other\nos: [linux]\ncpu: {arch: x86_64, cores: 2}\n"
                           "memory: {total_gb: 4, bandwidth_gbs: 10}\ncolour: red\n")
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    bad_cfg = tmp_path / "badcfg"
    bad_cfg.mkdir()
    (bad_cfg / "config.json").write_text("{not json")
    truncated = tmp_path / "model.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00\x01")
    cases = [
        (("plan", "--device", str(bad_yaml), *LLAMA), "not valid YAML"),
        (("plan", "--device", str(unknown_key), *LLAMA), "colour: unknown key"),
        (("plan", *PI, "--model", str(empty_dir)), "no config.json"),
        (("plan", *PI, "--model", str(bad_cfg)), "not valid JSON"),
        (("plan", *PI, "--model", str(truncated)), "not a readable GGUF"),
        (("plan", "--device", str(tmp_path / "missing.yaml"), *LLAMA), "not found"),
    ]
    for argv, needle in cases:
        r = cli(*argv)
        assert r.code == 2, (argv, r.err)
        assert len(r.err.strip().splitlines()) == 1 and needle in r.err, (argv, r.err)


def test_hub_id_offline_is_a_clear_exit_2(sh):
    r = sh("plan", *PI, "--model", "someorg/some-model")
    assert r.code == 2 and "local path" in r.err and "Traceback" not in r.err


def test_help_has_examples(cli):
    for cmd in ("plan", "predict", "explain", "devices", "detect", "calibrate", "schema"):
        r = cli(cmd, "--help")
        assert r.code == 0 and "Example" in r.out, cmd
