"""Fixtures for the generated-script tests (helpers live in emit_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from emit_helpers import HOSTILE, build_tiny_llama, has


@pytest.fixture(scope="session")
def tiny_llama(tmp_path_factory) -> Path:
    """A tiny HF Llama folder at a hostile path (spaces, quotes, $(...), backticks, semicolons)."""
    if not has("torch", "transformers", "tokenizers"):
        pytest.skip("torch/transformers/tokenizers are not importable here (pip install 'advisor[convert]')")
    root = tmp_path_factory.mktemp("models")
    return build_tiny_llama(root / HOSTILE)
