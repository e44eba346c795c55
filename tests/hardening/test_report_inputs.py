"""Hostile input to the commands and options issue 15 added (`compare`, `claims`, `plan --html`): each is exit 2 with
one line that names the fix, and nothing half-written is left behind."""

from __future__ import annotations

import os

import pytest
from hardening_helpers import fill

LONG = "x" * 300
M1B = "llama-3.2-1b-instruct"


@pytest.mark.parametrize("argv,words", [
    (["compare", "-m", "llama-3.2-1b-instruct"], ["--device"]),
    (["compare", "-m", "llama-3.2-1b-instruct", "--devices", "class:toaster"], ["class", "apple_silicon"]),
    (["compare", "-m", "llama-3.2-1b-instruct", "--devices", ",,"], ["--device"]),
    (["compare", "-m", "llama-3.2-1b-instruct", "-d", "no-such-board"], ["no-such-board"]),
    (["compare", "-m", "no-such-model", "-d", "raspberry-pi-5-8gb"], ["no-such-model"]),
    (["compare", "-m", "llama-3.2-1b-instruct", "-d", "raspberry-pi-5-8gb", "--json", "--markdown"], ["--json"]),
    (["claims", "-d", "raspberry-pi-5-8gb", "--model", "no-such-model"], ["no-such-model"]),
    (["claims", "-d", "raspberry-pi-5-8gb", "--context", "0"], ["--context"]),
    (["claims", "-d", "no-such-board"], ["no-such-board"]),
    (["claims", "-d", "raspberry-pi-5-8gb", "--json", "--markdown"], ["--json"]),
    (["claims", "-d", "raspberry-pi-5-8gb", "--model", f"/tmp/{LONG}"], ["too long"]),
    (["compare", "-m", M1B, "--devices", LONG], [LONG[:20]]),
    (["compare", "-m", M1B, "--devices", ",".join(f"d{i}" for i in range(65))], ["at most 64"]),
    (["compare", "-m", M1B, "--devices", "class:"], ["class"]),
    (["compare", "-m", M1B, "-d", "raspberry-pi-5-8gb", "--context", "-5"], ["--context"]),
    (["plan", "-d", "raspberry-pi-5-8gb", "-m", M1B, "--html", f"/tmp/{LONG}.html"], ["--html"]),
    (["plan", "-d", "raspberry-pi-5-8gb", "-m", M1B, "--html", "/proc/version/x.html"], ["--html"]),
])
def test_bad_input_is_one_line_exit_2(cli, argv, words):
    r = cli(*argv)
    assert r.code == 2, (r.code, r.err)
    assert r.err.count("\n") == 1 and r.err.startswith("error: "), r.err
    for w in words:
        assert w in r.err, r.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_html_into_a_read_only_folder_is_bad_input(cli, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        r = cli("plan", "-d", "raspberry-pi-5-8gb", "-m", M1B, "--html", str(ro / "p.html"))
        assert r.code == 2 and "--html" in r.err and r.err.count("\n") == 1, r.err
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o700)


def test_html_on_a_full_disk_leaves_nothing(cli, tmpfs):
    fs = tmpfs("1m")
    out = fs / "p.html"
    fill(fs)
    r = cli("plan", "-d", "raspberry-pi-5-8gb", "-m", M1B, "--html", str(out))
    assert r.code == 2 and "--html" in r.err and r.err.count("\n") == 1, r.err
    assert not out.exists() and [p.name for p in fs.iterdir()] == ["filler"]
