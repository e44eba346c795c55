"""What `--emit-scripts DIR --force` may replace: only a folder the advisor wrote, never a user's.

Every emitted folder carries a marker, `.advisor-scripts.json`, listing the files the advisor wrote. `--force`
replaces a folder only when that marker is there and every file in the folder is one it lists (Python's
`__pycache__` aside), so a converted model, a log or a thesis someone put there is never deleted; and never a
folder that holds the current folder, marked or not.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import InputError

MARKER = ".advisor-scripts.json"


def marker_text(files: list[str]) -> str:
    """The marker's content: who wrote the folder and every file it wrote (relative paths)."""
    return json.dumps({"written_by": "advisor plan --emit-scripts", "files": sorted(files)}, indent=2) + "\n"


def check_target(out_dir: Path, force: bool) -> None:
    """Raise InputError (exit 2) unless writing `out_dir` destroys nothing of the user's."""
    try:
        _check(out_dir, force)
    except OSError as exc:  # a name too long, a folder we may not read: the path is the problem, not the advisor
        raise InputError(f"--emit-scripts {_short(out_dir)}: cannot use this path ({exc.strerror or exc}); "
                         "choose another folder") from None


def _check(out_dir: Path, force: bool) -> None:
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise InputError(f"--emit-scripts {out_dir}: exists and is not a folder; choose another path")
    if not out_dir.is_dir():
        return
    if _holds_cwd(out_dir):
        raise InputError(f"--emit-scripts {out_dir}: holds the current folder, which replacing it would delete; "
                         "choose another folder")
    if not any(out_dir.iterdir()):
        return
    if not force:
        raise InputError(f"--emit-scripts {out_dir}: folder exists and is not empty; choose another folder, or pass "
                         "--force to replace a folder an earlier --emit-scripts wrote")
    listed = _listed(out_dir)
    if listed is None:
        raise InputError(f"--emit-scripts {out_dir}: --force replaces only a folder the advisor wrote, and this one "
                         f"has no {MARKER} marker; choose another folder (nothing was changed)")
    extra = _first_unlisted(out_dir, listed)
    if extra is not None:
        raise InputError(f"--emit-scripts {out_dir}: holds {extra}, which the advisor did not write; move it out or "
                         "choose another folder (nothing was changed)")


def _holds_cwd(out_dir: Path) -> bool:
    try:
        cwd = Path.cwd().resolve()
    except OSError:  # the current folder is already gone: nothing of it to protect
        return False
    target = out_dir.resolve()
    return cwd == target or target in cwd.parents


def _listed(out_dir: Path) -> set[str] | None:
    try:
        data = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return set(files)


def _first_unlisted(out_dir: Path, listed: set[str]) -> str | None:
    """The first file (or link, or anything not a folder) under `out_dir` the marker does not list."""
    for dirpath, dirnames, filenames in os.walk(out_dir, followlinks=False):
        rel_dir = Path(dirpath).relative_to(out_dir)
        in_cache = "__pycache__" in rel_dir.parts
        dirnames.sort()
        for name in list(dirnames):
            if os.path.islink(os.path.join(dirpath, name)):  # os.walk lists links to folders as folders
                return (rel_dir / name).as_posix()
        for name in sorted(filenames):
            rel = (rel_dir / name).as_posix()
            if rel == MARKER or rel in listed or (in_cache and name.endswith(".pyc")):
                continue
            return rel
    return None


def _short(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:60] + "..." + text[-16:]
