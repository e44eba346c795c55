"""The CLI's environment: the streams it writes to, the terminal width and the debug switch. Whatever these are
(an ASCII locale, a closed or broken stdout, COLUMNS=0), the advisor says so on one line or carries on: it never
shows a traceback or exits 1 because of them."""

from __future__ import annotations

import os
import sys

from ..errors import InputError

MIN_WIDTH = 40


def debug_enabled() -> bool:
    """ADVISOR_DEBUG=1 (or true/yes/on) shows tracebacks; 0, false, no, off and empty do not."""
    return os.environ.get("ADVISOR_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def prepare_streams() -> None:
    """Characters the output encoding cannot hold (PYTHONIOENCODING=ascii, a C locale) become '?' instead of
    raising UnicodeEncodeError half-way through a table."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # a closed or detached stream: writing to it fails later, and says so
                pass


def require_stdout() -> None:
    """A closed stdout (`advisor ... >&-`) is a usage problem, not a crash."""
    if sys.stdout is None or getattr(sys.stdout, "closed", False):
        raise InputError("stdout is closed, so there is nowhere to print; redirect it to a file or /dev/null")


def silence_stdout() -> None:
    """After a broken pipe (`advisor plan | head -1`) point stdout at /dev/null, so the interpreter's final flush
    cannot fail again and turn a reader that stopped early into an error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


def terminal_width() -> int | None:
    """The width rich should use: None (let it ask the terminal) unless COLUMNS is set; a COLUMNS that is not a
    number, or is 0, is ignored; a tiny one is raised to 40 so tables still print."""
    raw = os.environ.get("COLUMNS")
    if raw is None:
        return None
    try:
        cols = int(raw)
    except ValueError:
        return 80
    return 80 if cols <= 0 else max(cols, MIN_WIDTH)


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so probe workers are killed and run folders removed (the
    default action would end the process at once and leave them behind)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def on_termination():
    """Install handlers that raise Terminated in the main thread; returns a function that restores the old ones."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum, frame):
        raise Terminated(signum)

    old = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGHUP)}
    return lambda: [signal.signal(s, h) for s, h in old.items()]
