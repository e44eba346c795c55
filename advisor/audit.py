"""Every number in knowledge/ and profiles/ with the source that backs it (pure walk over the YAML files).

A number is sourced by its entry in `field_sources:` or the nearest `source:`/`sources:` of the mappings around
it, or, for a policy field
(`POLICY_FIELDS`), by its section in docs/policy.md. A source counts when it holds a URL, "measured by advisor
probe on ...", or a `docs/<file>.md#section` whose section exists. `advisor knowledge audit` lists them all;
`advisor knowledge validate` fails on the first number without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import KnowledgeError
from .yamlio import read_data

# Fields whose values are the advisor's judgement, not a fact from the cited page: their reason is a section
# of docs/policy.md, whatever the surrounding entry cites.
POLICY_FIELDS = {"quality_uncertainty": "docs/policy.md#quality-uncertainty",
                 "quality_proxy": "docs/policy.md#quality-proxy"}
_URL = re.compile(r"https?://\S+")
_MEASURED = re.compile(r"measured by advisor probe on \S+", re.I)
_DOC_REF = re.compile(r"docs/([\w.-]+\.md)#([\w-]+)")
FIX = ("add a `source:` beside it with a URL that states it, 'measured by advisor probe on <date/machine>', "
       "or docs/policy.md#<section> giving the reason")


@dataclass(frozen=True)
class Fact:
    file: str
    path: str
    value: object
    source: str | None
    ok: bool


def _anchors(doc: Path) -> set[str]:
    """GitHub-style anchors of a Markdown file's headings."""
    if not doc.is_file():
        return set()
    out = set()
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            out.add(slug)
    return out


def source_ok(text: str, docs_dir: Path, _cache: dict | None = None) -> bool:
    """A URL, a probe measurement, or docs references whose sections all exist."""
    refs = _DOC_REF.findall(text)
    cache = _cache if _cache is not None else {}
    for fname, anchor in refs:
        if fname not in cache:
            cache[fname] = _anchors(docs_dir / fname)
        if anchor not in cache[fname]:
            return False
    return bool(_URL.search(text) or _MEASURED.search(text) or refs)


def _source_of(node: dict) -> str | None:
    src = node.get("source", node.get("sources"))
    if isinstance(src, str):
        return src
    if isinstance(src, list) and src and all(isinstance(s, str) for s in src):
        return " | ".join(src)
    return None


def walk(data: object, file: str, docs_dir: Path) -> list[Fact]:
    facts: list[Fact] = []
    cache: dict = {}

    def visit(node: object, path: str, inherited: str | None, key: str | None) -> None:
        if isinstance(node, dict):
            here = _source_of(node) or inherited
            fs = node.get("field_sources")
            own: dict = fs if isinstance(fs, dict) else {}
            for k, v in node.items():
                if k in ("source", "sources", "field_sources"):
                    continue
                visit(v, f"{path}.{k}" if path else str(k), own.get(k, here), str(k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                name = v.get("id") if isinstance(v, dict) else None
                name = name or (f"{v.get('backend')}/{v.get('quant')}" if isinstance(v, dict) and "quant" in v else None)
                visit(v, f"{path}[{name or i}]", inherited, key)
        elif isinstance(node, (int, float)) and not isinstance(node, bool) or key in POLICY_FIELDS:
            src = POLICY_FIELDS.get(key or "", inherited)
            facts.append(Fact(file, path, node, src, bool(src) and source_ok(src or "", docs_dir, cache)))

    visit(data, "", None, None)
    return facts


def audit(knowledge_dir: Path, profiles_dir: Path, docs_dir: Path) -> list[Fact]:
    """Every number (and policy field) in the knowledge and profile YAML files, with its source."""
    facts: list[Fact] = []
    for d in (knowledge_dir, profiles_dir):
        for f in sorted(d.glob("*.yaml")):
            facts += walk(read_data(f), f"{d.name}/{f.name}", docs_dir)
    return facts


def check(facts: list[Fact]) -> None:
    bad = [f for f in facts if not f.ok]
    if bad:
        f = bad[0]
        why = f"cites {f.source!r}, which is no URL, probe measurement or existing docs section" if f.source else "has no source"
        more = f" (and {len(bad) - 1} more: advisor knowledge audit --unsourced)" if len(bad) > 1 else ""
        raise KnowledgeError(f"{f.file}: {f.path} = {f.value!r} {why}; {FIX}{more}")
