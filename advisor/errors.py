"""One error tree. The CLI maps each class to an exit code and prints the message on one line."""

from __future__ import annotations


def clip(text: str, width: int = 80) -> str:
    """`text` quoted, shortened in the middle when long, so an error message stays one readable line."""
    return repr(text if len(text) <= width else text[: width - 20] + "..." + text[-16:])


class AdvisorError(Exception):
    """Base class: `str(err)` is a complete one-line message that names the fix."""

    exit_code = 1


class InputError(AdvisorError):
    """Bad input from the user (flags, files, ids). Exit 2."""

    exit_code = 2


class KnowledgeError(AdvisorError):
    """A knowledge or profile file is malformed: names the file, the key and the fix. Exit 2."""

    exit_code = 2


class BackendMissing(AdvisorError):
    """A requested backend is not installed. Exit 3."""

    exit_code = 3

    def __init__(self, backend: str, module: str, hint: str | None = None):
        hint = hint or f"pip install 'advisor[{backend}]' -c requirements/constraints.txt"
        super().__init__(f"backend {backend!r} is not installed (cannot import {module!r}); install it with: {hint}")
        self.backend = backend


class ProbeFailed(AdvisorError):
    """A probe ran but failed (crash, timeout, memory cap). Exit 1 when it is the whole command."""

    exit_code = 1


class RemoteUnavailable(AdvisorError):
    """A remote service a command was asked to use (Qualcomm AI Hub) has no token or cannot be reached. Exit 3,
    like a missing backend: nothing was measured and nothing was written."""

    exit_code = 3
