"""Terminal progress for probes: a rich spinner on stderr naming the current step, and the measured-vs-predicted
table `plan --probe` prints when it is done. Nothing here runs a probe."""

from __future__ import annotations


class progress_steps:
    """Rich progress on stderr (or nothing); `with progress_steps(enabled) as step: step("converting")`."""

    def __init__(self, enabled: bool):
        self.enabled, self.p, self.task = enabled, None, None

    def __enter__(self):
        if not self.enabled:
            return lambda msg: None
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.p = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                          console=Console(stderr=True), transient=True)
        self.p.__enter__()
        self.task = self.p.add_task("probing", total=None)
        return lambda msg: self.p.update(self.task, description=msg)

    def __exit__(self, *exc):
        if self.p:
            self.p.__exit__(*exc)
        return False


def show_comparison(cands) -> None:
    """The probed candidates, measured next to predicted, on stderr (stdout carries the plan)."""
    from rich.console import Console

    from .report import comparison_table

    Console(stderr=True).print(comparison_table(cands))
