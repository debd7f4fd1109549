"""Progress on a terminal, with rich: the command line's implementation of Progress."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichBar

from readiness._state import Progress
from readiness.formats.control_chars import escape_controls


class RichProgress(Progress):
    """Draw each phase as a bar (or a spinner, when its length is unknown) on stderr."""

    def __init__(self, console: Console) -> None:
        self._bar = RichBar(
            SpinnerColumn(),
            TextColumn("[bold]{task.fields[phase]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}", style="dim"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task: TaskID | None = None

    def start(self, phase: str, total: int | None = None) -> None:
        """Begin a phase: a bar of ``total`` steps, or a spinner."""
        self.finish()
        self._bar.start()
        self._task = self._bar.add_task("", total=total, phase=phase)

    def advance(self, description: str | None = None, steps: int = 1) -> None:
        """Advance the bar and show what comes next."""
        if self._task is None:
            return
        if description:
            self._bar.update(self._task, advance=steps, description=description)
        else:
            self._bar.update(self._task, advance=steps)

    def message(self, text: str) -> None:
        """Show a child process's latest line beside the bar."""
        if self._task is not None:
            # An installer's line is a stranger's text: no markup read in it, controls escaped.
            line = escape(escape_controls(text.strip()[:80]))
            self._bar.update(self._task, description=line)

    def finish(self) -> None:
        """Remove the bar."""
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._task = None
        self._bar.stop()
