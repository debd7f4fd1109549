"""Where the user's package index is, as their installers are configured to find it.

readiness asks the index the user installs from, never one it names itself: the address
comes from uv's and pip's settings, and failing those from pip's (or uv's) own default,
read from the installed tool at run time.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness._cache import RecordStore
from readiness._documents import read_toml
from readiness._errors import InputError
from readiness._process import run_captured
from readiness._uv import find_uv
from readiness.evidence.interface import ServiceError

CONFIG_TIMEOUT = 30.0
"""Seconds for ``pip config list`` or an installer's ``--help`` to answer."""

UV_ENVIRONMENT = ("UV_DEFAULT_INDEX", "UV_INDEX_URL")
"""uv's index variables; ``UV_INDEX_URL`` is the deprecated spelling of ``UV_DEFAULT_INDEX``
(uv's ``--default-index`` help), so the newer one wins."""

PIP_CONFIG_KEYS = ("install.index-url", "global.index-url")
"""pip's settings that name the index: a command's section overrides ``[global]`` (pip's
``ConfigOptionParser._get_ordered_configuration_items``)."""


def configured_index_url(
    environ: Mapping[str, str] = os.environ,
    *,
    python: Path | None = None,
    project_dir: Path | None = None,
    cache_dir: Path | None = None,
    max_age: float = 0.0,
) -> str:
    """Return the simple API index the user's installers use.

    In this order: ``UV_DEFAULT_INDEX`` / ``UV_INDEX_URL``, ``PIP_INDEX_URL``, pip's
    configuration files (as ``python -m pip config list`` reports them, ``python`` being
    the current interpreter unless given), uv's ``uv.toml`` (``index-url``, or the
    ``[[index]]`` with ``default = true``; the project's in ``project_dir`` first); else
    pip's default index. Raises :class:`ServiceError` when none of these names one.
    With ``cache_dir``, pip's answer is kept there for ``max_age`` seconds, as long as its
    files are unchanged (:func:`pip_configured_index`).
    """
    for variable in (*UV_ENVIRONMENT, "PIP_INDEX_URL"):
        value = environ.get(variable, "").strip()
        if value:
            return value
    interpreter = python if python is not None else Path(sys.executable)
    from_pip = pip_configured_index(interpreter, environ, cache_dir=cache_dir, max_age=max_age)
    if from_pip:
        return from_pip
    from_uv = uv_configured_index(environ, project_dir=project_dir)
    if from_uv:
        return from_uv
    return installer_default_index(interpreter, environ)


PIP_ANSWERS_FOLDER = "pip-config"
"""Where pip's answers are kept, in the cache directory."""

PIP_ANSWERS_FORMAT = 1
"""The layout of a kept answer (:class:`PipAnswer`)."""


@dataclass(frozen=True)
class PipAnswer:
    """What ``pip config list`` said the index is, kept while pip's files are unchanged."""

    index_url: str | None
    """The index its files name; None when they name none."""


def pip_configured_index(
    python: Path,
    environ: Mapping[str, str],
    *,
    cache_dir: Path | None = None,
    max_age: float = 0.0,
) -> str | None:
    """Return the index pip's configuration files name, asking ``python -m pip config list``.

    None when they name none, or when pip cannot be run there. With ``cache_dir`` the answer
    is kept for ``max_age`` seconds, under the state of every file pip reads its settings
    from (:func:`pip_config_files`) and of the ``PIP_*`` variables: a warm run starts no
    pip, and a changed file asks again.
    """
    store = (
        RecordStore(cache_dir / PIP_ANSWERS_FOLDER, PipAnswer, PIP_ANSWERS_FORMAT)
        if cache_dir is not None and max_age > 0
        else None
    )
    key = "" if store is None else store.key(str(python), *_pip_settings_state(python, environ))
    if store is not None and (kept := store.load(key, max_age=max_age)) is not None:
        return kept.index_url
    completed = _run([str(python), "-m", "pip", "config", "list"], environ)
    if completed is None:
        return None
    settings = parse_pip_config_list(completed)
    found = next((settings[key] for key in PIP_CONFIG_KEYS if settings.get(key)), None)
    if store is not None:
        store.store(key, PipAnswer(found))
    return found


def pip_config_files(python: Path, environ: Mapping[str, str]) -> list[Path]:
    """Return every file pip may read its settings from, whether it exists or not.

    As pip's ``configuration.get_configuration_files`` finds them, for every platform at
    once (a file that cannot be there is simply missing): ``PIP_CONFIG_FILE``; the global
    ones (``$XDG_CONFIG_DIRS/pip``, ``/etc``, ``/Library/Application Support/pip``,
    ``pip`` in ``%PROGRAMDATA%``); the user's (``~/.pip``, ``$XDG_CONFIG_HOME/pip`` or
    ``~/.config/pip``, ``~/Library/Application Support/pip``, ``pip`` in ``%APPDATA%``); and the
    environment's (its prefix).
    """
    home = Path(environ.get("HOME") or Path.home())
    folders = [
        Path(folder) / "pip"
        for folder in environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
        if folder
    ]
    folders += [Path("/etc"), Path("/Library/Application Support/pip")]
    folders += [home / ".pip", home / "pip", home / "Library" / "Application Support" / "pip"]
    folders.append(Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip")
    folders += [
        Path(environ[name]) / "pip" for name in ("APPDATA", "PROGRAMDATA") if environ.get(name)
    ]
    folders += [Path(sys.prefix), python.parent.parent]
    files = [Path(environ["PIP_CONFIG_FILE"])] if environ.get("PIP_CONFIG_FILE") else []
    return files + [folder / name for folder in folders for name in ("pip.conf", "pip.ini")]


def _pip_settings_state(python: Path, environ: Mapping[str, str]) -> list[object]:
    """Return what pip's settings depend on: its variables, and its files' size and time."""
    state: list[object] = []
    state += sorted(
        (name, value) for name, value in environ.items() if name.upper().startswith("PIP_")
    )
    for path in pip_config_files(python, environ):
        try:
            found = path.stat()
        except OSError:
            state.append((str(path), None))
        else:
            state.append((str(path), found.st_size, found.st_mtime_ns))
    return state


def parse_pip_config_list(output: str) -> dict[str, str]:
    """Read ``pip config list`` output: ``section.key='value'`` per line (a Python repr)."""
    settings: dict[str, str] = {}
    for line in output.splitlines():
        key, equals, value = line.partition("=")
        if not equals:
            continue
        try:
            parsed = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            parsed = value.strip()
        settings[key.strip()] = str(parsed).strip()
    return settings


def uv_config_files(environ: Mapping[str, str], project_dir: Path | None) -> Iterator[Path]:
    """Yield the ``uv.toml`` / ``pyproject.toml`` files uv reads, the most important first.

    From uv's documentation, "Configuration files": ``UV_CONFIG_FILE`` alone when set;
    otherwise the project's, the user's (``$XDG_CONFIG_HOME/uv``, ``~/.config/uv``, or
    under ``%APPDATA%`` on Windows) and the system's (``$XDG_CONFIG_DIRS/uv``, ``/etc/uv``).
    ``UV_NO_CONFIG`` turns them all off.
    """
    if environ.get("UV_NO_CONFIG"):
        return
    if environ.get("UV_CONFIG_FILE"):
        yield Path(environ["UV_CONFIG_FILE"])
        return
    if project_dir is not None:
        yield project_dir / "uv.toml"
        yield project_dir / "pyproject.toml"
    if sys.platform == "win32":
        if environ.get("APPDATA"):
            yield Path(environ["APPDATA"]) / "uv" / "uv.toml"
        if environ.get("PROGRAMDATA"):
            yield Path(environ["PROGRAMDATA"]) / "uv" / "uv.toml"
        return
    if environ.get("XDG_CONFIG_HOME"):
        yield Path(environ["XDG_CONFIG_HOME"]) / "uv" / "uv.toml"
    elif environ.get("HOME"):
        yield Path(environ["HOME"]) / ".config" / "uv" / "uv.toml"
    for folder in environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep):
        if folder:
            yield Path(folder) / "uv" / "uv.toml"
    yield Path("/etc/uv/uv.toml")


def uv_configured_index(
    environ: Mapping[str, str], *, project_dir: Path | None = None
) -> str | None:
    """Return the default index the first uv configuration file that names one names."""
    for path in uv_config_files(environ, project_dir):
        if not path.is_file():
            continue
        try:
            document: dict[str, Any] = read_toml(path, what="the uv configuration")[1]
        except InputError as e:
            # Unreadable, not valid TOML, or past the reader's limits (nesting, numbers): uv
            # would refuse it too. The message names the file and, where known, the line.
            raise ServiceError(str(e), hint="fix the file, or pass --index-url") from e
        if path.name == "pyproject.toml":
            tool = document.get("tool")
            uv = tool.get("uv") if isinstance(tool, dict) else None
            document = uv if isinstance(uv, dict) else {}
        found = _uv_default_index(document)
        if found:
            return found
    return None


def _uv_default_index(settings: Mapping[str, Any]) -> str | None:
    # `[[index]]` with `default = true` replaces the default index; the older top-level
    # `index-url` does the same (uv's settings reference, "index" and "index-url").
    indexes = settings.get("index")
    if isinstance(indexes, list):
        for index in indexes:
            if isinstance(index, dict) and index.get("default") is True:
                url = index.get("url")
                if isinstance(url, str) and url:
                    return url
    url = settings.get("index-url")
    return url if isinstance(url, str) and url else None


_PIP_HELP_DEFAULT = re.compile(r"--index-url <url>.*?\(default\s+(?P<url>\S+?)\)", re.DOTALL)
_UV_HELP_DEFAULT = re.compile(r"--default-index.*?\(by default: <(?P<url>[^>]+)>\)", re.DOTALL)


def installer_default_index(python: Path, environ: Mapping[str, str]) -> str:
    """Return the index pip (else uv) uses when nothing is configured, as it says itself.

    Raises :class:`ServiceError` when neither can be asked.
    """
    if importlib.util.find_spec("pip") is not None:
        try:
            from pip._internal.models.index import PyPI
        except ImportError:
            pass
        else:
            return str(PyPI.simple_url)
    default = pip_help_default_index(python, environ) or uv_help_default_index(environ)
    if default:
        return default
    raise ServiceError(
        "no package index is configured, and neither pip nor uv is at hand to name its default",
        hint="pass --index-url, or set PIP_INDEX_URL or UV_DEFAULT_INDEX",
    )


def pip_help_default_index(python: Path, environ: Mapping[str, str]) -> str | None:
    """Return the default of ``--index-url`` as ``python -m pip install --help`` prints it."""
    match = _PIP_HELP_DEFAULT.search(
        _run([str(python), "-m", "pip", "install", "--help"], environ) or ""
    )
    return match["url"] if match else None


def uv_help_default_index(environ: Mapping[str, str]) -> str | None:
    """Return the default of ``--default-index`` as ``uv pip install --help`` prints it."""
    uv = find_uv()
    if uv is None:
        return None
    match = _UV_HELP_DEFAULT.search(_run([str(uv), "pip", "install", "--help"], environ) or "")
    return match["url"] if match else None


def _run(arguments: list[str], environ: Mapping[str, str]) -> str | None:
    try:
        completed = run_captured(arguments, timeout=CONFIG_TIMEOUT, error=ServiceError, env=environ)
    except ServiceError:
        return None
    return completed.stdout if completed.returncode == 0 else None
