"""Hostile input to `advisor sweep` and `probe --aihub-device` (issue 12 item 5 for the inputs issue 16 added): every
bad value is exit 2 with one line naming the fix, nothing is written; a selector that cannot be resolved inside a
list becomes an error row, never a traceback."""

from __future__ import annotations

import csv

import pytest

LONG = "x" * 300
OK = ["--models", "qwen2.5-0.5b-instruct", "--devices", "raspberry-pi-5-8gb"]


def bad_input(r, *words: str) -> None:
    assert r.code == 2, (r.code, r.err)
    assert r.err.count("\n") == 1 and r.err.startswith("error: "), r.err
    for w in words:
        assert w in r.err, r.err


@pytest.mark.parametrize("argv, word", [
    (["--models", " , "], "--models is empty"),
    (["--devices", ""], "--devices is empty"),
    (["--backends", "llamacpp,\x00"], "--backends"),
    (["--quants", LONG], "--quants"),
    (["--probe", "--ray", "local host"], "--ray"),
    (["--probe", "--ray", LONG + LONG], "--ray"),
    (["--probe", "--ray", "127.0.0.1:1"], "nothing answers there"),
    (["--probe", "--ray", "ray://127.0.0.1:notaport"], "--ray"),
    (["--aihub-device", "Samsung Galaxy S24"], "--aihub-device only applies with --probe"),
    (["--probe", "--aihub-device", " "], "--aihub-device"),
    (["--workers", "0"], "--workers"),
    (["--context", "-5"], "--context"),
])
def test_bad_values_are_one_line_exit_2(cli, tmp_path, argv, word):
    flags = {a for a in argv if a.startswith("--")}
    base = [x for i in range(0, len(OK), 2) if OK[i] not in flags for x in OK[i:i + 2]]
    out = tmp_path / "out"
    bad_input(cli("sweep", *base, *argv, "--out", str(out)), word)
    assert not out.exists()


def test_a_binary_or_empty_list_file_is_bad_input(cli, tmp_path):
    binary = tmp_path / "models.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81" * 50)
    bad_input(cli("sweep", "--models", str(binary), "--devices", "raspberry-pi-5-8gb", "--out", str(tmp_path / "o")),
              "--models", "UTF-8")
    empty = tmp_path / "devices.txt"
    empty.write_text("# nothing here\n\n")
    bad_input(cli("sweep", "--models", "qwen2.5-0.5b-instruct", "--devices", str(empty), "--out",
                  str(tmp_path / "o")), "lists nothing")


def test_unresolvable_entries_become_rows_not_tracebacks(cli, tmp_path):
    out = tmp_path / "out"
    weird = ["../../etc/passwd", f"/tmp/{LONG}", "class:", "\u202e-rtl", "a" * 5000]
    r = cli("sweep", "--models", "qwen2.5-0.5b-instruct", "--models", "org/" + LONG, "--devices",
            "raspberry-pi-5-8gb", *[a for w in weird for a in ("--devices", w)], "--out", str(out), "--workers", "1")
    assert r.code == 0, r.err
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    errors = [x for x in rows if x["status"] == "error"]
    assert len(errors) == len(weird) + 1 and all(x["reason"] for x in errors)
    assert any(x["status"] == "ok" for x in rows)


def test_out_under_a_file_is_bad_input(cli, tmp_path):
    f = tmp_path / "plain-file"
    f.write_text("keep me")
    bad_input(cli("sweep", *OK, "--out", str(f / "s")), "--out", "writable")
    assert f.read_text() == "keep me"


@pytest.mark.parametrize("name", ["", " ", "x" * 5000])
def test_probe_aihub_device_names_are_checked_before_anything(cli, name):
    bad_input(cli("probe", "--backend", "qnn", "--quant", "w8a16", "--aihub-device", name), "--aihub-device")
