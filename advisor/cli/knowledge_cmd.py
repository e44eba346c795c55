"""`advisor knowledge validate|diagram`, `advisor schema`."""

from __future__ import annotations

import click

from .output import Output, output_options


@click.group()
def knowledge():
    """The knowledge base (knowledge/*.yaml) and the device library (profiles/)."""


@knowledge.command("validate", epilog="Example:\n  advisor knowledge validate --json")
@output_options()
def validate(out):
    """Load every YAML file, validate it, cross-check ids, check that every backend's probe module and templates
    exist, and that every number has a source: a URL, a probe measurement or a docs/policy.md section (exit 2 on
    the first problem)."""
    from .. import audit, paths
    from ..knowledge import load_knowledge
    from ..resolve import load_profiles

    from ..errors import KnowledgeError
    from ..knowledge import registry_problems

    kb = load_knowledge()
    problems = registry_problems(kb)
    if problems:
        raise KnowledgeError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    profs = load_profiles()
    facts = audit.audit(paths.KNOWLEDGE_DIR, paths.PROFILES_DIR, paths.ROOT / "docs")
    audit.check(facts)
    counts = {
        "backends": len(kb.backends), "quant_formats": len(kb.formats), "branches": len(kb.tree.branches),
        "models": len(kb.models), "profiles": len(profs),
        "classes": sorted({p.class_ for p in profs.values()}), "sourced_numbers": len(facts),
    }
    unsourced = [p.id for p in profs.values() if not p.sources]
    if unsourced:
        raise KnowledgeError(f"profiles without sources: {', '.join(unsourced)}; add the spec-sheet URLs")
    out.show({"ok": True, **counts}, human=lambda r: click.echo(
        "knowledge ok: " + ", ".join(f"{v if isinstance(v, int) else len(v)} {k}" for k, v in counts.items())))


@knowledge.command("audit", epilog="Examples:\n  advisor knowledge audit\n  advisor knowledge audit --policy\n"
                   "  advisor knowledge audit --json > audit.json")
@click.option("--policy", "only_policy", is_flag=True, help="Only numbers whose reason is a docs/policy.md section.")
@click.option("--unsourced", "only_bad", is_flag=True, help="Only numbers without a valid source.")
@output_options()
def audit_cmd(only_policy, only_bad, out):
    """List every number in knowledge/ and profiles/ with the source that backs it."""
    from .. import audit, paths

    facts = audit.audit(paths.KNOWLEDGE_DIR, paths.PROFILES_DIR, paths.ROOT / "docs")
    if only_policy:
        facts = [f for f in facts if f.source and "docs/policy.md#" in f.source]
    if only_bad:
        facts = [f for f in facts if not f.ok]
    out.show(facts, human=_print_facts,
             data=[{"file": f.file, "path": f.path, "value": f.value, "source": f.source, "ok": f.ok} for f in facts])


def _print_facts(facts) -> None:
    for f in facts:
        mark = "" if f.ok else "UNSOURCED "
        click.echo(f"{mark}{f.file}: {f.path} = {f.value!r}  <- {f.source or '(none)'}")
    click.echo(f"{len(facts)} numbers, {sum(not f.ok for f in facts)} without a valid source", err=True)


@knowledge.command("diagram")
def diagram():
    """Print the decision tree as a Mermaid flowchart with what the public measurements show per branch
    (docs/decision-tree.md is generated from this)."""
    from ..mermaid import tree_markdown

    tree, evidence = tree_with_evidence()
    Output("markdown").show(tree, markdown=lambda t: tree_markdown(t, evidence))


def tree_with_evidence():
    from ..knowledge import load_knowledge
    from ..speed_data import load_speed_rows
    from ..tree_evidence import branch_evidence

    kb = load_knowledge()
    rows, _, _ = load_speed_rows(kb, kb.engines)
    return kb.tree, lambda branch_id: branch_evidence(branch_id, rows)


SCHEMAS = {"device": "DeviceProfile", "model": "ModelSpec", "constraints": "Constraints", "candidate": "Candidate",
           "plan": "Plan", "claims": "ClaimsReport", "compare": "CompareReport"}


@click.command(epilog="Examples:\n  advisor schema device\n  advisor schema plan > plan.schema.json\n  advisor schema claims")
@click.argument("which", type=click.Choice(sorted(SCHEMAS)))
def schema(which):
    """Print the JSON Schema of a device profile, model, constraints, candidate, plan, or the output of
    `claims --json` / `compare --json`."""
    from .. import report_schemas, schemas

    mod = report_schemas if which in ("claims", "compare") else schemas
    Output("json").show(getattr(mod, SCHEMAS[which]).model_json_schema(by_alias=True))


COMMANDS = [knowledge, schema]
