"""Property-based tests: any profile, constraint set, config.json, YAML text or GGUF file either works or gives one
clear error with exit 2 — never a traceback, never an unhandled exception."""

from __future__ import annotations

import json
import math
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.cli import main
from advisor.errors import InputError, KnowledgeError

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
LLAMA = ["--model", "llama-3.2-1b-instruct"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
json_values = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)),
                           max_leaves=12)


def run(capsys, argv):
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def assert_clean(code, err, allowed=(0, 2)):
    assert code in allowed, err
    assert "Traceback" not in err
    if code != 0:
        assert len(err.strip().splitlines()) == 1 and err.startswith("error:"), err


def base_profile() -> dict:
    return {"id": "fuzz", "name": "fuzz", "class": "arm_sbc", "os": ["linux"],
            "cpu": {"arch": "arm64", "cores": 4, "features": ["neon"]},
            "memory": {"total_gb": 8, "bandwidth_gbs": 17.1, "unified": True}, "accelerators": []}


PROFILE_PATHS = [("id",), ("class",), ("os",), ("cpu",), ("cpu", "cores"), ("cpu", "arch"), ("cpu", "features"),
                 ("memory",), ("memory", "total_gb"), ("memory", "bandwidth_gbs"), ("accelerators",), ("extra",)]


@FUZZ
@given(path=st.sampled_from(PROFILE_PATHS), value=json_values, fmt=st.sampled_from(["yaml", "json"]))
def test_fuzzed_profiles(capsys, tmp_path_factory, path, value, fmt):
    prof = base_profile()
    node = prof
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    f = tmp_path_factory.mktemp("p") / f"dev.{fmt}"
    try:
        f.write_text(json.dumps(prof) if fmt == "json" else yaml.safe_dump(prof))
    except (ValueError, TypeError):
        return
    code, out, err = run(capsys, ["plan", "--device", str(f), *LLAMA, "--json"])
    assert_clean(code, err)


CONSTRAINT_FLAGS = ["--max-memory-gb", "--min-decode-tps", "--min-prefill-tps", "--max-quality-loss", "--context",
                    "--prompt-tokens", "--gen-tokens"]


@FUZZ
@given(flags=st.dictionaries(st.sampled_from(CONSTRAINT_FLAGS),
                             st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                                       st.integers(-10**15, 10**15).map(str), st.text(string.printable, max_size=6)),
                             max_size=4))
def test_fuzzed_constraints(capsys, flags):
    argv = ["plan", "--device", "raspberry-pi-5-8gb", *LLAMA, "--json"]
    for k, v in flags.items():
        argv += [k, v]
    code, out, err = run(capsys, argv)
    assert_clean(code, err)
    if code == 0:
        assert "candidates" in json.loads(out)


CONFIG_KEYS = ["model_type", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
               "num_key_value_heads", "head_dim", "vocab_size", "tie_word_embeddings", "num_experts",
               "num_experts_per_tok", "text_config", "max_position_embeddings"]


@FUZZ
@given(cfg=st.dictionaries(st.sampled_from(CONFIG_KEYS),
                           st.one_of(st.integers(-5, 200_000), json_values), max_size=len(CONFIG_KEYS)))
def test_fuzzed_config_json(capsys, tmp_path_factory, cfg):
    d = tmp_path_factory.mktemp("m")
    (d / "config.json").write_text(json.dumps(cfg))
    code, out, err = run(capsys, ["plan", "--device", "raspberry-pi-5-8gb", "--model", str(d), "--json"])
    assert_clean(code, err)


@FUZZ
@given(hidden=st.integers(1, 70_000), heads=st.integers(1, 256), kv=st.integers(1, 256), layers=st.integers(1, 300),
       vocab=st.integers(1, 400_000), inter=st.integers(1, 300_000))
def test_valid_but_odd_architectures_give_finite_predictions(capsys, tmp_path_factory, hidden, heads, kv, layers, vocab, inter):
    d = tmp_path_factory.mktemp("m")
    (d / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": hidden, "num_attention_heads": heads,
                                               "num_key_value_heads": kv, "num_hidden_layers": layers,
                                               "vocab_size": vocab, "intermediate_size": inter}))
    code, out, err = run(capsys, ["plan", "--device", "apple-m2-16gb", "--model", str(d), "--json"])
    assert_clean(code, err)
    if code == 0:
        for c in json.loads(out)["candidates"]:
            for k in ("weights_gib", "peak_memory_gib", "decode_tokens_per_s", "prefill_tokens_per_s"):
                assert all(math.isfinite(c[k][x]) for x in ("value", "low", "high"))


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200))
def test_fuzzed_yaml_text(tmp_path_factory, text):
    from advisor.yamlio import read_data

    f = tmp_path_factory.mktemp("y") / "x.yaml"
    f.write_text(text, encoding="utf-8")
    try:
        read_data(f)
    except KnowledgeError as exc:
        assert "\n" not in str(exc)


@pytest.fixture(scope="module")
def small_gguf(tmp_path_factory) -> bytes:
    from advisor.gguf_meta import minimal_gguf

    return minimal_gguf(tmp_path_factory.mktemp("g") / "m.gguf").read_bytes()


def test_valid_gguf_reads(tmp_path, small_gguf):
    from advisor.gguf_meta import spec_from_gguf

    p = tmp_path / "ok.gguf"
    p.write_bytes(small_gguf)
    spec = spec_from_gguf(p)
    assert spec.hidden_size == 64 and spec.num_key_value_heads == 2 and spec.tie_word_embeddings
    assert spec.gguf_file_type == "F16"


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_truncated_or_corrupted_gguf(tmp_path_factory, small_gguf, data):
    from advisor.gguf_meta import spec_from_gguf

    blob = bytearray(small_gguf)
    if data.draw(st.booleans()):
        blob = blob[: data.draw(st.integers(0, len(blob) - 1))]
    else:
        for _ in range(data.draw(st.integers(1, 8))):
            i = data.draw(st.integers(0, len(blob) - 1))
            blob[i] = data.draw(st.integers(0, 255))
    p = tmp_path_factory.mktemp("g") / "bad.gguf"
    p.write_bytes(bytes(blob))
    try:
        spec_from_gguf(p)
    except InputError as exc:
        assert "\n" not in str(exc)
