"""One output object (advisor/cli/output.py) for every command: each command with --json takes it through
`output_options`, no command module writes JSON or branches on the format itself, and two formats at once is a
one-line usage error with exit 2."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest

from advisor.cli import cli
from advisor.cli.output import Output, output_options, to_json

CLI_DIR = Path(__file__).resolve().parents[2] / "advisor" / "cli"


def _commands(cmd: click.Command, path: str = "advisor"):
    """Every command, the lazily loaded ones too (list_commands/get_command, not the .commands loaded so far)."""
    yield path, cmd
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None:
                yield from _commands(sub, f"{path} {name}")


def test_every_command_with_json_goes_through_the_output_object():
    with_json = [(path, cmd) for path, cmd in _commands(cli) if any("--json" in p.opts for p in cmd.params)]
    assert len(with_json) >= 15, [p for p, _ in with_json]
    for path, cmd in with_json:
        assert getattr(cmd.callback, "__advisor_output__", False), f"{path}: declare --json with @output_options()"


def test_no_command_module_writes_json_or_branches_on_the_format():
    pattern = re.compile(r"emit_json|json\.dumps|sys\.stdout\.write|\bas_json\b|\bas_markdown\b|\bas_csv\b|json_option")
    offenders = [f"{f.name}:{i}: {line.strip()}" for f in sorted(CLI_DIR.glob("*_cmd.py"))
                 for i, line in enumerate(f.read_text().splitlines(), 1) if pattern.search(line)]
    assert not offenders, offenders


@pytest.mark.parametrize("argv, names", [
    (("plan", "-d", "raspberry-pi-5-8gb", "-m", "llama-3.2-1b-instruct", "--json", "--markdown"), "--json and --markdown"),
    (("claims", "-d", "galaxy-s24-ultra", "--markdown", "--json"), "--json and --markdown"),
    (("measurements", "export", "--csv", "--json"), "--json and --csv"),
])
def test_two_formats_at_once_is_one_line_and_exit_2(cli, argv, names):
    r = cli(*argv)
    assert r.code == 2 and r.out == ""
    assert r.err.strip().splitlines() == [f"error: choose one of {names} (see `advisor {' '.join(argv[:2]) if argv[0] == 'measurements' else argv[0]} --help`)"]


def test_json_is_the_models_dump_byte_for_byte(cli):
    from advisor.resolve import resolve_device

    r = cli("devices", "show", "raspberry-pi-5-8gb", "--json")
    assert r.code == 0
    dev = resolve_device("raspberry-pi-5-8gb")
    assert r.out == json.dumps(dev.model_dump(mode="json", by_alias=True), indent=2) + "\n" == to_json(dev)


def test_the_output_object_picks_the_renderer(capsys):
    seen = []
    Output("human").show({"a": 1}, human=seen.append, markdown=lambda r: "md\n")
    assert seen == [{"a": 1}] and capsys.readouterr().out == ""
    Output("markdown").show({"a": 1}, human=seen.append, markdown=lambda r: f"# {r['a']}\n")
    assert capsys.readouterr().out == "# 1\n"
    Output("json").show({"a": 1}, human=seen.append, data=[1])
    assert capsys.readouterr().out == "[\n  1\n]\n"
    Output("csv").show([], data={"x": 2})  # no csv renderer: JSON, never nothing
    assert json.loads(capsys.readouterr().out) == {"x": 2}
    assert len(seen) == 1
    with pytest.raises(ValueError):
        Output("yaml")


def test_a_decorated_command_gets_one_output_object():
    got = {}

    @click.command()
    @output_options(markdown="As Markdown.")
    def demo(out):
        got["out"] = out

    demo.main([], standalone_mode=False)
    assert got["out"].fmt == "human" and got["out"].progress and got["out"].is_human
    demo.main(["--json"], standalone_mode=False)
    assert got["out"].is_json and not got["out"].progress
    demo.main(["--markdown"], standalone_mode=False)
    assert got["out"].fmt == "markdown" and got["out"].progress and not got["out"].is_human
    assert [p.opts[0] for p in demo.params] == ["--json", "--markdown"]
