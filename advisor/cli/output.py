"""One output object for every command: a command says *what* it produced (`out.show(result, human=...)`) and
the output object decides *how* it is shown — JSON on stdout with --json, Markdown with --markdown, CSV with
--csv, the human rendering otherwise. The flags are declared once here (`output_options`), so every command that
prints data takes them the same way and JSON is written by one function."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

JSON_HELP = "Print machine-readable JSON on stdout."

FORMATS = ("human", "json", "markdown", "csv")


def to_json(obj: Any) -> str:
    """The JSON text of a result: pydantic models by alias, plain objects as they are, 2-space indent."""
    from ..plain import plain

    return json.dumps(plain(obj), indent=2) + "\n"


class Output:
    """How this run shows results. `fmt` is one of FORMATS; `human` renderers get the result and print it (to a
    rich console or with click.echo), `markdown`/`csv` renderers return text."""

    def __init__(self, fmt: str = "human"):
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}")
        self.fmt = fmt

    @property
    def is_json(self) -> bool:
        return self.fmt == "json"

    @property
    def is_human(self) -> bool:
        """The terminal rendering: the only mode that adds notes beside the result (progress is on stderr and
        shown in every mode but JSON, see `progress`)."""
        return self.fmt == "human"

    @property
    def progress(self) -> bool:
        """Whether progress may be drawn on stderr: not under --json, whose reader wants data only."""
        return not self.is_json

    def show(self, result: Any, *, human: Callable[[Any], object] | None = None,
             markdown: Callable[[Any], str] | None = None, csv: Callable[[Any], str] | None = None,
             data: Any = None) -> None:
        """Show `result` in this run's format. `data` is what JSON carries when it is not `result` itself (a
        dict built from it); a format without a renderer falls back to JSON."""
        renderer = {"human": human, "markdown": markdown, "csv": csv}.get(self.fmt)
        if renderer is None:
            sys.stdout.write(to_json(result if data is None else data))
        elif self.fmt == "human":
            renderer(result)
        else:
            click.echo(renderer(result), nl=False)


def output_options(markdown: str | None = None, csv: str | None = None, default: str = "human"):
    """Decorator: add --json (and --markdown / --csv when their help text is given) to a command and hand the
    function one `out: Output` instead of the flags. Two formats at once is a usage error (exit 2). `default` is
    the format with no flag (`measurements export` prints JSON unless --csv)."""
    flags = [("json", "as_json", JSON_HELP)]
    if markdown is not None:
        flags.append(("markdown", "as_markdown", markdown))
    if csv is not None:
        flags.insert(0, ("csv", "as_csv", csv))  # --csv is listed before --json in --help (docs/cli.md)
    names = " and ".join(f"--{fmt}" for fmt in sorted((fmt for fmt, _, _ in flags), key=FORMATS.index))

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            chosen = [fmt for fmt, dest, _ in flags if kwargs.pop(dest, False)]
            if len(chosen) > 1:
                raise click.UsageError(f"choose one of {names}")
            return f(*args, out=Output(chosen[0] if chosen else default), **kwargs)

        wrapper.__advisor_output__ = True  # type: ignore[attr-defined]  # tests/core/test_cli_output.py
        for fmt, dest, help_text in reversed(flags):
            wrapper = click.option(f"--{fmt}", dest, is_flag=True, help=help_text)(wrapper)
        return wrapper

    return decorate
