"""Where things live: the shipped knowledge and profiles, and the user's cache/data folders."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("ADVISOR_HOME", PACKAGE_DIR.parent))
KNOWLEDGE_DIR = ROOT / "knowledge"
PROFILES_DIR = ROOT / "profiles"
CALIBRATION_FILE = PACKAGE_DIR / "data" / "calibration.json"
MEASUREMENTS_CSV = KNOWLEDGE_DIR / "data" / "edge_llm_measurements.csv"
QUALITY_CSV = KNOWLEDGE_DIR / "data" / "quant_quality.csv"


def user_cache_dir() -> Path:
    from platformdirs import user_cache_dir as _ucd

    return Path(os.environ.get("ADVISOR_CACHE_DIR") or _ucd("advisor"))


def user_data_dir() -> Path:
    from platformdirs import user_data_dir as _udd

    return Path(os.environ.get("ADVISOR_DATA_DIR") or _udd("advisor"))
