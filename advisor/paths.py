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
    if env := os.environ.get("ADVISOR_CACHE_DIR"):
        return Path(env)
    if fast := _xdg("XDG_CACHE_HOME", ".cache"):
        return fast
    from platformdirs import user_cache_dir as _ucd

    return Path(_ucd("advisor"))


def user_data_dir() -> Path:
    if env := os.environ.get("ADVISOR_DATA_DIR"):
        return Path(env)
    if fast := _xdg("XDG_DATA_HOME", ".local/share"):
        return fast
    from platformdirs import user_data_dir as _udd

    return Path(_udd("advisor"))


def measurement_store() -> Path:
    """The probe store (advisor.probe.store); here so that a plan can see there is none without importing SQLite."""
    return user_data_dir() / "measurements.sqlite"
