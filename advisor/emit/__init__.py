"""Generated scripts: one self-contained, runnable folder per plan candidate.

`emit_plan_scripts(plan, out_dir)` renders every candidate's folder into a temp directory beside `out_dir` and
renames it into place, so a failure leaves nothing half-written; an existing folder is replaced only with force and
only when an earlier emit wrote it (guard.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import InputError
from ..schemas import Plan
from .guard import MARKER, check_target, marker_text
from .render import render_candidate, render_index

log = logging.getLogger(__name__)

__all__ = ["emit_plan_scripts", "write_tree"]


def emit_plan_scripts(plan: Plan, out_dir: Path, force: bool = False) -> Plan:
    """Write one folder per candidate into `out_dir`; return the plan with each candidate's `script` set."""
    out_dir = Path(out_dir)
    files: dict[str, tuple[str, int]] = {}
    folders: list[str] = []
    for rank, cand in enumerate(plan.candidates, 1):
        folder, rendered = render_candidate(plan, cand, rank)
        folders.append(folder)
        files.update({f"{folder}/{name}": body for name, body in rendered.items()})
    files["README.md"] = (render_index(plan, folders), 0o644)
    files[MARKER] = (marker_text(list(files)), 0o644)
    write_tree(out_dir, files, force=force)
    cands = [c.model_copy(update={"script": str(out_dir / f)}) for c, f in zip(plan.candidates, folders)]
    log.info("wrote %d script folders into %s", len(folders), out_dir)
    return plan.model_copy(update={"candidates": cands})


def write_tree(out_dir: Path, files: dict[str, tuple[str, int]], force: bool = False) -> None:
    """Write `{relative path: (text, mode)}` as `out_dir`, all or nothing.

    Files go into a temp folder beside `out_dir` (same file system), which is then renamed into place. An existing
    non-empty `out_dir` is moved aside only with `force`, only when the advisor wrote it (see guard.py), and deleted
    once the new one is in place.
    """
    from ..atomic import write_text_atomic

    out_dir = Path(out_dir)
    check_target(out_dir, force)
    parent = out_dir.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise InputError(f"--emit-scripts {out_dir}: cannot create a folder there ({e.strerror}); "
                         "choose a writable path") from e
    old: Path | None = None
    try:
        for rel, (text, mode) in sorted(files.items()):
            write_text_atomic(tmp / rel, text, mode=mode)
        os.chmod(tmp, 0o755)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=parent))
            os.replace(out_dir, old / "x")
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None and (old / "x").exists() and not out_dir.exists():
            os.replace(old / "x", out_dir)  # put the user's folder back
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
