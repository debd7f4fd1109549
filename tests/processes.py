"""What the tests learn of real processes from /proc (Linux): who started whom, who still runs."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import pytest

HAS_PROC = Path("/proc/self/maps").exists()
"""Whether this system has a Linux /proc to read."""

PATIENCE = 120.0
"""How long a test waits for something that takes a moment (not a measure of speed)."""

T = TypeVar("T")


def wait_for(what: Callable[[], T], description: str) -> T:
    """Return ``what()`` once it is true; fail after a generous PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"waited {PATIENCE:g} s for {description}")
        time.sleep(0.05)


def descendants(pid: int) -> list[int]:
    """The pids of every descendant of ``pid``, from /proc."""
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                pending.append(child)
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (a zombie has ended)."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the parenthesized command name, which may itself hold spaces.
    return stat_line.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def has_loaded(pid: int, fragment: str) -> bool:
    """Whether a file whose path holds ``fragment`` is mapped in ``pid`` (a shared library)."""
    try:
        return fragment in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def end_leftovers(pids: Iterable[int]) -> None:
    """Kill what a failed test left behind: processes it saw started, by pid."""
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
