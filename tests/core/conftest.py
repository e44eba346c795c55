"""Shared fixtures of the core tests: the knowledge base and the device profiles, loaded once."""

from __future__ import annotations

import pytest

from advisor.knowledge import load_knowledge
from advisor.resolve import load_profiles


@pytest.fixture(scope="session")
def kb():
    return load_knowledge()


@pytest.fixture(scope="session")
def profs():
    return load_profiles()
