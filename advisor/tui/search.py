"""Fuzzy filtering for the device and model lists (Textual's own matcher, the one its command palette uses)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from textual.fuzzy import Matcher

T = TypeVar("T")


def fuzzy_filter(items: Iterable[T], query: str, text: Callable[[T], str], key: Callable[[T], str]) -> list[T]:
    """Items whose `text` fuzzily matches every word of `query`, best first (ties by `key`); all items, by `key`,
    when the query is blank."""
    matchers = [Matcher(word) for word in query.split()]
    if not matchers:
        return sorted(items, key=key)
    scored = []
    for item in items:
        hay = text(item)
        scores = [m.match(hay) for m in matchers]
        if all(scores):
            scored.append((sum(scores), item))
    return [item for _, item in sorted(scored, key=lambda s: (-s[0], key(s[1])))]
