"""The command line's progress: a rich bar on a terminal, plain lines in a log."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

from readiness._console import escape_message
from readiness._state import Progress
from readiness.formats.control_chars import escape_controls

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID


class RichProgress(Progress):
    """Draw each phase as a bar (or a spinner, when its length is unknown) on stderr."""

    def __init__(self, console: Console) -> None:
        # Imported here: rich's bar (and its spinners' table) is for a terminal only.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichBar

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
            line = escape_message(text.strip()[:80])
            self._bar.update(self._task, description=line)

    def finish(self) -> None:
        """Remove the bar."""
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._task = None
        self._bar.stop()


# What an installer says when it starts and ends a build from source: uv's "Building
# pillow==10.4.0" / "Built pillow==10.4.0", pip's "Building wheel for pillow (pyproject.toml)"
# and "Created wheel for pillow: ...".
_BUILD_STARTS = re.compile(
    r"^\s*(?:Building (?P<uv>[A-Za-z0-9][\w.-]*)(?:==(?P<version>\S+)| @ \S+)"
    r"|Building wheel for (?P<pip>[A-Za-z0-9][\w.-]*) )"
)
_BUILD_ENDS = re.compile(
    r"^\s*(?:Built (?P<uv>[A-Za-z0-9][\w.-]*)(?:==| @ )|Created wheel for (?P<pip>[\w.-]+):)"
)


class PlainProgress(Progress):
    """Progress as plain lines, for a log (CI): one per phase and per build from source.

    Every phase says when it starts and how long it took; a build from source says what it
    builds and how long that took; a phase silent for ``heartbeat`` seconds says it is still
    at work, so that a log never sits silent for a minute.
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        heartbeat: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._heartbeat = heartbeat
        self._clock = clock
        self._phase: str | None = None
        self._started = 0.0
        self._builds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._quiet = threading.Event()
        self._said = 0.0
        self._watch: threading.Thread | None = None

    def start(self, phase: str, total: int | None = None) -> None:
        """Say that ``phase`` begins (with its number of steps, when known)."""
        self.finish()
        with self._lock:
            self._phase, self._started = phase, self._clock()
            self._builds.clear()
            self._quiet.clear()
            self._say(f"{phase}" + (f" ({total})" if total is not None else "") + "...")
        self._watch = threading.Thread(target=self._beat, name="readiness-progress", daemon=True)
        self._watch.start()

    def message(self, text: str) -> None:
        """Say when a build from source starts, and when it ends, with its time."""
        if (started := _BUILD_STARTS.match(text)) is not None:
            name = started["uv"] or started["pip"]
            version = f" {started['version']}" if started["version"] else ""
            with self._lock:
                self._builds[name.lower()] = self._clock()
                self._say(f"  building {name}{version} from source...")
        elif (ended := _BUILD_ENDS.match(text)) is not None:
            name = ended["uv"] or ended["pip"]
            with self._lock:
                began = self._builds.pop(name.lower(), None)
                took = f" in {self._clock() - began:.1f} s" if began is not None else ""
                self._say(f"  built {name}{took}")

    def finish(self) -> None:
        """Say how long the phase took."""
        with self._lock:
            if self._phase is None:
                return
            phase, self._phase = self._phase, None
            self._quiet.set()
            self._say(f"{phase}: done in {self._clock() - self._started:.1f} s")
        if self._watch is not None:
            self._watch.join()
            self._watch = None

    def _say(self, line: str) -> None:
        # Called with the lock held. A log that cannot be written must not stop the scan.
        self._said = self._clock()
        with contextlib.suppress(OSError, ValueError):
            self._stream.write(escape_controls(line) + "\n")
            self._stream.flush()

    def _beat(self) -> None:
        while not self._quiet.wait(self._heartbeat / 4):
            with self._lock:
                now = self._clock()
                if self._phase is not None and now - self._said >= self._heartbeat:
                    self._say(f"{self._phase}: still at work, {now - self._started:.0f} s")
