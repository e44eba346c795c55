"""docs/cli.md generated from the commands' own --help, so the reference cannot drift.

    python -m advisor.docgen > docs/cli.md
"""

from __future__ import annotations

import click


def _walk(cmd: click.Command, name: str, parent: click.Context | None):
    ctx = cmd.make_context(name, [], parent=parent, resilient_parsing=True, terminal_width=100, max_content_width=100)
    yield ctx
    if isinstance(cmd, click.Group):
        for sub in cmd.list_commands(ctx):
            child = cmd.get_command(ctx, sub)
            if child is not None:
                yield from _walk(child, sub, ctx)


def cli_reference() -> str:
    from .cli import cli

    out = ["# CLI reference", "", "Generated from `--help` by `python -m advisor.docgen`; a test keeps it current.", ""]
    for ctx in _walk(cli, "advisor", None):
        out += [f"## `{ctx.command_path}`", "", "```text", ctx.get_help().rstrip(), "```", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(cli_reference(), end="")
