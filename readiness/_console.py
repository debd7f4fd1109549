"""The console on stderr, with rich: where the command line's messages and progress go.

Only the command line imports it, and only once it has something to say: ``--version`` and
``--help`` never load rich.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape

from readiness.destination import detach
from readiness.formats.control_chars import escape_controls


def escape_message(text: str) -> str:
    """Return ``text`` for a console message: no markup read in it, controls shown escaped."""
    return escape(escape_controls(text))


class MessageConsole(Console):
    """The console on stderr: when its reader goes away, it falls silent and the run goes on."""

    def __init__(self) -> None:
        super().__init__(stderr=True, highlight=False, soft_wrap=True)

    def on_broken_pipe(self) -> None:
        """Stop writing to stderr; rich's default would exit 1, which says "the gate failed"."""
        self.quiet = True
        detach(sys.stderr)
