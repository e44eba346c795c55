"""Nonsense that used to be accepted silently, or to end in exit 1 (issue 12, items 4 and 6): each is now exit 2
with one line that names the fix, or (for a route `plan` rules out) an infeasible prediction that says why."""

from __future__ import annotations

import json

import pytest
import yaml

from advisor.paths import PROFILES_DIR

DEV, MODEL = "raspberry-pi-5-8gb", "llama-3.2-1b-instruct"
LONG = "x" * 300
LLAMA_1B = {"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, "num_hidden_layers": 16,
            "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256}


def bad_input(r, *words: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert r.err.count("\n") == 1 and r.err.startswith("error: "), r.err
    for w in words:
        assert w in r.err, r.err


@pytest.mark.parametrize("argv", [
    ["plan", "-d", f"/tmp/{LONG}.yaml", "-m", MODEL],
    ["plan", "-d", LONG, "-m", MODEL],
    ["plan", "-d", DEV, "-m", f"/tmp/{LONG}"],
    ["plan", "-d", DEV, "-m", f"./{LONG}.gguf"],
    ["devices", "show", f"/tmp/{LONG}"],
    ["probe", "--backend", "llamacpp", "--quant", "Q4_0", "-m", f"/tmp/{LONG}"],
])
def test_a_path_component_over_255_bytes_is_bad_input(cli, argv):
    bad_input(cli(*argv), "too long")


@pytest.fixture
def model_dir(tmp_path):
    def make(**changes) -> str:
        d = tmp_path / "m"
        d.mkdir(exist_ok=True)
        (d / "config.json").write_text(json.dumps({**LLAMA_1B, **changes}))
        return str(d)
    return make


@pytest.mark.parametrize("changes,words", [
    ({"hidden_size": 10**308}, ["hidden_size"]),          # an int beyond float range: was OverflowError, exit 1
    ({"hidden_size": 2**62}, ["hidden_size"]),            # planned as if real
    ({"vocab_size": 1e300}, ["vocab_size"]),
    ({"num_hidden_layers": True}, ["num_hidden_layers"]),
    ({"tie_word_embeddings": "false"}, ["tie_word_embeddings"]),  # bool("false") is True
    ({"hidden_size": 2050}, ["multiple"]),                # 32 heads do not divide it
    ({"num_key_value_heads": 5}, ["multiple"]),           # 32 query heads cannot share 5 kv heads evenly
])
def test_impossible_model_configs_are_bad_input(cli, model_dir, changes, words):
    bad_input(cli("plan", "-d", DEV, "-m", model_dir(**changes)), *words)


def test_a_null_tie_word_embeddings_is_false(cli, model_dir):
    r = cli("plan", "-d", DEV, "-m", model_dir(tie_word_embeddings=None), "--json")
    assert r.code == 0 and r.json()["model"]["tie_word_embeddings"] is False


@pytest.fixture
def profile(tmp_path):
    def make(text_edit=None, **memory) -> str:
        prof = yaml.safe_load((PROFILES_DIR / f"{DEV}.yaml").read_text())
        prof["memory"].update(memory)
        text = yaml.safe_dump(prof, sort_keys=False)
        f = tmp_path / "board.yaml"
        f.write_text(text_edit(text) if text_edit else text)
        return str(f)
    return make


@pytest.mark.parametrize("memory,key", [
    ({"bandwidth_gbs": 1e-300}, "bandwidth_gbs"),  # was 0 tok/s and "feasible"
    ({"bandwidth_gbs": True}, "bandwidth_gbs"),    # was 1.0 GB/s
    ({"total_gb": 1e-300}, "total_gb"),
    ({"unified": "no"}, "unified"),
])
def test_nonsense_profile_numbers_are_bad_input(cli, profile, memory, key):
    bad_input(cli("plan", "-d", profile(**memory), "-m", MODEL), key)


def test_a_key_written_twice_in_a_profile_is_bad_input(cli, profile):
    f = profile(text_edit=lambda t: t.replace("memory:\n", "memory:\n  total_gb: 64\n", 1))
    bad_input(cli("plan", "-d", f, "-m", MODEL), "appears twice")


def test_a_key_written_twice_in_config_json_is_bad_input(cli, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text(json.dumps(LLAMA_1B)[:-1] + ', "hidden_size": 4096}')
    bad_input(cli("plan", "-d", DEV, "-m", str(tmp_path / "m")), "appears twice")


def test_a_workload_longer_than_the_context_is_bad_input(cli):
    bad_input(cli("plan", "-d", DEV, "-m", MODEL, "--prompt-tokens", "100000", "--context", "100"),
              "--context 100")
    bad_input(cli("predict", "-d", DEV, "-m", MODEL, "--backend", "llamacpp", "--quant", "Q4_0",
                  "--gen-tokens", "5000", "--context", "4096"), "--gen-tokens 5000")


def test_a_short_context_shrinks_the_default_workload_to_fit(cli):
    r = cli("plan", "-d", DEV, "-m", MODEL, "--context", "100", "--json")
    assert r.code == 0, r.err
    cons = r.json()["constraints"]
    assert cons["prompt_tokens"] + cons["gen_tokens"] <= 100


@pytest.mark.parametrize("cmd", ["plan", "explain"])
def test_an_os_the_device_does_not_run_is_bad_input(cli, cmd):
    bad_input(cli(cmd, "-d", DEV, "-m", MODEL, "--os", "macos"), "--os macos", "linux")


@pytest.mark.parametrize("flags,why", [
    (["--backend", "mlx", "--quant", "4bit"], "Apple"),
    (["--backend", "qnn", "--quant", "w8a16"], "Hexagon"),
    (["--backend", "llamacpp", "--quant", "Q4_0", "--compute", "npu"], "npu"),
])
def test_predict_never_calls_a_route_plan_rules_out_feasible(cli, flags, why):
    r = cli("predict", "-d", DEV, "-m", MODEL, *flags, "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["feasible"] is False and any(why in v for v in d["violations"]), d["violations"]


def test_predict_of_an_admitted_route_stays_feasible(cli):
    r = cli("predict", "-d", DEV, "-m", MODEL, "--backend", "llamacpp", "--quant", "Q4_0", "--json")
    assert r.code == 0 and r.json()["feasible"] is True and r.json()["violations"] == []


@pytest.mark.parametrize("flags,words", [
    (["--force"], ["--force", "--emit-scripts"]),
    (["--probe-top", "2"], ["--probe-top", "--probe"]),
])
def test_flags_that_need_another_flag_say_so(cli, flags, words):
    bad_input(cli("plan", "-d", DEV, "-m", MODEL, *flags), *words)
