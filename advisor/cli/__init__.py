"""The `advisor` command: the root only wires groups and maps errors to one-line messages and exit codes."""

from __future__ import annotations

from collections.abc import MutableMapping

import click

from ..errors import AdvisorError

EPILOG = """\b
Examples:
  advisor plan --device raspberry-pi-5-8gb --model llama-3.2-1b-instruct
  advisor plan --device apple-m2-16gb --model qwen2.5-7b-instruct --max-memory-gb 8 --json
  advisor predict --device my-board.yaml --model ./my-model --backend llamacpp --quant Q4_0
  advisor explain --device galaxy-s24-ultra --model phi-3.5-mini-instruct
  advisor devices list --class apple_silicon
  advisor compare -m llama-3.2-3b-instruct --devices class:arm_sbc
  advisor claims --device galaxy-s24-ultra
Set ADVISOR_DEBUG=1 to see tracebacks."""


# command -> the module (advisor/cli/<module>.py) whose COMMANDS list defines it. A command's module is imported
# only when that command runs (or help lists them all), so `advisor plan` does not pay for the TUI, the probes or the
# sweep. tests/cli/test_lazy_commands.py checks this table against every module's COMMANDS.
COMMAND_MODULES = {
    "plan": "plan_cmd", "predict": "plan_cmd", "explain": "plan_cmd",
    "devices": "devices_cmd", "models": "devices_cmd", "detect": "devices_cmd",
    "knowledge": "knowledge_cmd", "schema": "knowledge_cmd",
    "calibrate": "calibrate_cmd", "tui": "tui_cmd",
    "probe": "probe_cmd", "measurements": "probe_cmd",
    "compare": "compare_cmd", "claims": "compare_cmd",
    "sweep": "sweep_cmd",
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            module = importlib.import_module(f"{__name__}.{COMMAND_MODULES[cmd_name]}")
            for cmd in module.COMMANDS:
                if cmd.name is not None:
                    self.commands.setdefault(cmd.name, cmd)
        return self.commands.get(cmd_name)

    def load_all(self) -> MutableMapping[str, click.Command]:
        """Every command, imported (docs, tests)."""
        ctx = click.Context(self)
        for name in self.list_commands(ctx):
            self.get_command(ctx, name)
        return self.commands


@click.group(cls=LazyGroup, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="advisor", prog_name="advisor")
def cli() -> None:
    """Which framework, format and quantization to ship an LLM to an edge device with — predicted with
    intervals, checked by real probe quantizations, and turned into runnable scripts."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0 ok, 2 bad input, 3 backend missing, 1 unexpected. ADVISOR_DEBUG=1 adds the traceback
    but never changes the exit code."""
    import sys

    from .streams import Terminated, debug_enabled, on_termination, prepare_streams, require_stdout, silence_stdout

    # no pydantic plugins unless the user asks for them (advisor/cli/quickstart.py says why)
    from .quickstart import skip_pydantic_plugin_scan

    skip_pydantic_plugin_scan()

    debug = debug_enabled()
    prepare_streams()
    restore = on_termination()
    try:
        require_stdout()
        _refuse_nul(argv)
        cli.main(args=argv, prog_name="advisor", standalone_mode=False)
        _flush()
        return 0
    except AdvisorError as exc:
        _traceback(debug)
        _say(f"error: {exc}")
        return exc.exit_code
    except click.exceptions.Abort:
        _say("aborted")
        return 130
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        msg = exc.format_message().replace("\n", " ")
        hint = ""
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            hint = f" (see `{ctx.command_path} --help`)"
        _say(f"error: {msg}{hint}")
        return 2 if exc.exit_code in (1, 2) else exc.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Terminated as exc:  # what was running has been stopped and cleaned up on the way here
        _say(f"terminated by signal {exc.signum}")
        return 128 + exc.signum
    except BrokenPipeError:  # the reader stopped early (`| head -1`): what it read is all it wanted
        silence_stdout()
        return 0
    except SystemExit:  # click's own EPIPE handler (a pipe broken inside a command) wraps stdout and exits 1
        if type(sys.stdout).__name__ != "_PacifyFlushWrapper":
            raise
        silence_stdout()
        return 0
    except Exception as exc:  # the last line of defence: never a traceback without ADVISOR_DEBUG
        _traceback(debug)
        _say(f"error: unexpected {exc.__class__.__name__}: {exc}; rerun with ADVISOR_DEBUG=1 and report it")
        return 1
    finally:
        restore()


def _refuse_nul(argv: list[str] | None) -> None:
    """A NUL byte (only a caller of main() can pass one; a shell cannot) fits no path: bad input, not a ValueError
    deep inside a write."""
    from ..errors import InputError, clip

    args = list(argv or ())
    i = next((i for i, a in enumerate(args) if "\x00" in a), None)
    if i is not None:
        flag = args[i - 1] if i and args[i - 1].startswith("-") else "argument"
        raise InputError(f"{flag} {clip(args[i], 40)} contains a NUL byte, which no path or name can hold; remove it")


def _flush() -> None:
    import sys

    if sys.stdout is not None and not sys.stdout.closed:
        sys.stdout.flush()  # a broken pipe shows here, inside main, not in the interpreter's last flush


def _say(line: str) -> None:
    import sys

    if sys.stderr is not None and not sys.stderr.closed:
        click.echo(line, err=True)


def _traceback(debug: bool) -> None:
    if debug:
        import traceback

        traceback.print_exc()
