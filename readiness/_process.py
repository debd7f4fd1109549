"""Run a short child process to its end and read what it printed: one set of settings for all.

No standard input (a child that asks a question must fail, not hang), text decoded with
replacement (a stray byte is no crash), both streams captured, a time limit on every run, and
the two ways a run can fail before it has an exit status (the program cannot be started, it
outlives its time) turned into the caller's own error, with a message naming what ran.
A long child whose lines are shown as they come runs through :mod:`readiness._stream` instead.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def clean_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return ``environ`` (default: ours) without any ``PYTHON*`` variable.

    ``PYTHON_GIL=0`` would hide a re-enabled GIL and ``PYTHONPATH`` would change what
    start-up imports; a child that must report the interpreter as it is gets neither.
    """
    source = os.environ if environ is None else environ
    return {key: value for key, value in source.items() if not key.startswith("PYTHON")}


def run_captured(
    argv: Sequence[str | Path],
    *,
    timeout: float,
    error: Callable[[str], Exception],
    what: str | None = None,
    task: str = "finish",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to its end and return it, whatever its exit status.

    ``what`` names it in messages (default: the program); ``env`` replaces our environment;
    ``cwd`` is where it runs (default: here).
    Raises ``error("<what> cannot be run: <why>")`` when the program cannot be started, and
    ``error("<what> did not <task> within <timeout> s")`` after killing it at ``timeout``.
    """
    named = what if what is not None else str(argv[0])
    try:
        return subprocess.run(
            [str(arg) for arg in argv],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise error(f"{named} did not {task} within {timeout:.0f} s") from e
    except OSError as e:
        raise error(f"{named} cannot be run: {e.strerror or e}") from e
