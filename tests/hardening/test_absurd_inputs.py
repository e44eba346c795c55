"""Absurd but valid inputs through the real CLI: a 0.5 GB device, a 400B model given as a config.json folder, a
1M-token context, constraints nothing meets. Each plan exits 0 with finite numbers, nothing feasible, a summary
that says so, and suggestions that name what to relax."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import yaml

from advisor.paths import PROFILES_DIR

LLAMA_405B = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 16384,
              "intermediate_size": 53248, "num_hidden_layers": 126, "num_attention_heads": 128,
              "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 131072,
              "tie_word_embeddings": False, "torch_dtype": "bfloat16"}  # Llama 3.1 405B's published config


def numbers(obj, path="$"):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from numbers(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(obj, float):
        yield path, obj


def plan(cli, *argv) -> dict:
    r = cli("plan", *argv, "--json")
    assert r.code == 0, r.err
    d = r.json()
    bad = [(p, v) for p, v in numbers(d) if not math.isfinite(v)]
    assert bad == [], bad[:5]
    text = cli("plan", *argv, "--all")  # the human table too: exit 0, no nan/inf printed
    assert text.code == 0 and not re.search(r"\b(nan|inf)\b", text.out, re.I), text.out[-800:]
    return d


def assert_nothing_feasible(d: dict) -> None:
    assert d["candidates"] and not any(c["feasible"] for c in d["candidates"])
    assert all(c["violations"] for c in d["candidates"])
    assert d["summary"].startswith("No candidate meets the constraints")
    assert d["suggestions"]


@pytest.fixture(scope="module")
def half_gb_board(tmp_path_factory) -> Path:
    prof = yaml.safe_load((PROFILES_DIR / "raspberry-pi-5-8gb.yaml").read_text())
    prof.update(id="half-gb-board", name="Half-GB board")
    prof["memory"]["total_gb"] = 0.5
    f = tmp_path_factory.mktemp("dev") / "half.yaml"
    f.write_text(yaml.safe_dump(prof))
    return f


def test_half_gb_device(cli, half_gb_board):
    d = plan(cli, "--device", str(half_gb_board), "--model", "llama-3.2-1b-instruct")
    assert_nothing_feasible(d)
    assert all(any("memory" in v for v in c["violations"]) for c in d["candidates"])
    s = " ".join(d["suggestions"])
    assert "a device with more memory" in s
    assert "no catalogue model fits" in s  # 0.5 GB leaves nothing usable once the OS has its share


def test_half_gb_device_and_the_smallest_model_still_says_why(cli, half_gb_board):
    d = plan(cli, "--device", str(half_gb_board), "--model", "smollm2-135m-instruct", "--context", "256")
    for c in d["candidates"]:
        assert c["feasible"] == (not c["violations"])
        assert c["peak_memory_gib"]["value"] > c["weights_gib"]["value"] > 0


def test_400b_model_from_config_folder(cli, tmp_path):
    (tmp_path / "llama-405b").mkdir()
    (tmp_path / "llama-405b" / "config.json").write_text(json.dumps(LLAMA_405B))
    d = plan(cli, "--device", "raspberry-pi-5-8gb", "--model", str(tmp_path / "llama-405b"))
    assert_nothing_feasible(d)
    q8 = next(c for c in d["candidates"] if c["quant"] == "Q8_0")
    assert 380 < q8["weights_gib"]["value"] < 420  # 405e9 weights at 8.5 bits
    assert any("smaller model" in s for s in d["suggestions"])


def test_400b_suggested_smaller_models_fit_the_device(cli, tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text(json.dumps(LLAMA_405B))
    d = plan(cli, "--device", "raspberry-pi-5-8gb", "--model", str(tmp_path / "m"))
    line = next(s for s in d["suggestions"] if s.startswith("smaller models from the catalogue that should fit"))
    for mid in line.split(": ", 1)[1].split(", "):
        r = cli("plan", "--device", "raspberry-pi-5-8gb", "--model", mid, "--json")
        assert any(c["feasible"] for c in r.json()["candidates"]), f"{mid} does not fit either"


def test_million_token_context(cli):
    d = plan(cli, "--device", "raspberry-pi-5-8gb", "--model", "llama-3.2-1b-instruct", "--context", "1000000")
    assert_nothing_feasible(d)
    assert any("--context 1000000 -> 2048" in s for s in d["suggestions"])
    assert all(any("trained maximum" in r for r in c["reasons"]) for c in d["candidates"])
    # the KV cache, not the weights, is what does not fit
    c = d["candidates"][0]
    assert c["peak_memory_gib"]["value"] > 10 * c["weights_gib"]["value"]


@pytest.mark.parametrize("flags,hint", [
    (["--min-decode-tps", "100000"], "lower --min-decode-tps"),
    (["--min-prefill-tps", "10000000"], "lower --min-prefill-tps"),
    (["--max-memory-gb", "0.001"], "a device with more memory"),
])
def test_constraints_no_candidate_meets(cli, flags, hint):
    d = plan(cli, "--device", "apple-m2-16gb", "--model", "qwen2.5-7b-instruct", *flags)
    assert_nothing_feasible(d)
    assert any(hint in s for s in d["suggestions"]), d["suggestions"]


def test_markdown_of_an_infeasible_plan_names_what_to_relax(cli):
    r = cli("plan", "--device", "raspberry-pi-5-8gb", "--model", "llama-3.2-1b-instruct", "--min-decode-tps",
            "100000", "--markdown")
    assert r.code == 0 and "## What to relax" in r.out and "lower --min-decode-tps" in r.out
