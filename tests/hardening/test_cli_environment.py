"""The CLI's environment (issue 12, item 4): an ASCII-only encoding, a closed stdout, a reader that stops early, the
debug switch and the terminal width. Each ends with the contract's exit code and at most one line on stderr;
none shows a traceback. Real subprocesses: these are properties of the process, not of a function."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hardening_helpers import ROOT
from guards import HANG_S

PLAN = ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct"]


def run_shell(cmd: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `cmd` in bash with `advisor` meaning this checkout's `python -m advisor`."""
    e = {k: v for k, v in os.environ.items() if k != "ADVISOR_DEBUG"}
    e.update({"HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT), **(env or {})})
    script = f'advisor() {{ "{sys.executable}" -m advisor "$@"; }}\nset -o pipefail\n{cmd}'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=e, cwd=ROOT, timeout=HANG_S)


@pytest.mark.parametrize("flags", [[], ["--markdown"], ["--json"]])
def test_an_ascii_only_encoding_prints_the_plan(flags):
    p = run_shell(" ".join(["advisor", *PLAN, *flags]), env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    assert p.returncode == 0 and p.stderr == "", p.stderr[-600:]
    assert "llamacpp" in p.stdout


def test_a_closed_stdout_is_one_line_and_exit_2():
    p = run_shell(" ".join(["advisor", *PLAN, "--json"]) + " >&-")
    assert p.returncode == 2, p.stderr[-600:]
    assert p.stderr.count("\n") == 1 and "stdout is closed" in p.stderr


@pytest.mark.parametrize("flags", [[], ["--json"], ["--markdown"], ["--all"]])
def test_a_reader_that_stops_early_is_not_an_error(flags):
    p = run_shell(" ".join(["advisor", *PLAN, *flags]) + " | head -c 1 >/dev/null")
    assert p.returncode == 0 and p.stderr == "", (p.returncode, p.stderr[-600:])


@pytest.mark.parametrize("value,traceback", [("0", False), ("", False), ("false", False), ("1", True)])
def test_debug_shows_a_traceback_but_never_changes_the_exit_code(value, traceback):
    p = run_shell("advisor plan -d no-such-board -m llama-3.2-1b-instruct", env={"ADVISOR_DEBUG": value})
    assert p.returncode == 2, p.stderr[-600:]
    assert ("Traceback" in p.stderr) is traceback
    assert p.stderr.strip().splitlines()[-1].startswith("error: unknown device")


@pytest.mark.parametrize("columns", ["0", "-5", "abc", "3"])
def test_a_nonsense_terminal_width_still_prints_the_plan(columns):
    p = run_shell(" ".join(["advisor", *PLAN]), env={"COLUMNS": columns})
    assert p.returncode == 0 and p.stderr == "", p.stderr[-600:]
    assert "llamacpp" in p.stdout and "Q4" in p.stdout
