"""Progress, reported by the core through a small interface so that it never imports rich."""

from __future__ import annotations


class Progress:
    """Receives progress from a long step; the base class ignores it all.

    The command line passes a rich implementation when stderr is a terminal.
    """

    def start(self, phase: str, total: int | None = None) -> None:
        """Begin ``phase`` (``installing``, ``probing``), of ``total`` steps if known."""

    def advance(self, description: str | None = None, steps: int = 1) -> None:
        """Mark ``steps`` steps of the current phase done; ``description`` names the next."""

    def message(self, text: str) -> None:
        """Show one line of what a child process (installer, compiler) is doing."""

    def finish(self) -> None:
        """End the current phase."""
