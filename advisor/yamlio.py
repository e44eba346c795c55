"""Loading YAML/JSON data files into pydantic models, with one-line errors that name file, key and fix."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import KnowledgeError

M = TypeVar("M", bound=BaseModel)


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
    try:
        return json.loads(text, object_pairs_hook=_unique_pairs) if suffix == ".json" else yaml.load(text, UniqueKeyLoader)
    except (yaml.YAMLError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise KnowledgeError(f"{path}: not valid {suffix[1:].upper()} ({first}); fix the syntax") from None


# libyaml's parser where PyYAML has it (5-10x faster: the knowledge base and 41 profiles load on every command),
# the pure-Python one otherwise; the constructor (safe types only) is the same Python code in both.
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(_BASE):  # type: ignore[valid-type,misc]
    """yaml.safe_load, except that a key written twice in one mapping is an error (safe_load keeps the last)."""

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
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(f"{where}: {describe_validation(exc)}") from None


def load(model: type[M], path: Path) -> M:
    return validate(model, read_data(path), str(path))
