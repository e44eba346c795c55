"""Output files on a really full disk (a small tmpfs): `plan --emit-scripts` and write_text_atomic fail with one
line, leave no temp file or half folder, and never damage what was there before. (tests/emit covers the same
all-or-nothing contract with an injected error and --force on a healthy disk.)"""

from __future__ import annotations

import os

import pytest
from hardening_helpers import fill

from advisor.atomic import write_text_atomic

ARGV = ["plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct"]


def test_emit_scripts_on_a_full_disk_writes_nothing(cli, tmpfs):
    fs = tmpfs("128k")  # a plan's folders need ~400 KB
    r = cli(*ARGV, "--emit-scripts", str(fs / "out"))
    assert r.code == 1, r.err
    assert r.err.count("\n") == 1 and "No space left on device" in r.err and "nothing was written" in r.err, r.err
    assert list(fs.iterdir()) == []
    assert os.statvfs(fs).f_bfree == os.statvfs(fs).f_blocks  # every block given back


def test_emit_scripts_force_on_a_full_disk_keeps_the_old_folder(cli, tmpfs):
    fs = tmpfs("256k")
    old = fs / "out"
    old.mkdir()
    (old / "mine.txt").write_text("keep")  # a folder an earlier emit wrote (its marker lists mine.txt)
    (old / ".advisor-scripts.json").write_text('{"files": ["mine.txt"]}')
    fill(fs)
    r = cli(*ARGV, "--emit-scripts", str(old), "--force")
    assert r.code == 1 and "No space left on device" in r.err, r.err
    assert sorted(p.name for p in fs.iterdir()) == ["filler", "out"]
    assert sorted(p.name for p in old.iterdir()) == [".advisor-scripts.json", "mine.txt"] and (old / "mine.txt").read_text() == "keep"


def test_write_text_atomic_on_a_full_disk(tmpfs):
    fs = tmpfs("64k")
    f = fs / "plan.md"
    write_text_atomic(f, "old\n")
    fill(fs)
    with pytest.raises(OSError) as e:
        write_text_atomic(f, "new " * 50_000)
    assert e.value.errno == 28
    assert f.read_text() == "old\n"
    assert sorted(p.name for p in fs.iterdir()) == ["filler", "plan.md"]  # no .plan.md.*.tmp left
