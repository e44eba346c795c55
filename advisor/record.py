"""Frozen, validated records without importing pydantic on the way: the base of every model of the advisor.

A record class is declared like a pydantic model (annotations, `Field(...)`, `field_validator`, `model_validator`,
`BeforeValidator`, `model_config`) and behaves like a frozen pydantic model with `extra="forbid"`:
`Cls(**data)`, `Cls.model_validate(data)`, `model_construct`, `model_copy`, `model_dump`, `model_fields`,
`model_json_schema`, equality, hashing and pickling.

Why not pydantic models themselves: importing pydantic and building ~50 model classes is about half of a cold
`advisor plan` (~100 ms of ~200 ms here, issue 13), and a plan only reads knowledge that was validated when its
snapshot was taken (advisor/snapshot.py) and builds a few small results (estimates, constraints). So:

- attribute access, pickling and copying are plain Python: a record is an object whose `__dict__` holds its fields;
- validation tries a small exact checker first (advisor/record_check.py, compiled per class on first use): it
  accepts input only when it can see that pydantic would return the very same values (exact types, the `Field` bounds and patterns, before-validators that hand their input
  back, the class's own after-validators), and hands everything else to pydantic;
- pydantic is imported the first time a record needs it (input the checker leaves alone, every validation error,
  a dump or a JSON schema): a pydantic "twin" class is built from the record's own declaration, validates, and its
  result becomes a record. Errors are pydantic's own, under the record's class name.

tests/core/test_record.py checks the checker against pydantic on every shipped profile, knowledge file and plan, and on
generated input; tests/core/test_startup.py checks that a plan imports no pydantic.
"""

from __future__ import annotations

import copy
import sys
import types
import typing
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from pydantic import ValidationError

MISSING: Any = object()


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
        return self.kwargs.get("default", MISSING)

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
    __slots__ = ("name", "raw", "alias", "default", "factory")

    def __init__(self, name: str, raw: Any):
        self.name, self.raw = name, raw
        spec = raw if isinstance(raw, FieldSpec) else None
        self.alias = spec.kwargs.get("alias") if spec else None
        self.default = spec.default if spec else raw
        self.factory = spec.kwargs.get("default_factory") if spec else None

    def default_value(self) -> Any:
        if self.factory is not None:
            return self.factory()
        if self.default is MISSING:
            return MISSING
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
            fields[name] = _Fld(name, cls.__dict__.get(name, MISSING))
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
                if v is not MISSING:
                    d[name] = v
        return new(cls, d)

    def model_copy(self, *, update: dict | None = None, deep: bool = False):
        d = copy.deepcopy(self.__dict__) if deep else dict(self.__dict__)
        if update:
            d.update(update)
        return new(type(self), d)

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        """Each field's annotation, resolved, with records as records (`model_fields` holds the twin's, whose
        annotations name twins)."""
        return dict(hints(cls))

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


def new(cls: type, d: dict) -> Any:
    obj: Any = object.__new__(cls)
    object.__setattr__(obj, "__dict__", d)
    return obj


def _validated(cls: type, data: Any):
    """A record of `data`: the exact checker's when it can vouch for it, else pydantic's."""
    if isinstance(data, dict):
        from .record_check import fast_record

        done = fast_record(cls, data)
        if done is not MISSING:
            return done
    return from_twin(twin(cls).model_validate(to_twin(data)))


def hints(cls: type) -> dict[str, Any]:
    """Each field's annotation, evaluated in the module that declared it (once per class, on first use)."""
    found = cls.__dict__.get("__record_hints__")
    if found is None:
        found = {}
        for klass in reversed(cls.__mro__):
            if issubclass(klass, Record) and klass is not Record:
                ns = dict(vars(sys.modules[klass.__module__]))
                for name, ann in klass.__dict__.get("__annotations__", {}).items():
                    if name in cls.__record_fields__:  # type: ignore[attr-defined]
                        found[name] = eval(ann, ns) if isinstance(ann, str) else ann  # noqa: S307 - our own source
        type.__setattr__(cls, "__record_hints__", found)
    return found


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
    annotations = hints(cls)
    own = cls.__dict__.get("__annotations__", {})
    for name, f in cls.__record_fields__.items():  # type: ignore[attr-defined]
        if name not in own:
            continue  # inherited from a base twin
        ns["__annotations__"][name] = _pyd(annotations[name])
        if isinstance(f.raw, FieldSpec):
            ns[name] = f.raw.pydantic()
        elif f.raw is not MISSING:
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
        return twin(type(value)).model_construct(**{k: to_twin(v) for k, v in value.__dict__.items()})
    return _within(value, to_twin)


def from_twin(value: Any) -> Any:
    """Twin instances (at any depth) as the records they stand for."""
    rec = _RECORD_OF.get(type(value))
    if rec is not None:
        return new(rec, {k: from_twin(v) for k, v in value.__dict__.items()})
    return _within(value, from_twin)


def _within(value: Any, convert) -> Any:
    """`convert` applied to the items of a list, tuple or dict (`value` itself otherwise)."""
    if isinstance(value, list):
        return [convert(v) for v in value]
    if isinstance(value, tuple):
        return tuple(convert(v) for v in value)
    if isinstance(value, dict):
        return {k: convert(v) for k, v in value.items()}
    return value
