"""knowledge/data/measurement_map.yaml through the command that reads it (`advisor calibrate`, on a knowledge folder
given by ADVISOR_HOME): a hostile map is exit 2 with one line naming the file, before any fitting, and
`--rebuild` leaves the shipped calibration.json untouched (test_typed_files.py checks the validator itself)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hardening_helpers import ROOT

from advisor import paths
from guards import HANG_S

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))


def home_with_map(tmp_path, text: str):
    home = tmp_path / "home"
    data = home / "knowledge" / "data"
    data.mkdir(parents=True)
    (home / "profiles").symlink_to(ROOT / "profiles", target_is_directory=True)
    for f in (ROOT / "knowledge").iterdir():
        if f.name != "data":
            (home / "knowledge" / f.name).symlink_to(f)
    for f in (ROOT / "knowledge" / "data").iterdir():
        if f.name != "measurement_map.yaml":
            (data / f.name).symlink_to(f)
    (data / "measurement_map.yaml").write_text(text, encoding="utf-8")
    return home


@pytest.mark.parametrize("text, words", [
    ("surprise: 1\n", ["quants"]),
    ("[]\n", ["measurement_map.yaml"]),
    ("!!python/object/apply:os.system ['touch pwned']\n", ["measurement_map.yaml"]),
    (BOMB, ["measurement_map.yaml"]),
    ("quants: [\n", ["measurement_map.yaml"]),
], ids=["unknown-key", "a-list", "python-tag", "alias-bomb", "truncated"])
@pytest.mark.parametrize("flag", ["--check", "--rebuild"])
def test_a_hostile_measurement_map_is_one_line_exit_2(tmp_path, text, words, flag):
    shipped = paths.CALIBRATION_FILE.read_bytes()
    env = {k: v for k, v in os.environ.items() if k != "ADVISOR_DEBUG"}
    env.update(ADVISOR_HOME=str(home_with_map(tmp_path, text)), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    p = subprocess.run([sys.executable, "-m", "advisor", "calibrate", flag], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=HANG_S)
    assert p.returncode == 2 and "Traceback" not in p.stderr and p.stderr.count("\n") == 1, p.stderr[-800:]
    assert all(w in p.stderr for w in words), p.stderr
    assert paths.CALIBRATION_FILE.read_bytes() == shipped and not (tmp_path / "pwned").exists()
