"""Hostile input to the energy and workload options and to `power:` sections (issue 14; issue 12 item 5): one
line naming the fix, exit 2, never a traceback."""

from __future__ import annotations

import math

import pytest
import yaml

from advisor.paths import PROFILES_DIR

DEV, MODEL = "galaxy-s25-ultra", "llama-3.2-1b-instruct"


def bad_input(r, *words: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert r.err.count("\n") == 1 and r.err.startswith("error: "), r.err
    assert "Traceback" not in r.err
    for w in words:
        assert w in r.err, r.err


@pytest.mark.parametrize("argv,words", [
    (["--workload", "novel"], ["--workload", "chat"]),
    (["--workload", ""], ["--workload"]),
    (["--workload", "../../etc/passwd"], ["--workload"]),
    (["--workload", "x" * 5000], ["--workload"]),
    (["--max-ttft-s", "0"], ["max-ttft-s"]),
    (["--max-ttft-s", "-1"], ["max-ttft-s"]),
    (["--max-ttft-s", "nan"], ["max-ttft-s"]),
    (["--max-ttft-s", "inf"], ["max-ttft-s"]),
    (["--max-ttft-s", "1e400"], ["max-ttft-s"]),
    (["--max-ttft-s", "fast"], ["max-ttft-s"]),
    (["--max-energy-j", "-5"], ["max-energy-j"]),
    (["--max-energy-j", "nan"], ["max-energy-j"]),
    (["--max-energy-j", "1e12"], ["max-energy-j"]),
    (["--priority", "joules"], ["priority"]),
    (["--workload", "rag", "--context", "1024"], ["--context"]),   # a preset that does not fit the context
])
def test_bad_energy_and_workload_options(cli, argv, words):
    bad_input(cli("plan", "-d", DEV, "-m", MODEL, *argv), *words)


def test_predict_rejects_an_unknown_workload(cli):
    bad_input(cli("predict", "-d", DEV, "-m", MODEL, "--backend", "llamacpp", "--quant", "Q4_0",
                  "--workload", "essay"), "--workload")


def _profile(tmp_path, power) -> str:
    data = yaml.safe_load((PROFILES_DIR / "raspberry-pi-5-8gb.yaml").read_text())
    data["id"] = "hostile-board"
    data["power"] = power
    p = tmp_path / "board.yaml"
    p.write_text(yaml.safe_dump(data))
    return str(p)


@pytest.mark.parametrize("power,words", [
    ({"active_w": {"cpu": 5.0}}, ["sources"]),                                   # a number without its source
    ({"active_w": {"cpu": -5.0}, "sources": ["https://example.org"]}, ["active_w"]),
    ({"active_w": {"cpu": True}, "sources": ["https://example.org"]}, ["active_w"]),
    ({"active_w": {"cpu": "lots"}, "sources": ["https://example.org"]}, ["active_w"]),
    ({"active_w": {"tpu": 3.0}, "sources": ["https://example.org"]}, ["active_w"]),
    ({"active_w": {"cpu": 1e9}, "sources": ["https://example.org"]}, ["active_w"]),
    ({"battery_wh": 0, "sources": ["https://example.org"]}, ["battery_wh"]),
    ({"battery_wh": math.inf, "sources": ["https://example.org"]}, ["battery_wh"]),
    ({"sustained": 1.5, "sources": ["https://example.org"]}, ["sustained"]),
    ({"sustained": {"cpu": 0}, "sources": ["https://example.org"]}, ["sustained"]),
    ({"watts": 5, "sources": ["https://example.org"]}, ["watts"]),
    ("lots", ["power"]),
])
def test_hostile_power_sections_are_bad_input(cli, tmp_path, power, words):
    bad_input(cli("plan", "-d", _profile(tmp_path, power), "-m", MODEL), *words)


def test_a_sourced_power_section_in_a_user_profile_is_used(cli, tmp_path):
    r = cli("plan", "-d", _profile(tmp_path, {"active_w": {"cpu": 5.0}, "battery_wh": 10.0,
                                              "sources": ["https://example.org/measured"]}),
            "-m", MODEL, "--workload", "chat", "--json")
    assert r.code == 0, r.err
    best = r.json()["candidates"][0]
    assert best["power_w"]["evidence"] == "engine" and best["battery_pct_per_100_answers"] is not None
