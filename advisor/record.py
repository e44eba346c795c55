"""Frozen, validated records without importing pydantic on the way: the base of every model of the advisor.

A record class is declared like a pydantic model (annotations, `Field(...)`, `field_validator`, `model_validator`,
`BeforeValidator`, `model_config`) and behaves like a frozen pydantic model with `extra="forbid"`:
`Cls(**data)`, `Cls.model_validate(data)`, `model_construct`, `model_copy`, `model_dump`, `model_fields`,
`model_json_schema`, equality, hashing and pickling.

Why not pydantic models themselves: importing pydantic and building ~50 model classes is about half of a cold
`advisor plan` (~100 ms of ~200 ms here, issue 13), and a plan only reads knowledge that was validated when its
snapshot was taken (advisor/snapshot.py) and builds a few small results (estimates, constraints). So:

- attribute access, pickling and copying are plain Python: a record is an object whose `__dict__` holds its fields;
- validation tries a small exact checker first (`_fast_record`, compiled per class on first use): it accepts input only when it can see that pydantic would
  return the very same values (exact types, the `Field` bounds and patterns, before-validators that hand their input
  back, the class's own after-validators), and hands everything else to pydantic;
- pydantic is imported the first time a record needs it (input the checker leaves alone, every validation error,
  a dump or a JSON schema): a pydantic "twin" class is built from the record's own declaration, validates, and its
  result becomes a record. Errors are pydantic's own, under the record's class name.

tests/core/test_record.py checks the checker against pydantic on every shipped profile, knowledge file and plan, and on
generated input; tests/core/test_startup.py checks that a plan imports no pydantic.
"""

from __future__ import annotations

import copy
import re
import sys
import types
import typing
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError

_MISSING: Any = object()
_CONSTRAINTS = {"gt", "ge", "lt", "le", "min_length", "max_length", "pattern", "strict"}
_INFORMATIVE = {"default", "default_factory", "alias", "description", "title", "examples", "json_schema_extra"}


class _NeverRaised(Exception):
    pass


def validation_error() -> type[ValidationError]:
    """pydantic's ValidationError, for `except validation_error() as exc:` without importing pydantic: Python
    evaluates the except clause only when something was raised, and a ValidationError can only have been raised once
    pydantic is loaded."""
    core = sys.modules.get("pydantic_core")
    return core.ValidationError if core is not None else _NeverRaised  # type: ignore[return-value]


class FieldSpec:
    """What `Field(...)` was given; pydantic's `Field` is built from it with the twin."""

    __slots__ = ("args", "kwargs")

    def __init__(self, args: tuple, kwargs: dict):
        self.args, self.kwargs = args, kwargs

    @property
    def default(self) -> Any:
        if self.args and self.args[0] is not Ellipsis:
            return self.args[0]
        return self.kwargs.get("default", _MISSING)

    def pydantic(self):
        import pydantic

        return pydantic.Field(*self.args, **self.kwargs)


def Field(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - pydantic's name, so declarations read the same
    return FieldSpec(args, kwargs)


class BeforeValidator:
    """pydantic.BeforeValidator, declared without pydantic."""

    __slots__ = ("func",)

    def __init__(self, func):
        self.func = func


def ConfigDict(**kwargs: Any) -> dict:  # noqa: N802
    return dict(kwargs)


class _Deferred:
    """A `field_validator` / `model_validator` declaration, applied to the twin with pydantic's decorator."""

    __slots__ = ("kind", "args", "kwargs", "func")

    def __init__(self, kind: str, args: tuple, kwargs: dict, func):
        self.kind, self.args, self.kwargs, self.func = kind, args, kwargs, func

    def call(self, *args):
        func = self.func.__func__ if isinstance(self.func, (classmethod, staticmethod)) else self.func
        return func(*args)


def field_validator(*fields: str, **kwargs: Any) -> Any:
    return lambda func: _Deferred("field_validator", fields, kwargs, func)


def model_validator(**kwargs: Any) -> Any:
    return lambda func: _Deferred("model_validator", (), kwargs, func)


class _Fld:
    __slots__ = ("name", "annotation", "raw", "alias", "default", "factory")

    def __init__(self, name: str, annotation: Any, raw: Any):
        self.name, self.annotation, self.raw = name, annotation, raw
        spec = raw if isinstance(raw, FieldSpec) else None
        self.alias = spec.kwargs.get("alias") if spec else None
        self.default = spec.default if spec else raw
        self.factory = spec.kwargs.get("default_factory") if spec else None

    def default_value(self) -> Any:
        if self.factory is not None:
            return self.factory()
        if self.default is _MISSING:
            return _MISSING
        return copy.deepcopy(self.default) if isinstance(self.default, (list, dict, set)) else self.default


class _ClassAttr:
    """A class attribute answered by the twin (pydantic's `Cls.model_fields`)."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, cls):
        return getattr(twin(cls), self.name)


class Record:
    model_config: ClassVar[dict] = {}
    model_fields: ClassVar[dict[str, Any]] = _ClassAttr("model_fields")  # type: ignore[assignment]
    model_computed_fields: ClassVar[dict[str, Any]] = _ClassAttr("model_computed_fields")  # type: ignore[assignment]
    __record_fields__: ClassVar[dict[str, _Fld]] = {}
    __record_validators__: ClassVar[dict[str, _Deferred]] = {}
    __record_by_key__: ClassVar[dict[str, _Fld]] = {}

    def __init_subclass__(cls, **kwargs: Any):
        super().__init_subclass__(**kwargs)
        fields: dict[str, _Fld] = {}
        validators: dict[str, _Deferred] = {}
        config: dict = {}
        for base in reversed(cls.__mro__[1:]):
            fields.update(base.__dict__.get("__record_fields__", {}))
            validators.update(base.__dict__.get("__record_validators__", {}))
            config.update(base.__dict__.get("model_config", {}))
        config.update(cls.__dict__.get("model_config", {}))
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if name.startswith("_") or name == "model_config" or _is_classvar(annotation):
                continue
            fields[name] = _Fld(name, annotation, cls.__dict__.get(name, _MISSING))
            if name in cls.__dict__:
                delattr(cls, name)
        for name, value in list(cls.__dict__.items()):
            if isinstance(value, _Deferred):
                validators[name] = value
        cls.__record_fields__ = fields
        cls.__record_validators__ = validators
        cls.model_config = config
        by_key: dict[str, _Fld] = {}
        for f in fields.values():  # the keys input may use: the alias, and the name where pydantic takes it too
            if f.alias:
                by_key[f.alias] = f
            if not f.alias or config.get("populate_by_name") or config.get("validate_by_name"):
                by_key[f.name] = f
        cls.__record_by_key__ = by_key

    # ------------------------------------------------------------------ building
    def __init__(self, **data: Any):
        object.__setattr__(self, "__dict__", _validated(type(self), data).__dict__)

    @classmethod
    def model_validate(cls, obj: Any):
        if isinstance(obj, cls):
            return obj
        return _validated(cls, obj)

    @classmethod
    def model_construct(cls, _fields_set: Any = None, **values: Any):
        """Without validation, like pydantic's: for parts that were validated already."""
        d = {}
        for name, f in cls.__record_fields__.items():
            if name in values:
                d[name] = values[name]
            elif f.alias and f.alias in values:
                d[name] = values[f.alias]
            else:
                v = f.default_value()
                if v is not _MISSING:
                    d[name] = v
        return _new(cls, d)

    def model_copy(self, *, update: dict | None = None, deep: bool = False):
        d = copy.deepcopy(self.__dict__) if deep else dict(self.__dict__)
        if update:
            d.update(update)
        return _new(type(self), d)

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Each field's annotation, resolved, with records as records (`model_fields` holds the twin's, whose
        annotations name twins)."""
        return dict(_hints(cls))

    # ------------------------------------------------------------------ pydantic's side
    def model_dump(self, **kwargs: Any) -> dict:
        return to_twin(self).model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        return to_twin(self).model_dump_json(**kwargs)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict:
        return twin(cls).model_json_schema(*args, **kwargs)

    # ------------------------------------------------------------------ a frozen value
    def __setattr__(self, name: str, value: Any):
        raise TypeError(f"{type(self).__name__} is frozen: use model_copy(update={{{name!r}: ...}})")

    def __delattr__(self, name: str):
        raise TypeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __iter__(self):
        yield from self.__dict__.items()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.__dict__.items())})"

    def __str__(self) -> str:
        return " ".join(f"{k}={v!r}" for k, v in self.__dict__.items())


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return typing.get_origin(annotation) is ClassVar


def _new(cls: type, d: dict) -> Any:
    obj: Any = object.__new__(cls)
    object.__setattr__(obj, "__dict__", d)
    return obj


def _validated(cls: type, data: Any):
    """A record of `data`: the exact checker's when it can vouch for it, else pydantic's."""
    if isinstance(data, dict):
        done = _fast_record(cls, data)
        if done is not _MISSING:
            return done
    return from_twin(twin(cls).model_validate(to_twin(data)))


# ---------------------------------------------------------------------------------------------- the exact checker
class _Bail(Exception):
    """The checker cannot vouch for this input: pydantic decides."""


def _hints(cls: type) -> dict[str, Any]:
    hints = cls.__dict__.get("__record_hints__")
    if hints is None:
        hints = {}
        for klass in reversed(cls.__mro__):
            if issubclass(klass, Record) and klass is not Record:
                ns = dict(vars(sys.modules[klass.__module__]))
                for name, ann in klass.__dict__.get("__annotations__", {}).items():
                    if name in cls.__record_fields__:  # type: ignore[attr-defined]
                        hints[name] = eval(ann, ns) if isinstance(ann, str) else ann  # noqa: S307 - our own source
        type.__setattr__(cls, "__record_hints__", hints)
    return hints


def _fast_record(cls: type, data: dict):
    try:
        return _check_record(cls, data)
    except _Bail:
        return _MISSING


def _bail(value: Any = None) -> Any:
    raise _Bail


class _Plan:
    """How to check one record class, compiled on its first check."""

    __slots__ = ("by_key", "fields", "field_validators", "model_validators")

    def __init__(self, cls: Any):
        hints = _hints(cls)
        checks = {name: _field_checker(hints[name], f.raw if isinstance(f.raw, FieldSpec) else None)
                  for name, f in cls.__record_fields__.items()}
        self.by_key = {key: (f.name, checks[f.name]) for key, f in cls.__record_by_key__.items()}
        self.fields = cls.__record_fields__
        self.field_validators: list[tuple[_Deferred, tuple]] = []
        self.model_validators: list[_Deferred] = []
        for v in cls.__record_validators__.values():
            mode = v.kwargs.get("mode", "after")
            if (mode != "after" or cls.model_config.get("extra", "forbid") != "forbid"
                    or (v.kind == "field_validator" and (v.args == ("*",) or set(v.args) - set(self.fields)))):
                self.by_key = {}  # nothing is vouched for: pydantic checks every input of this class
            elif v.kind == "field_validator":
                self.field_validators.append((v, v.args))
            else:
                self.model_validators.append(v)
        if cls.model_config.get("extra", "forbid") != "forbid":
            self.by_key = {}


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
                if v is _MISSING:
                    raise _Bail  # required: pydantic says so
                d[name] = v
    for v, names in plan.field_validators:
        for name in names:
            d[name] = _call(v, cls, d[name])
    obj = _new(cls, d)
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


# ---------------------------------------------------------------------------------------------- the pydantic twin
_RECORD_OF: dict[type, type] = {}


def twin(cls: Any) -> Any:
    """The pydantic model declared the same way as record class `cls` (built once, on first use)."""
    t = cls.__dict__.get("__record_twin__")
    if t is not None:
        return t
    import pydantic

    bases = tuple(twin(b) for b in cls.__bases__ if issubclass(b, Record) and b is not Record)
    ns: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__,
                          "model_config": pydantic.ConfigDict(**cls.model_config), "__annotations__": {}}
    hints = _hints(cls)
    own = cls.__dict__.get("__annotations__", {})
    for name, f in cls.__record_fields__.items():  # type: ignore[attr-defined]
        if name not in own:
            continue  # inherited from a base twin
        ns["__annotations__"][name] = _pyd(hints[name])
        if isinstance(f.raw, FieldSpec):
            ns[name] = f.raw.pydantic()
        elif f.raw is not _MISSING:
            ns[name] = f.raw
    for name, value in cls.__dict__.items():
        if isinstance(value, _Deferred):
            ns[name] = getattr(pydantic, value.kind)(*value.args, **value.kwargs)(value.func)
        elif not name.startswith("__") and isinstance(value, (types.FunctionType, property, classmethod,
                                                                staticmethod)):
            ns[name] = value  # methods and properties, for validators that use them
    meta: Any = type(pydantic.BaseModel)
    t = meta(cls.__name__, bases or (pydantic.BaseModel,), ns)
    type.__setattr__(cls, "__record_twin__", t)
    _RECORD_OF[t] = cls
    return t


def _pyd(tp: Any) -> Any:
    """An annotation with records replaced by their twins and our Field/BeforeValidator by pydantic's."""
    if isinstance(tp, type):
        return twin(tp) if issubclass(tp, Record) else tp
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is None or origin is typing.Literal:
        return tp
    if origin is typing.Annotated:
        import pydantic

        meta = [m.pydantic() if isinstance(m, FieldSpec) else
                pydantic.BeforeValidator(m.func) if isinstance(m, BeforeValidator) else m for m in args[1:]]
        return typing.Annotated[(_pyd(args[0]), *meta)]  # type: ignore[valid-type]
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_pyd(a) for a in args)]  # type: ignore[valid-type]
    return origin[tuple(_pyd(a) for a in args)]


def to_twin(value: Any) -> Any:
    """Records (at any depth of lists, tuples and dicts) as twin instances, as pydantic takes and dumps them."""
    if isinstance(value, Record):
        t = twin(type(value))
        return t.model_construct(**{k: to_twin(v) for k, v in value.__dict__.items()})
    if isinstance(value, list):
        return [to_twin(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_twin(v) for v in value)
    if isinstance(value, dict):
        return {k: to_twin(v) for k, v in value.items()}
    return value


def from_twin(value: Any) -> Any:
    rec = _RECORD_OF.get(type(value))
    if rec is not None:
        return _new(rec, {k: from_twin(v) for k, v in value.__dict__.items()})
    if isinstance(value, list):
        return [from_twin(v) for v in value]
    if isinstance(value, tuple):
        return tuple(from_twin(v) for v in value)
    if isinstance(value, dict):
        return {k: from_twin(v) for k, v in value.items()}
    return value
