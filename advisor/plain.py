"""Records as JSON-ready data without pydantic: the same result as `record.model_dump(mode="json", by_alias=True)`
for the records of the advisor (advisor/record.py), which declare no serializers. A plan prints one document; building
pydantic's serializers for it (and importing pydantic) would be most of a cold `advisor plan` (issue 13). A value this
walker does not know is handed to pydantic, so nothing is ever printed wrongly, only more slowly;
tests/core/test_plain.py checks the two agree on every shipped profile's plans."""

from __future__ import annotations

from typing import Any

from .record import Record

_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """`value` with every record turned into a dict keyed by alias and tuples into lists (floats stay floats, inf and
    nan included, as pydantic's python-side JSON mode leaves them)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Record):
        return {f.alias or name: plain(getattr(value, name)) for name, f in type(value).__record_fields__.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(v) for k, v in value.items()}
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value)
