"""Ask an interpreter what it is, and refuse every one that is not a free-threaded CPython."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from readiness._cache import RecordStore
from readiness._process import clean_environment, run_captured
from readiness.interpreter.interface import Interpreter, InterpreterError

INSPECT_TIMEOUT = 30.0
"""Seconds an interpreter may take to describe itself (a cold start on a slow disk is ~1 s)."""

_CHILD = Path(__file__).with_name("_inspect_child.py")

FREE_THREADED_SINCE = (3, 13)
"""The first CPython with a free-threaded build (PEP 703, "What's New In Python 3.13")."""


DESCRIPTIONS_FOLDER = "interpreters"
"""Where in the cache directory what each interpreter said of itself is kept."""

DESCRIPTIONS_FORMAT = 1
"""The layout of a kept description: bumped when :class:`Interpreter` changes."""


def inspect_interpreter(executable: Path, *, cache_dir: Path | None = None) -> Interpreter:
    """Return what ``executable`` reports of itself, run on the inspection script.

    With ``cache_dir``, the description is kept there under the executable's path and the
    size and modification time of the file it resolves to: the same interpreter is not run
    again until it is replaced (an upgrade in place changes both).

    Raises :class:`InterpreterError` naming ``executable`` when it is not a Python that
    can describe itself: not a program, a crash, a time-out, or output that is not the
    expected JSON.
    """
    store = (
        None
        if cache_dir is None
        else RecordStore(cache_dir / DESCRIPTIONS_FOLDER, Interpreter, DESCRIPTIONS_FORMAT)
    )
    key = _identity(executable) if store is not None else None
    if store is not None and key is not None:
        kept = store.load(store.key(*key))
        if kept is not None:
            return kept
    described = _describe(executable)
    if store is not None and key is not None:
        store.store(store.key(*key), described)
    return described


def _identity(executable: Path) -> tuple[str, str, int, int] | None:
    """Return what identifies the interpreter at ``executable``; None if it cannot be read."""
    try:
        real = executable.resolve()
        found = real.stat()
    except (OSError, RuntimeError):
        return None
    return str(executable.absolute()), str(real), found.st_size, found.st_mtime_ns


def _describe(executable: Path) -> Interpreter:
    completed = run_captured(
        [executable, "-I", _CHILD],
        timeout=INSPECT_TIMEOUT,
        error=InterpreterError,
        what=str(executable),
        task="describe itself",
        env=clean_environment(),
    )
    if completed.returncode != 0:
        raise InterpreterError(_failure_message(executable, completed))
    try:
        return _parse_description(executable, completed.stdout)
    except (ValueError, KeyError, TypeError) as e:
        raise InterpreterError(
            f"{executable} is not a Python interpreter readiness can inspect: it printed "
            f"{_excerpt(completed.stdout)!r} where a description was expected"
        ) from e


def _failure_message(executable: Path, completed: subprocess.CompletedProcess[str]) -> str:
    stderr = completed.stderr.strip()
    if "SyntaxError" in stderr or "Unknown option: -I" in stderr:
        # The script needs 3.8 (annotations future import); -I arrived in 3.4.
        return (
            f"{executable} is a Python too old to inspect (readiness needs CPython 3.13t or newer)"
        )
    if completed.returncode < 0:
        how = f"was killed by signal {-completed.returncode}"
    else:
        how = f"exited with status {completed.returncode}"
    detail = f": {_excerpt(stderr)}" if stderr else ""
    return f"{executable} is not a working Python interpreter: it {how}{detail}"


def _excerpt(text: str, limit: int = 300) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    tail = " | ".join(lines[-3:])
    return tail if len(tail) <= limit else tail[: limit - 3] + "..."


def _parse_description(executable: Path, stdout: str) -> Interpreter:
    # The last line: a sitecustomize that prints at start-up comes before it.
    lines = stdout.strip().splitlines()
    data = json.loads(lines[-1] if lines else "")
    if not isinstance(data, dict):
        raise TypeError("the description is not an object")
    major, minor, micro = (int(part) for part in data["version"])
    markers = data["marker_environment"]
    if not isinstance(markers, dict):
        raise TypeError("marker_environment is not an object")
    return Interpreter(
        executable=executable,
        version=(major, minor, micro),
        implementation=str(data["implementation"]),
        gil_disabled_build=bool(data["gil_disabled_build"]),
        gil_enabled_at_start=bool(data["gil_enabled_at_start"]),
        abi_tag=str(data["abi_tag"]),
        platform=str(data["platform"]),
        ext_suffix=str(data["ext_suffix"]),
        marker_environment={str(key): str(value) for key, value in markers.items()},
        build_info=str(data.get("build_info", "")),
    )


def install_hint(version: tuple[int, int] | None = None) -> str:
    """Return how to get a free-threaded CPython, for the version given (default 3.14)."""
    tag = f"{version[0]}.{version[1]}t" if version else "3.14t"
    plain = tag[:-1]
    # NOTE: python.org's Windows and macOS installers install the free-threaded build as an
    # option ("Download free-threaded binaries" / "Free-threaded Python"); Debian and Ubuntu
    # package it as pythonX.Y-nogil (https://docs.python.org/3/using/configure.html and
    # https://py-free-threading.github.io/installing-cpython/).
    return (
        f"install a free-threaded CPython with `readiness python install {tag}` or "
        f"`uv python install {tag}`, or tick the free-threaded option of the python.org "
        f"installer, or `apt install python{plain}-nogil` where your distribution packages it; "
        f"then pass `--python python{tag}`"
    )


def require_free_threaded(interp: Interpreter) -> Interpreter:
    """Return ``interp`` if it is a free-threaded CPython that starts with the GIL off.

    Raises :class:`InterpreterError` saying what it is instead, with a hint on getting one.
    """
    where = interp.executable
    if interp.implementation != "cpython":
        raise InterpreterError(
            f"{where} is {interp.implementation} {interp.version_string}, not CPython: the "
            "free-threaded build readiness probes is CPython's",
            hint=install_hint(),
        )
    if interp.version[:2] < FREE_THREADED_SINCE:
        raise InterpreterError(
            f"{where} is CPython {interp.version_string}, which has no free-threaded build "
            "(free-threading arrived in 3.13)",
            hint=install_hint(),
        )
    if not interp.gil_disabled_build:
        major, minor, _ = interp.version
        raise InterpreterError(
            f"{where} is CPython {interp.version_string} with the GIL (the default build), not "
            f"the free-threaded {major}.{minor}t build",
            hint=install_hint((major, minor)),
        )
    if interp.gil_enabled_at_start:
        raise InterpreterError(
            f"{where} is a free-threaded CPython {interp.version_string}, but its GIL is "
            "already enabled right after start-up in a clean environment: something imported "
            "at start-up (a .pth file or sitecustomize in its site-packages) re-enabled it",
            hint="remove the .pth file or sitecustomize that imports an extension module, or "
            "use a fresh install of the free-threaded interpreter",
        )
    return interp
