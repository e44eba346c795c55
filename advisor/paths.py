"""Where things live: the shipped knowledge and profiles, and the user's cache/data folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("ADVISOR_HOME", PACKAGE_DIR.parent))
KNOWLEDGE_DIR = ROOT / "knowledge"
PROFILES_DIR = ROOT / "profiles"
CALIBRATION_FILE = PACKAGE_DIR / "data" / "calibration.json"
MEASUREMENTS_CSV = KNOWLEDGE_DIR / "data" / "edge_llm_measurements.csv"
QUALITY_CSV = KNOWLEDGE_DIR / "data" / "quant_quality.csv"


def _xdg(var: str, default: str) -> Path | None:
    """Linux's answer without importing platformdirs (~5 ms of every start-up, with the tempfile and shutil it
    imports): $VAR when absolute, else $HOME/default, as platformdirs computes it; None where platformdirs must decide
    (another platform, a relative or missing HOME). tests/core/test_paths.py checks both agree."""
    if not sys.platform.startswith("linux"):
        return None
    if os.path.isabs(v := os.environ.get(var, "")):
        return Path(v) / "advisor"
    if os.path.isabs(home := os.environ.get("HOME", "")):
        return Path(home) / default / "advisor"
    return None


def user_cache_dir() -> Path:
    return _user_dir("ADVISOR_CACHE_DIR", "XDG_CACHE_HOME", ".cache", "user_cache_dir")


def user_data_dir() -> Path:
    return _user_dir("ADVISOR_DATA_DIR", "XDG_DATA_HOME", ".local/share", "user_data_dir")


def _user_dir(own: str, xdg: str, default: str, platformdirs_fn: str) -> Path:
    """$own when set; else Linux's folder (_xdg); else platformdirs' answer."""
    if env := os.environ.get(own):
        return Path(env)
    if fast := _xdg(xdg, default):
        return fast
    import platformdirs

    return Path(getattr(platformdirs, platformdirs_fn)("advisor"))


def measurement_store() -> Path:
    """The probe store (advisor.probe.store); here so that a plan can see there is none without importing SQLite."""
    return user_data_dir() / "measurements.sqlite"
