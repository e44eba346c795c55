"""Paths no file can have, given to every option that takes one (issue 12 item 5): a NUL byte (a caller of main()
can pass one; it used to be `unexpected ValueError: embedded null byte`, exit 1, from --html, --emit-scripts,
sweep --out and probe -m) and `--html -` (it wrote a file named "-" into the current folder). Each is exit 2 with
one line naming the fix, and nothing is written."""

from __future__ import annotations

import pytest

D = ["-d", "raspberry-pi-5-8gb"]
M = ["-m", "llama-3.2-1b-instruct"]
NUL = "a\x00b"


@pytest.mark.parametrize("argv", [
    ["plan", *D, *M, "--html", NUL + ".html"],
    ["plan", *D, *M, "--emit-scripts", NUL],
    ["plan", *D, "-m", NUL + ".gguf"],
    ["plan", "-d", NUL + ".yaml", *M],
    ["compare", *M, *D, "--html", NUL + ".html"],
    ["sweep", "--models", "llama-3.2-1b-instruct", "--devices", "raspberry-pi-5-8gb", "--out", NUL],
    ["sweep", "--models", "@" + NUL, "--devices", "raspberry-pi-5-8gb", "--out", "out"],
    ["probe", "--backend", "llamacpp", "--quant", "Q8_0", "-m", "/x/" + NUL],
    ["claims", *D, "--model", "/x/" + NUL],
    ["devices", "show", NUL],
], ids=lambda a: f"{a[0]}-{next(x for x in a if NUL in x)[:12]!r}")
def test_a_nul_byte_in_a_path_is_one_line_exit_2(cli, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    r = cli(*argv)
    assert r.code == 2 and r.err.count("\n") == 1 and r.err.startswith("error: "), (r.code, r.err)
    assert "NUL" in r.err or "not found" in r.err or "unknown" in r.err, r.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cmd", [["plan", *D, *M], ["compare", *M, *D]])
def test_html_dash_is_not_a_file_named_dash(cli, tmp_path, monkeypatch, cmd):
    monkeypatch.chdir(tmp_path)
    r = cli(*cmd, "--html", "-")
    assert r.code == 2 and r.err.count("\n") == 1 and "give a file name such as report.html" in r.err, r.err
    assert r.out == "" and list(tmp_path.iterdir()) == []
