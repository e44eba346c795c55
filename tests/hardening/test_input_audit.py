"""Inputs the fuzzing audit (issue 12 item 5) found uncovered: sweep list files that are not lists (a 50 MB line
became 260 MB of sweep output), profile power sections that pass every energy limit (1e-300 W, a blank source),
and the ExecuTorch and MLC options with quantizations of other backends. Each is exit 2 with one line naming the
fix, and nothing is written."""

from __future__ import annotations

import os

import pytest
import yaml

from advisor.paths import PROFILES_DIR

M = "llama-3.2-1b-instruct"
PI = "raspberry-pi-5-8gb"


def bad_input(r, *words: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert r.err.count("\n") == 1 and r.err.startswith("error: ") and "Traceback" not in r.err, r.err
    for w in words:
        assert w in r.err, r.err


# ------------------------------------------------------------------ sweep list files
@pytest.mark.parametrize("content, words", [
    ("x" * 5000 + "\n", ["line 1 is 5,000 characters", "check the file"]),
    (f"{M}\n# fine\n" + "y" * 4097, ["line 3 is 4,097 characters"]),
    (b"\xef\xbb\xbf" + b"\xff" * 10, ["UTF-8"]),
], ids=["5000-chars", "4097-chars-on-line-3", "not-utf8"])
def test_a_list_file_that_is_not_a_list_is_bad_input(cli, tmp_path, content, words):
    f = tmp_path / "models.txt"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out"
    bad_input(cli("sweep", "--models", str(f), "--devices", PI, "--out", str(out)), "--models", *words)
    assert not out.exists()


def test_a_list_file_over_16_mib_is_bad_input_without_reading_it_all(cli, tmp_path):
    f = tmp_path / "devices.txt"
    with f.open("wb") as fh:  # sparse: 64 MiB of NULs costs no disk
        fh.truncate(64 * 2**20)
    out = tmp_path / "out"
    bad_input(cli("sweep", "--models", M, "--devices", str(f), "--out", str(out)), "--devices", "over 16 MiB")
    assert not out.exists()


def test_crlf_comments_and_repeats_in_a_list_file_are_one_entry(cli, tmp_path):
    f = tmp_path / "models.lst"
    f.write_bytes((f"{M}\r\n# a comment\r\n\r\n{M}  # again\r\n" * 1000).encode())
    out = tmp_path / "out"
    r = cli("sweep", "--models", str(f), "--devices", PI, "--out", str(out), "--workers", "1")
    assert r.code == 0, r.err
    rows = (out / "sweep.csv").read_text().splitlines()[1:]
    assert rows and all(row.startswith(M + ",") for row in rows)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_list_is_never_read(cli, tmp_path):
    """A FIFO would block the sweep forever if it were opened: it is an entry (an error row), not a list."""
    fifo = tmp_path / "models.txt"
    os.mkfifo(fifo)
    r = cli("sweep", "--models", str(fifo), "--devices", PI, "--out", str(tmp_path / "out"), "--workers", "1")
    assert r.code == 0, r.err
    assert ",error," in (tmp_path / "out" / "sweep.csv").read_text()


# ------------------------------------------------------------------ power sections
def _profile(tmp_path, power) -> str:
    data = yaml.safe_load((PROFILES_DIR / f"{PI}.yaml").read_text())
    data.update(id="hostile-board", power=power)
    p = tmp_path / "board.yaml"
    p.write_text(yaml.safe_dump(data))
    return str(p)


@pytest.mark.parametrize("power, words", [
    ({"active_w": {"cpu": 1e-300}, "sources": ["https://example.org"]}, ["power.active_w.cpu", "0.1"]),
    ({"active_w": {"cpu": 0.01}, "sources": ["https://example.org"]}, ["power.active_w.cpu"]),
    ({"active_w": {"cpu": 5.0}, "sources": [""]}, ["power.sources.0"]),
    ({"active_w": {"cpu": 5.0}, "sources": ["   "]}, ["power.sources.0"]),
    ({"active_w": {"cpu": 5.0}, "sources": "https://example.org"}, ["power.sources"]),
    ({"active_w": {"cpu": float("nan")}, "sources": ["https://example.org"]}, ["power.active_w.cpu"]),
])
def test_power_that_would_pass_every_energy_limit_is_bad_input(cli, tmp_path, power, words):
    bad_input(cli("plan", "-d", _profile(tmp_path, power), "-m", M, "--max-energy-j", "10"), *words)


# ------------------------------------------------------------------ ExecuTorch and MLC options
@pytest.mark.parametrize("backend, quant, choices", [
    ("executorch", "Q4_K_M", "8da4w"),
    ("executorch", "", "8da4w"),
    ("executorch", "int4", "8da4w"),
    ("executorch", "8da4w\u200b", "8da4w"),      # a zero-width space pasted along
    ("mlc", "Q4_0", "q4f16_1"),
    ("mlc", "q4f16_1x", "q4f16_1"),
    ("mlc", "x" * 5000, "q4f16_1"),
])
def test_predict_with_another_backends_quant_names_the_choices(cli, backend, quant, choices):
    bad_input(cli("predict", "-d", PI, "-m", M, "--backend", backend, "--quant", quant), f"backend {backend}",
              choices)


@pytest.mark.parametrize("backend, quant, words", [
    ("executorch", "Q4_K_M", ["executorch probes cannot make", "8DA4W"]),
    ("executorch", "", ["executorch probes cannot make"]),
    ("mlc", "q4f16_1", ["backend 'mlc' has no probe on this machine"]),
])
def test_probe_of_executorch_or_mlc_with_an_odd_quant_is_bad_input(cli, tmp_path, monkeypatch, backend, quant, words):
    monkeypatch.chdir(tmp_path)
    bad_input(cli("probe", "--backend", backend, "--quant", quant), *words)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("flags, words", [
    (["--backend", "mlc", "--quant", "q4f16_1", "--compute", "npu"], ["ruled out", "MLC"]),
    (["--backend", "executorch", "--quant", "8da4w", "--compute", "gpu"], ["ruled out", "executorch"]),
])
def test_predict_of_executorch_or_mlc_on_a_unit_the_pi_lacks_is_not_feasible(cli, flags, words):
    r = cli("predict", "-d", PI, "-m", M, *flags, "--json")
    assert r.code == 0, r.err
    d = r.json()
    assert d["feasible"] is False and any(all(w in v for w in words) for v in d["violations"]), d["violations"]
