"""Run a long child process (an installer, a compiler) and pass on each line it prints."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class StreamedRun:
    """A child process that ran to its end."""

    returncode: int
    """Its exit status (negative: killed by that signal)."""

    lines: tuple[str, ...]
    """Everything it printed on stdout and stderr, interleaved, one line per item."""


def run_streaming(
    argv: Sequence[str | Path],
    *,
    timeout: float,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log: TextIO | None = None,
) -> StreamedRun:
    """Run ``argv``, giving each output line to ``on_line`` (and ``log``) as it comes.

    Raises :class:`OSError` when the program cannot be started and
    :class:`subprocess.TimeoutExpired` after killing it (and its children) at ``timeout``.
    """
    lines: list[str] = []
    # Its own session, so that the kill at the time limit reaches what it started too
    # (make runs compilers; an installer runs build backends).
    process = subprocess.Popen(
        [str(arg) for arg in argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
    )
    timed_out = threading.Event()

    def kill() -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def time_out() -> None:
        timed_out.set()
        kill()

    timer = threading.Timer(timeout, time_out)
    timer.start()
    try:
        # Text mode reads universal newlines: a progress bar redrawn with "\r" arrives as lines.
        for raw in process.stdout or ():
            line = raw.rstrip("\n")
            lines.append(line)
            if log is not None:
                log.write(line + "\n")
            on_line(line)
        returncode = process.wait()
    except BaseException:
        kill()
        process.wait()
        raise
    finally:
        timer.cancel()
        if process.stdout is not None:
            process.stdout.close()
    if timed_out.is_set():
        raise subprocess.TimeoutExpired(
            [str(arg) for arg in argv], timeout, output="\n".join(lines[-15:])
        )
    return StreamedRun(returncode=returncode, lines=tuple(lines))


_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")

_PROGRESS_NOISE = re.compile(
    r"""
      .*[━╸╺]{3}                     # pip's download bar
    | \s*[⠀-⣿]                       # uv's spinner frames (braille)
    | \s*(Resolved|Prepared|Audited|Uninstalled|Installed)\s\d+\spackages?\sin\s  # uv timings
    | Using\sPython\s\S+\senvironment\sat                # uv naming the probe environment
    """,
    re.VERBOSE,
)


def plain_output(lines: Iterable[str]) -> str:
    """Return a child's whole output as one text, colours removed and nothing else."""
    return "\n".join(_ANSI_ESCAPE.sub("", line).rstrip() for line in lines).strip("\n")


def meaningful_lines(lines: Iterable[str]) -> list[str]:
    """Return a child's output lines without colours, blank lines, progress bars and spinners."""
    kept: list[str] = []
    for raw in lines:
        line = _ANSI_ESCAPE.sub("", raw).rstrip()
        if line.strip() and not _PROGRESS_NOISE.match(line):
            kept.append(line)
    return kept


def error_tail(lines: Iterable[str], count: int = 15) -> str:
    """Return the last ``count`` meaningful lines of a child's output.

    Colours, blank lines, progress bars and spinner frames are left out: what is left is
    the reason a user can act on.
    """
    return "\n".join(meaningful_lines(lines)[-count:])
