"""Loading YAML/JSON data files into pydantic models, with one-line errors that name file, key and fix."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .errors import KnowledgeError
from .record import Record, validation_error

if TYPE_CHECKING:
    from pydantic import ValidationError

M = TypeVar("M", bound=Record)


def read_data(path: Path) -> object:
    """Parse a .yaml/.yml/.json file; any parse failure becomes a KnowledgeError naming the file."""
    suffix = path.suffix.lower()
    if suffix not in {".yaml", ".yml", ".json"}:
        raise KnowledgeError(f"{path}: unsupported file type {suffix or '(none)'}; use .yaml, .yml or .json")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(f"{path}: file not found; check the path") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read ({exc.__class__.__name__}); give a readable UTF-8 text file") from None
    if suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise KnowledgeError(f"{path}: not valid JSON ({_first_line(exc)}); fix the syntax") from None
    import yaml

    try:
        return yaml.load(text, unique_key_loader())
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        raise KnowledgeError(f"{path}: not valid YAML ({_first_line(exc)}); fix the syntax") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


@lru_cache(maxsize=1)
def unique_key_loader():
    """yaml.safe_load's loader, except that a key written twice in one mapping is an error (safe_load keeps the
    last). libyaml's parser where PyYAML has it (5-10x faster), the pure-Python one otherwise; the constructor (safe
    types only) is the same Python code in both. Built on first use: a plan read from snapshots never imports yaml."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class UniqueKeyLoader(base):  # type: ignore[valid-type,misc]
        def construct_mapping(self, node, deep=False):
            seen: set = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:  # an unhashable key: construct_mapping itself reports it
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice (line {key_node.start_mark.line + 1}); keep one",
                        key_node.start_mark)
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def _unique_pairs(pairs: list[tuple[str, object]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice; keep one")
        out[key] = value
    return out


def describe_validation(exc: ValidationError) -> str:
    """The first validation problem as 'key.path: message'."""
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
    msg = err.get("msg", "invalid")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (remove it or check its spelling)"
    more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{loc}: {msg}{more}"


def validate(model: type[M], data: object, where: str) -> M:
    """`data` as a `model` record; a problem is one KnowledgeError naming `where`, the key and the fix (pydantic is
    imported only when the data needs it: advisor/record.py)."""
    try:
        return model.model_validate(data)
    except validation_error() as exc:
        raise KnowledgeError(f"{where}: {describe_validation(exc)}") from None


def load(model: type[M], path: Path) -> M:
    return validate(model, read_data(path), str(path))
