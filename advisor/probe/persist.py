"""Store glue: a probe result saved, or returned with a note when the store cannot take it, and the run logs tidied.
A measurement is never lost because of where it is kept."""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import AdvisorError
from . import store
from .spec import ProbeResult

log = logging.getLogger(__name__)


def save_result(res: ProbeResult) -> ProbeResult:
    """Save a result; when the store cannot take it (full disk, unwritable folder) the measurement is still
    returned, with a note saying it was not stored and why."""
    try:
        return store.save(res)
    except AdvisorError as exc:
        log.warning("%s", exc)
        m = res.measured.model_copy(update={"notes": [*res.measured.notes, f"not stored: {exc}"]})
        return res.model_copy(update={"measured": m})


def tidy_logs(logs: Path, run_id: str, keep: bool, keep_failed: int = 20) -> None:
    """A successful run's logs go; a failed run's stay (its reason names them), the newest `keep_failed` runs'."""
    try:
        if not keep:
            for f in logs.glob(f"{run_id}-*.log"):
                f.unlink()
            return
        failed = sorted(logs.glob("*.log"), key=lambda f: f.stat().st_mtime)
        runs = list(dict.fromkeys(f.name.split("-")[0] for f in reversed(failed)))
        old = set(runs[keep_failed:])
        for f in failed:
            if f.name.split("-")[0] in old:
                f.unlink()
    except OSError as exc:  # tidying is best effort: a log left behind is not worth failing a probe for
        log.debug("could not tidy %s: %s", logs, exc)
