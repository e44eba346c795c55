"""The exact checker of records (advisor/record.py): validates input without pydantic, and vouches only for what it can
see pydantic would return unchanged - exact types (int -> float as pydantic converts it), the bounds and patterns of
`Field`, before-validators that hand their input back, the class's own after-validators. Anything else raises `_Bail`
inside and `fast_record` answers MISSING: pydantic then decides, and words any error. Each class's checks are
compiled into one closure per field on its first check (an Estimate checks in ~7 us)."""

from __future__ import annotations

import re
import types
import typing
from typing import Any

from .record import MISSING, BeforeValidator, FieldSpec, Record, _Deferred, hints, new

_CONSTRAINTS = {"gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "strict"}
_INFORMATIVE = {"default", "default_factory", "alias", "description", "title", "examples", "json_schema_extra"}


class _Bail(Exception):
    """The checker cannot vouch for this input: pydantic decides."""


def fast_record(cls: type, data: dict):
    """A record of `data` when the checker can vouch for it, else MISSING."""
    try:
        return _check_record(cls, data)
    except _Bail:
        return MISSING


def _bail(value: Any = None) -> Any:
    raise _Bail


class _Plan:
    """How to check one record class, compiled on its first check."""

    __slots__ = ("by_key", "fields", "field_validators", "model_validators")

    def __init__(self, cls: Any):
        annotations = hints(cls)
        checks = {name: _field_checker(annotations[name], f.raw if isinstance(f.raw, FieldSpec) else None)
                  for name, f in cls.__record_fields__.items()}
        self.by_key = {key: (f.name, checks[f.name]) for key, f in cls.__record_by_key__.items()}
        self.fields = cls.__record_fields__
        self.field_validators: list[tuple[_Deferred, tuple]] = []
        self.model_validators: list[_Deferred] = []
        vouch = cls.model_config.get("extra", "forbid") == "forbid"
        for v in cls.__record_validators__.values():
            if v.kwargs.get("mode", "after") != "after" or (
                    v.kind == "field_validator" and (v.args == ("*",) or set(v.args) - set(self.fields))):
                vouch = False
            elif v.kind == "field_validator":
                self.field_validators.append((v, v.args))
            else:
                self.model_validators.append(v)
        if not vouch:
            self.by_key = {}  # nothing is vouched for: pydantic checks every input of this class


def _check_record(cls: Any, data: dict):
    plan = cls.__dict__.get("__record_plan__")
    if plan is None:
        plan = _Plan(cls)
        type.__setattr__(cls, "__record_plan__", plan)
    by_key = plan.by_key
    d: dict = {}
    for key, value in data.items():
        try:
            name, check = by_key[key]
        except (KeyError, TypeError):
            raise _Bail from None  # unknown key (or a class left to pydantic)
        if name in d:
            raise _Bail  # a field given twice (name and alias)
        d[name] = check(value)
    if len(d) != len(plan.fields):
        for name, f in plan.fields.items():
            if name not in d:
                v = f.default_value()
                if v is MISSING:
                    raise _Bail  # required: pydantic says so
                d[name] = v
    for v, names in plan.field_validators:
        for name in names:
            d[name] = _call(v, cls, d[name])
    obj = new(cls, d)
    for v in plan.model_validators:
        if _call(v, obj) is not obj:
            raise _Bail
    return obj


def _call(v: _Deferred, *args):
    try:
        return v.call(*args)
    except Exception:  # noqa: BLE001 - a validator's complaint is pydantic's to word
        raise _Bail from None


def _field_checker(tp: Any, spec: FieldSpec | None):
    check = _checker(tp)
    if spec is None:
        return check
    return _bounded(check, spec.kwargs)


def _checker(tp: Any):
    """A function that returns `value` as pydantic would validate it against `tp`, or raises _Bail."""
    if tp is Any:
        return _bail
    if isinstance(tp, type):
        if issubclass(tp, Record):
            def record(v, tp=tp):
                if isinstance(v, tp):
                    return v
                if type(v) is dict:
                    return _check_record(tp, v)
                raise _Bail
            return record
        if tp is float:
            def real(v):
                t = type(v)
                if t is float:
                    return v
                if t is int:
                    return float(v)
                raise _Bail
            return real
        if tp in (int, str, bool):
            def exact(v, tp=tp):
                if type(v) is tp:
                    return v
                raise _Bail
            return exact
        if tp is type(None):
            def none(v):
                if v is None:
                    return None
                raise _Bail
            return none
        return _bail
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _annotated(_checker(args[0]), args[1:])
    if origin is typing.Literal:
        allowed = tuple((type(a), a) for a in args)

        def literal(v):
            for t, a in allowed:
                if type(v) is t and v == a:
                    return v
            raise _Bail
        return literal
    if origin in (typing.Union, types.UnionType):
        arms = [_checker(a) for a in args if a is not type(None)]
        optional = type(None) in args

        def union(v):
            if v is None and optional:
                return None
            hits = []
            for arm in arms:
                try:
                    hits.append(arm(v))
                except _Bail:
                    continue
            if len(hits) != 1:
                raise _Bail  # none, or several readings: pydantic's union rules decide
            return hits[0]
        return union
    if origin is list and len(args) == 1:
        item = _checker(args[0])

        def items(v):
            if type(v) is not list:
                raise _Bail
            return [item(x) for x in v]
        return items
    if origin is dict and len(args) == 2:
        key, val = _checker(args[0]), _checker(args[1])

        def mapping(v):
            if type(v) is not dict:
                raise _Bail
            return {key(k): val(x) for k, x in v.items()}
        return mapping
    return _bail


def _annotated(base, metadata: tuple):
    befores = [m.func for m in metadata if isinstance(m, BeforeValidator)]
    if any(not isinstance(m, (BeforeValidator, FieldSpec)) for m in metadata):
        return _bail
    check = base
    for m in metadata:
        if isinstance(m, FieldSpec):
            check = _bounded(check, m.kwargs)

    def annotated(v):
        for func in befores:
            if _before(func, v) is not v:
                raise _Bail  # it changed the input: pydantic applies it
        return check(v)
    return annotated


def _before(func, value: Any) -> Any:
    try:
        return func(value)
    except Exception:  # noqa: BLE001 - its complaint is pydantic's to word
        raise _Bail from None


def _bounded(check, kw: dict):
    """`check`, then the bounds of a Field (which bind the non-None arm of an optional)."""
    rules = [(k, v) for k, v in kw.items() if k not in _INFORMATIVE]
    if any(k not in _CONSTRAINTS for k, _ in rules):
        return _bail
    if not rules:
        return check

    def bounded(raw):
        value = check(raw)
        if value is None:
            return None
        for key, limit in rules:
            if key == "strict":
                if limit and type(value) is not type(raw):
                    raise _Bail  # a strict field takes no conversion (int -> float): pydantic decides
                continue
            if key in ("gt", "ge", "lt", "le"):
                if type(value) not in (int, float) or value != value:
                    raise _Bail
                ok = (value > limit if key == "gt" else value >= limit if key == "ge" else
                      value < limit if key == "lt" else value <= limit)
            elif key in ("min_length", "max_length"):
                if type(value) not in (str, list, dict):
                    raise _Bail
                ok = len(value) >= limit if key == "min_length" else len(value) <= limit
            else:  # pattern: Python's re and pydantic's (Rust) regex agree on one-line strings of these patterns
                if type(value) is not str or "\n" in value or "\r" in value:
                    raise _Bail
                ok = re.search(limit, value) is not None
            if not ok:
                raise _Bail
        return value
    return bounded
