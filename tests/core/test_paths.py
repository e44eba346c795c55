"""advisor.paths answers Linux's cache and data folders without importing platformdirs (start-up, issue 13): the
answer must be platformdirs' own for every setting of HOME and the XDG variables, and platformdirs decides where
the shortcut cannot."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from advisor import paths

CASES = [
    {"HOME": "/home/ann"},
    {"HOME": "/home/ann", "XDG_CACHE_HOME": "/var/tmp/c", "XDG_DATA_HOME": "/var/tmp/d"},
    {"HOME": "/home/ann", "XDG_CACHE_HOME": "relative/c", "XDG_DATA_HOME": ""},  # not absolute: ignored
    {"HOME": "/home/ann/", "XDG_CACHE_HOME": "/c/", "XDG_DATA_HOME": "/d"},
]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the shortcut is Linux's only")
@pytest.mark.parametrize("env", CASES)
def test_the_linux_shortcut_is_platformdirs_answer(monkeypatch, env):
    for var in ("HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "ADVISOR_CACHE_DIR", "ADVISOR_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert paths.user_cache_dir() == Path(platformdirs.user_cache_dir("advisor"))
    assert paths.user_data_dir() == Path(platformdirs.user_data_dir("advisor"))
    assert paths.measurement_store() == Path(platformdirs.user_data_dir("advisor")) / "measurements.sqlite"


def test_the_advisor_variables_come_first_and_a_relative_home_goes_to_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "d"))
    assert (paths.user_cache_dir(), paths.user_data_dir()) == (tmp_path / "c", tmp_path / "d")
    monkeypatch.setenv("HOME", "not/absolute")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert paths._xdg("XDG_CACHE_HOME", ".cache") is None
