"""The probe's processes end with readiness, however readiness ends."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.probe.conftest import ProbeVenv, make_venv

pytestmark = [
    pytest.mark.freethreaded,
    pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc"),
]

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
    """The pids of every running descendant of ``pid``, from /proc."""
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
    """Whether a shared library whose path holds ``fragment`` is mapped in ``pid``."""
    try:
        return fragment in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def hung_probe(readiness: subprocess.Popen[str]) -> list[int]:
    """Wait until a probe of ``readiness`` hangs in ft_hang._stall; return its pid in a list."""

    def probes() -> list[int]:
        assert readiness.poll() is None, readiness.communicate()
        return [pid for pid in descendants(readiness.pid) if has_loaded(pid, "_stall.")]

    return wait_for(probes, "the import of ft_hang._stall")


@pytest.fixture(scope="module")
def hang_venv(
    freethreaded_python: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProbeVenv:
    """An environment whose one extension module never finishes its import."""
    return make_venv(
        freethreaded_python, tmp_path_factory.mktemp("hang") / "v", wheelhouse, ["ft-hang"]
    )


def start_scan(venv: ProbeVenv, cache: Path) -> subprocess.Popen[str]:
    """Start ``readiness scan --env`` of ``venv``, with a per-import limit never reached."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "readiness",
            "scan",
            "--env",
            str(venv.python.parent.parent),
            "--offline",
            "--no-cache",
            "--cache-dir",
            str(cache),
            "--import-timeout",
            "3600",
            "--format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def end_leftovers(pids: list[int]) -> None:
    """Kill what a failed test left behind (processes it saw started, by pid)."""
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("number", "returncode"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143)],
    ids=["SIGKILL", "SIGTERM"],
)
def test_a_hung_child_ends_with_readiness(
    hang_venv: ProbeVenv, tmp_path: Path, number: signal.Signals, returncode: int
) -> None:
    readiness = start_scan(hang_venv, tmp_path / "cache")
    seen: list[int] = []
    try:
        hung_probe(readiness)
        seen = descendants(readiness.pid)

        readiness.send_signal(number)
        _, stderr = readiness.communicate(timeout=PATIENCE)

        assert readiness.returncode == returncode, stderr
        if number == signal.SIGTERM:
            assert "readiness: terminated" in stderr
        wait_for(lambda: not any(alive(pid) for pid in seen), f"the end of {seen}")
    finally:
        if readiness.poll() is None:
            readiness.kill()
            readiness.communicate()
        end_leftovers(seen)
