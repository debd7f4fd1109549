"""Find a free-threaded CPython: on PATH, managed by uv or pyenv, or provisioned by readiness."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from readiness._errors import InputError
from readiness._process import run_captured
from readiness._uv import find_uv
from readiness.interpreter.inspect import inspect_interpreter, require_free_threaded
from readiness.interpreter.interface import Interpreter, InterpreterError

logger = logging.getLogger(__name__)

PREFERRED_MINORS = (14, 15, 13)
"""Minor versions of 3.x looked for without a request, in order: the current release first,
then the next one, then the first release with a free-threaded build."""

FIRST_FREE_THREADED_MINOR = 13
"""3.13 is the first CPython with a free-threaded build (PEP 703)."""

UV_FIND_TIMEOUT = 15.0
"""Seconds ``uv python find`` may take: it inspects every interpreter it meets."""

COMPLETION_MARKER = ".readiness-complete"
"""The file ``readiness python install`` writes last into an interpreter it provisioned:
JSON ``{"version": "3.13.5", "executable": "bin/python3.13t"}``."""

_VERSION_REQUEST = re.compile(r"(?P<major>\d+)\.(?P<minor>\d+)(?P<t>t?)")


def parse_version_request(request: str) -> tuple[int, int]:
    """Return ``(3, 14)`` for ``3.14t``.

    Raises :class:`InputError` for anything else, ``3.14`` included: that names the
    default build, which has the GIL, and readiness never probes with it.
    """
    match = _VERSION_REQUEST.fullmatch(request.strip())
    if match is None:
        raise InputError(
            f"{request!r} is not a free-threaded CPython version",
            hint="give major.minor followed by t, like 3.14t, or a path to an interpreter",
        )
    major, minor = int(match["major"]), int(match["minor"])
    if not match["t"]:
        raise InputError(
            f"{request} is the default build of CPython, which has the GIL; did you mean "
            f"{major}.{minor}t?",
            hint=f"readiness probes free-threaded builds only: pass {major}.{minor}t",
        )
    if major != 3 or minor < FIRST_FREE_THREADED_MINOR:
        raise InputError(
            f"there is no free-threaded CPython {major}.{minor}: the first is 3.13t",
            hint="pass 3.14t, 3.15t or 3.13t",
        )
    return major, minor


def is_version_request(request: str) -> bool:
    """Return True when ``request`` is a version (``3.14t``), False for a path or a command."""
    return request[:1].isdigit() and os.sep not in request


@dataclass(frozen=True)
class _Refusal:
    executable: Path
    reason: str


def find_interpreter(request: str | None, *, cache_dir: Path) -> Interpreter:
    """Return a proven free-threaded CPython.

    ``request`` is a path (or a command on PATH) to use that interpreter only, a version
    (``3.14t``) to accept only that version, or None for the first of 3.14t, 3.15t, 3.13t.
    Candidates come from PATH, uv's installs, pyenv, what ``readiness python install``
    provisioned in ``cache_dir``, and last ``uv python find``. Each is inspected and must be
    a free-threaded build that starts with the GIL off.

    Raises :class:`InterpreterError` (saying why each candidate was refused) when none is,
    and :class:`InputError` for a request that is not a free-threaded version.
    """
    if request is not None and not is_version_request(request):
        executable = _executable_for_path(request)
        return require_free_threaded(inspect_interpreter(executable, cache_dir=cache_dir))

    minors = (parse_version_request(request)[1],) if request is not None else PREFERRED_MINORS
    refused: list[_Refusal] = []
    seen: set[Path] = set()
    for candidate in _candidates(minors, cache_dir=cache_dir):
        real = Path(os.path.realpath(candidate))
        if real in seen:
            continue
        seen.add(real)
        try:
            interpreter = require_free_threaded(inspect_interpreter(candidate, cache_dir=cache_dir))
        except InterpreterError as error:
            logger.debug("refused %s: %s", candidate, error)
            refused.append(_Refusal(candidate, error.message))
            continue
        if interpreter.version[:2] not in {(3, minor) for minor in minors}:
            refused.append(
                _Refusal(candidate, f"is CPython {interpreter.version_tag}, not the one asked for")
            )
            continue
        return interpreter
    raise _none_found(request, minors, refused, cache_dir)


def _executable_for_path(request: str) -> Path:
    path = Path(request).expanduser()
    if path.exists():
        return path
    # A bare name (python3.14t) is a command to look up, as a shell would.
    if os.sep not in request:
        found = shutil.which(request)
        if found is not None:
            return Path(found)
    raise InterpreterError(
        f"{request}: no such interpreter",
        hint="pass the path of a free-threaded python executable, or a version like 3.14t",
    )


def _none_found(
    request: str | None, minors: Sequence[int], refused: list[_Refusal], cache_dir: Path
) -> InterpreterError:
    names = ", ".join(f"python3.{minor}t" for minor in minors)
    what = f"CPython {request}" if request else "CPython (3.14t, 3.15t or 3.13t)"
    lines = [
        f"no free-threaded {what} found: looked for {names} on PATH, in uv's interpreters, "
        f"in pyenv's versions and in {cache_dir / 'python'}"
    ]
    lines += [f"  refused {item.executable}: {item.reason}" for item in refused]
    version = request or f"3.{PREFERRED_MINORS[0]}t"
    return InterpreterError(
        "\n".join(lines),
        hint=f"provision one with `readiness python install {version}`, or pass "
        "--python with the path of a free-threaded interpreter",
    )


def _candidates(minors: Sequence[int], *, cache_dir: Path) -> Iterator[Path]:
    """Yield executables that may be the interpreter wanted, best first, lazily.

    Every source but the last is a look at the file system; ``uv python find``, which
    starts every interpreter it meets on PATH to ask what it is, is asked only when none
    of them has one.
    """
    yield from on_path(minors)
    yield from installed_by_uv(minors, uv_python_dir())
    yield from managed_by_pyenv(minors, pyenv_root())
    yield from provisioned(minors, cache_dir)
    yield from managed_by_uv(minors)


def on_path(minors: Sequence[int]) -> Iterator[Path]:
    """Yield ``python3.Mt`` for each minor ``M`` that is on PATH."""
    for minor in minors:
        found = shutil.which(f"python3.{minor}t")
        if found is not None:
            yield Path(found)


def managed_by_uv(minors: Sequence[int]) -> Iterator[Path]:
    """Yield what ``uv python find 3.Mt`` answers, where uv is installed.

    uv failing (not installed, nothing found, broken) is not an error: the next source is tried.
    """
    uv = find_uv()
    if uv is None:
        return
    for minor in minors:
        found = uv_python_find(uv, f"3.{minor}t")
        if found is not None:
            yield found


def uv_python_dir() -> Path:
    """Return the folder uv installs interpreters into, as uv finds it.

    ``$UV_PYTHON_INSTALL_DIR``, else ``python`` in uv's persistent data folder:
    ``$XDG_DATA_HOME/uv``, ``~/.local/share/uv``, or ``uv/data`` in ``%APPDATA%`` on Windows.
    """
    configured = os.environ.get("UV_PYTHON_INSTALL_DIR")
    if configured:
        return Path(configured).expanduser()
    if os.name == "nt" and os.environ.get("APPDATA"):
        return Path(os.environ["APPDATA"]) / "uv" / "data" / "python"
    data = os.environ.get("XDG_DATA_HOME")
    base = Path(data) if data and Path(data).is_absolute() else Path.home() / ".local" / "share"
    return base / "uv" / "python"


_UV_INSTALL = re.compile(r"cpython-3\.(?P<minor>\d+)\.(?P<micro>\d+)\S*\+freethreaded-.+")


def installed_by_uv(minors: Sequence[int], root: Path) -> Iterator[Path]:
    """Yield uv's free-threaded installs in ``root``, newest first (no process is started).

    uv names them ``cpython-3.14.0+freethreaded-linux-x86_64-gnu/bin/python3.14t``.
    """
    found: list[tuple[int, int, Path]] = []
    for folder in root.glob("cpython-3.*+freethreaded-*"):
        match = _UV_INSTALL.fullmatch(folder.name)
        if match is None or int(match["minor"]) not in minors:
            continue
        minor = int(match["minor"])
        for executable in (
            folder / "bin" / f"python3.{minor}t",
            folder / f"python3.{minor}t.exe",
        ):
            if executable.is_file():
                found.append((minors.index(minor), -int(match["micro"]), executable))
                break
    for *_, executable in sorted(found):
        yield executable


def uv_python_find(uv: Path, request: str) -> Path | None:
    """Return the interpreter ``uv python find REQUEST`` names; None when it names none.

    uv failing (nothing found, broken, too slow) is logged, not raised.
    """
    # --no-project: a project's .python-version or requires-python must not narrow it.
    try:
        completed = run_captured(
            [uv, "python", "find", "--no-project", request],
            timeout=UV_FIND_TIMEOUT,
            error=InterpreterError,
            what=f"uv python find {request}",
        )
    except InterpreterError as error:
        logger.debug("%s", error)
        return None
    lines = completed.stdout.strip().splitlines()
    return Path(lines[-1].strip()) if completed.returncode == 0 and lines else None


def pyenv_root() -> Path:
    """Return ``$PYENV_ROOT``, else ``~/.pyenv`` (pyenv's own default)."""
    configured = os.environ.get("PYENV_ROOT")
    return Path(configured).expanduser() if configured else Path.home() / ".pyenv"


_PYENV_VERSION = re.compile(r"3\.(?P<minor>\d+)(?:\.(?P<micro>\d+))?.*t")


def managed_by_pyenv(minors: Sequence[int], root: Path) -> Iterator[Path]:
    """Yield pyenv's free-threaded versions (``versions/3.14.0t/bin/python3.14t``), newest first."""
    found: list[tuple[int, int, Path]] = []
    for executable in (root / "versions").glob("*t/bin/python3*t"):
        match = _PYENV_VERSION.fullmatch(executable.parent.parent.name)
        if match is None or executable.name != f"python3.{match['minor']}t":
            continue
        minor = int(match["minor"])
        if minor in minors:
            found.append((minors.index(minor), -int(match["micro"] or 0), executable))
    for *_, executable in sorted(found):
        yield executable


@dataclass(frozen=True)
class ProvisionedPython:
    """A CPython that ``readiness python install`` finished installing into the cache."""

    root: Path
    """Its prefix, ``<cache>/python/cpython-3.13.5t``."""

    version: str
    """Its full version, ``3.13.5``."""

    executable: Path
    """Its interpreter."""


def read_provisioned(root: Path) -> ProvisionedPython | None:
    """Return the install at ``root`` if its completion marker says it is finished, else None."""
    try:
        marker = json.loads((root / COMPLETION_MARKER).read_text(encoding="utf-8"))
        version, executable = str(marker["version"]), root / str(marker["executable"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not executable.is_file():
        return None
    return ProvisionedPython(root=root, version=version, executable=executable)


def provisioned(minors: Sequence[int], cache_dir: Path) -> Iterator[Path]:
    """Yield the finished installs in ``cache_dir/python`` of these minors, newest first."""
    found: list[tuple[int, tuple[int, ...], Path]] = []
    for root in (cache_dir / "python").glob("cpython-3.*t"):
        install = read_provisioned(root)
        if install is None:
            continue
        numbers = tuple(int(part) for part in re.findall(r"\d+", install.version)[:3])
        if len(numbers) >= 2 and numbers[0] == 3 and numbers[1] in minors:
            found.append((minors.index(numbers[1]), tuple(-n for n in numbers), install.executable))
    for *_, executable in sorted(found):
        yield executable
