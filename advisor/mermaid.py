"""The decision tree as a Mermaid flowchart (pure)."""

from __future__ import annotations

from .knowledge import DecisionTree


def _q(text: str) -> str:
    return '"' + text.replace('"', "'") + '"'


def tree_mermaid(tree: DecisionTree) -> str:
    lines = ["flowchart TD"]
    for i, br in enumerate(tree.branches):
        node = f"q{i}"
        lines.append(f"  {node}{{{_q(br.question)}}}")
        for j, a in enumerate(br.admit):
            cond = " (if " + ", ".join(f"{k}={'/'.join(v)}" for k, v in a.when.model_dump(exclude_none=True).items()) + ")" if a.when else ""
            lines.append(f"  {node} -->|yes| {node}a{j}[{_q(f'{a.backend} on {a.compute}{cond}')}]")
        if i + 1 < len(tree.branches):
            lines.append(f"  {node} -->|no| q{i + 1}")
    return "\n".join(lines) + "\n"


def tree_markdown(tree: DecisionTree, evidence=None) -> str:
    """The tree as Markdown; `evidence(branch_id)` gives the lines of "What the data shows" under each branch."""
    out = [f"# {tree.title}", "", "Generated from `knowledge/decision_tree.yaml` by `advisor knowledge diagram`;",
           "a test fails when this file and the YAML disagree.", "", "```mermaid", tree_mermaid(tree).rstrip(), "```", "",
           "## Branches", ""]
    for br in tree.branches:
        out.append(f"### {br.question}")
        out.append("")
        out.append(br.reason)
        out.append("")
        out += [f"- **{a.backend} / {a.compute}**: {a.reason}" for a in br.admit]
        out += [f"- ~~{r.backend}~~: {r.reason}" for r in br.reject]
        out.append("")
        if evidence is not None:
            out += ["What the data shows (knowledge/data/speed/*.csv, every row sourced):", ""]
            out += evidence(br.id)
            out.append("")
    out.append(f"Source: {tree.source}")
    return "\n".join(out) + "\n"
