"""`advisor tui`: the Textual questionnaire."""

from __future__ import annotations

import click


@click.command(epilog="Example:\n  advisor tui")
def tui():
    """Answer questions (device, model, goals) and get a plan, probes and scripts — keyboard first."""
    from ..tui.app import run

    run()


COMMANDS = [tui]
