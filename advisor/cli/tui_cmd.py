"""`advisor tui`: the Textual questionnaire."""

from __future__ import annotations

import click


@click.command(epilog="Example:\n  advisor tui")
def tui():
    """Answer questions (device, model, goals) and get a plan, probes and scripts — keyboard first."""
    from ..errors import AdvisorError, InputError

    if not interactive():
        raise InputError("advisor tui needs an interactive terminal on stdin and stdout (it would wait for keys "
                         "forever); run it in a terminal, or use `advisor plan ... --json` in scripts and pipes")
    from ..tui import app as tui_app

    app = tui_app.build_app()
    app.run()
    if app.return_code:  # the app stopped on an error it could not show inline: never report success
        raise AdvisorError(f"the tui stopped on an unexpected error (exit {app.return_code}); rerun with "
                           "ADVISOR_DEBUG=1 and report it")


def interactive() -> bool:
    import sys

    return all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout))


COMMANDS = [tui]
