"""`advisor knowledge validate|diagram`, `advisor schema`."""

from __future__ import annotations

import click

from .common import emit_json, json_option


@click.group()
def knowledge():
    """The knowledge base (knowledge/*.yaml) and the device library (profiles/)."""


@knowledge.command("validate", epilog="Example:\n  advisor knowledge validate --json")
@json_option
def validate(as_json):
    """Load every YAML file, validate it, and cross-check ids (exit 2 on the first problem)."""
    from ..knowledge import load_knowledge
    from ..resolve import load_profiles

    kb = load_knowledge()
    profs = load_profiles()
    counts = {
        "backends": len(kb.backends), "quant_formats": len(kb.formats), "branches": len(kb.tree.branches),
        "models": len(kb.models), "profiles": len(profs),
        "classes": sorted({p.class_ for p in profs.values()}),
    }
    unsourced = [p.id for p in profs.values() if not p.sources]
    if unsourced:
        from ..errors import KnowledgeError

        raise KnowledgeError(f"profiles without sources: {', '.join(unsourced)}; add the spec-sheet URLs")
    if as_json:
        emit_json({"ok": True, **counts})
    else:
        click.echo("knowledge ok: " + ", ".join(f"{v if isinstance(v, int) else len(v)} {k}" for k, v in counts.items()))


@knowledge.command("diagram")
def diagram():
    """Print the decision tree as a Mermaid flowchart (docs/decision-tree.md is generated from this)."""
    from ..knowledge import load_knowledge
    from ..mermaid import tree_markdown

    click.echo(tree_markdown(load_knowledge().tree), nl=False)


SCHEMAS = {"device": "DeviceProfile", "model": "ModelSpec", "constraints": "Constraints", "candidate": "Candidate",
           "plan": "Plan"}


@click.command(epilog="Examples:\n  advisor schema device\n  advisor schema plan > plan.schema.json")
@click.argument("which", type=click.Choice(sorted(SCHEMAS)))
def schema(which):
    """Print the JSON Schema of a device profile, model, constraints, candidate or plan."""
    from .. import schemas

    emit_json(getattr(schemas, SCHEMAS[which]).model_json_schema(by_alias=True))


COMMANDS = [knowledge, schema]
