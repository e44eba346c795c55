"""`advisor calibrate`: rebuild or check the fitted predictor parameters."""

from __future__ import annotations

import click

from .output import output_options


@click.command(epilog="""\b
Examples:
  advisor calibrate --check
  advisor calibrate --rebuild""")
@click.option("--rebuild", is_flag=True, help="Refit on knowledge/data/*.csv and rewrite advisor/data/calibration.json.")
@click.option("--check", is_flag=True, help="Exit 1 if the shipped file differs from a rebuild.")
@output_options()
def calibrate(rebuild, check, out):
    """Fit the speed, quality and size predictors on the public measurements (deterministic, offline; about a minute of both cores on a 2-core machine)."""
    from .. import fit, paths

    if rebuild == check:
        raise click.UsageError("give exactly one of --rebuild and --check")
    import json

    text = fit.dumps(fit.build())
    if rebuild:
        from ..atomic import write_text_atomic

        write_text_atomic(paths.CALIBRATION_FILE, text)
    current = paths.CALIBRATION_FILE.read_text(encoding="utf-8") if paths.CALIBRATION_FILE.exists() else ""
    try:
        same = current == text or fit.same(json.loads(current), json.loads(text))
    except ValueError:
        same = False
    result = {"file": str(paths.CALIBRATION_FILE), "up_to_date": same}
    out.show(result, human=lambda r: click.echo(
        f"{r['file']}: {'up to date' if r['up_to_date'] else 'DIFFERS from a rebuild: run advisor calibrate --rebuild'}"))
    if check and not same:
        raise click.exceptions.Exit(1)


COMMANDS = [calibrate]
