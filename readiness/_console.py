"""The console on stderr: where the command line's messages and progress go.

Messages are written in rich's markup (``[bold red]error:[/]``). On a terminal they go
through rich. Anywhere else (a CI log, pre-commit's capture, a pipe) rich would write the
same characters without their styles, so :class:`PlainConsole` writes them itself: a warm
scan then never imports rich, which is a tenth of its time. ``--version`` and ``--help`` load
neither.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, Protocol, TextIO

from readiness.formats.control_chars import escape_controls

if TYPE_CHECKING:
    from rich.console import Console

# rich's markup (rich.markup): a tag is ``[`` a lower-case letter, ``#``, ``/`` or ``@``,
# up to the next ``]`` without a ``[`` between; an odd number of backslashes before it
# makes it text, each pair of them one backslash.
_TAG = re.compile(r"(\\*)\[([a-z#/@][^[]*?)]")
STRIPPED_CONTROLS = dict.fromkeys(map(ord, "\a\b\v\f\r"))
"""The controls rich drops from printed text (``rich.control.strip_control_codes``)."""
TAB_SIZE = 8
"""The columns rich's console expands a tab to."""


class MessageConsole(Protocol):
    """What the commands write their messages through: rich's console, or the plain one."""

    @property
    def is_terminal(self) -> bool:
        """Whether the messages reach a terminal (which gets colours and a progress bar)."""

    @property
    def file(self) -> IO[str]:
        """The stream the messages are written to."""

    def print(
        self,
        *objects: Any,
        end: str = "\n",
        markup: bool | None = None,
        highlight: bool | None = None,
    ) -> None:
        """Write ``objects`` (markup, unless ``markup`` is False) and ``end``."""

    def input(self, prompt: str = "") -> str:
        """Show ``prompt``; return the line the user types."""


def open_console() -> MessageConsole:
    """Return the console for stderr: rich's where it has styles to show, else the plain one.

    rich's own test decides: ``TTY_COMPATIBLE``, then ``FORCE_COLOR``, then whether stderr
    is a terminal.
    """
    if _styled(sys.stderr, os.environ):
        return rich_console()
    return PlainConsole(sys.stderr)


def _styled(stream: TextIO, environ: Mapping[str, str]) -> bool:
    compatible = environ.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = environ.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no stream, or a closed one
        return False


def escape_message(text: str) -> str:
    """Return ``text`` for a console message: no markup read in it, controls shown escaped."""
    return escape_markup(escape_controls(text))


def escape_markup(text: str) -> str:
    """Return ``text`` with what rich would read as a tag escaped (``rich.markup.escape``)."""
    # Each backslash before a tag doubled, and one more: the tag is then text.
    escaped = _TAG.sub(lambda match: f"{match[1] * 2}\\{match[0][len(match[1]) :]}", text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        return escaped + "\\"
    return escaped


def plain_text(markup: str) -> str:
    """Return what rich prints of ``markup`` where there are no styles: the tags left out."""
    if "[" not in markup:
        return markup
    parts: list[str] = []
    position = 0
    for match in _TAG.finditer(markup):
        parts.append(markup[position : match.start()].replace("\\[", "["))
        backslashes, escaped = divmod(len(match[1]), 2)
        parts.append("\\" * backslashes)
        if escaped:
            parts.append(match[0][len(match[1]) :])
        position = match.end()
    parts.append(markup[position:].replace("\\[", "["))
    return "".join(parts)


class PlainConsole:
    """Messages as plain text, for a log: what rich writes where it shows no styles."""

    is_terminal = False

    def __init__(self, file: TextIO) -> None:
        self.file = file
        self.quiet = False

    def print(
        self,
        *objects: Any,
        end: str = "\n",
        markup: bool | None = None,
        highlight: bool | None = None,
    ) -> None:
        """Write ``objects``, separated by a space, without their markup, then ``end``."""
        if self.quiet:
            return
        text = " ".join(str(item) for item in objects)
        if markup is not False:
            text = plain_text(text)
        text = text.translate(STRIPPED_CONTROLS).expandtabs(TAB_SIZE)
        try:
            self.file.write(text + end)
            self.file.flush()
        except BrokenPipeError:
            # As the rich console does: the reader went away, the run goes on silently.
            from readiness.destination import detach

            self.quiet = True
            detach(self.file)

    def input(self, prompt: str = "") -> str:
        """Write ``prompt``; return the line read from stdin."""
        self.print(prompt, end="")
        return input()


def rich_console() -> Console:
    """Return rich's console on stderr: it falls silent when its reader goes away."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """Stop writing to stderr; rich's default would exit 1 ("the gate failed")."""
            from readiness.destination import detach

            self.quiet = True
            detach(sys.stderr)

    return _Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)
