"""The root of the error hierarchy (each layer derives its own base from it), and exit codes."""

from __future__ import annotations

from pathlib import Path

# The exit codes: the gate passed, the gate failed, and the error boundary's.
EXIT_READY = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
"""128 + SIGTERM: what a shell reports for a program that SIGTERM ended, and so what users of
pip or pytest (which leave SIGTERM's default action in place) see when a CI job is cancelled."""


class ReadinessError(Exception):
    """Raised when a scan cannot go on; every error readiness raises derives from it.

    ``hint`` is one sentence telling the user what to do about it.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(ReadinessError):
    """Raised when a file or argument given by the user is not what readiness expected.

    The message names the file and, where it is known, the line.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.path = Path(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        if self.path is None:
            return self.message
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.message}"
