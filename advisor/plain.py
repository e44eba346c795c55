"""Pydantic models as JSON-ready data without building pydantic's serializers: the same result as
`model.model_dump(mode="json", by_alias=True)` for the models of `advisor.schemas`, which have no custom
serializers. Building the serializers of Plan and Candidate is ~15 ms of a cold `advisor plan` (issue 13), spent to
print one document. A model class that declares serializers (or a value this walker does not know) is handed to
pydantic, so a new model can never be printed wrongly, only more slowly; tests/core/test_plain.py checks the two
agree on every shipped profile's plans."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """`value` with every model turned into a dict keyed by alias and tuples into lists (floats stay floats, inf and
    nan included, as pydantic's python-side JSON mode leaves them)."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, BaseModel):
        return _model(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain(v) for k, v in value.items()}
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value)


def _model(m: BaseModel) -> Any:
    cls = type(m)
    dec = cls.__pydantic_decorators__
    if dec.field_serializers or dec.model_serializers or cls.model_computed_fields or m.__pydantic_extra__:
        return m.model_dump(mode="json", by_alias=True)
    out = {}
    for name, f in cls.model_fields.items():
        if f.exclude:
            continue
        out[f.serialization_alias or f.alias or name] = plain(getattr(m, name))
    return out
