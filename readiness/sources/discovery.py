"""Choosing the dependency source for a path: a file by its name, a folder by priority."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

# The order lives on the ground floor, where the command line's help reads it.
from readiness._defaults import SOURCE_PRIORITY as SOURCE_PRIORITY
from readiness.sources.interface import DependencySource, Selection, SourceError

if TYPE_CHECKING:
    from readiness.sources.resolve import Resolver

ACCEPTED_FILES = (
    "pylock.toml",
    "pylock.<name>.toml",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "requirements files (*.txt, *.in)",
    "pyproject.toml",
)
"""What :func:`find_source` accepts when given a file, for messages and the README."""

_REQUIREMENTS_SUFFIXES = frozenset({".txt", ".in"})

PYLOCK_NAME = re.compile(r"pylock\.toml|pylock\.[^.]+\.toml")
"""The names PEP 751 gives a lock file, as ``packaging.pylock.is_valid_pylock_path`` reads
them (a test holds the two together): importing that module only to ask would cost a warm
run, whose lock is read from the cache, more than all its reading."""


def find_source(
    path: Path, selection: Selection, resolver: Resolver | None = None
) -> DependencySource:
    """Return the source for a dependency file, or for the best file in a project folder.

    ``resolver`` resolves what is not pinned (requirements files, pyproject.toml); without
    one, an unpinned requirement is an input error.
    Raises :class:`SourceError` when the path does not exist, a file is of no known kind,
    or a folder holds none of :data:`SOURCE_PRIORITY`.
    """
    if path.is_dir():
        return _source_in_folder(path, selection, resolver)
    if not path.exists():
        raise SourceError("no such file or folder", path=path)
    return _source_for_file(path, selection, resolver)


_LOCKS = {
    "uv.lock": "uvlock.UvLockSource",
    "poetry.lock": "poetrylock.PoetryLockSource",
    "pdm.lock": "pdmlock.PdmLockSource",
    "Pipfile.lock": "pipfilelock.PipfileLockSource",
}
"""The reader of each lock file name: ``module.Class`` in this package."""


def _reader(name: str) -> Callable[[Path, Selection], DependencySource]:
    """Return the reader class ``module.Class`` of this package, importing only its module.

    A run reads one kind of file: the readers of the others are never imported.
    """
    module, _, cls = name.rpartition(".")
    reader: Callable[[Path, Selection], DependencySource] = getattr(
        importlib.import_module(f"{__package__}.{module}"), cls
    )
    return reader


def _source_for_file(
    path: Path, selection: Selection, resolver: Resolver | None
) -> DependencySource:
    if PYLOCK_NAME.fullmatch(path.name):
        from readiness.sources.pylock import PylockSource

        return PylockSource(path, selection)
    if path.name in _LOCKS:
        return _reader(_LOCKS[path.name])(path, selection)
    if path.name == "pyproject.toml":
        if resolver is None:
            raise SourceError(
                "pyproject.toml declares ranges, not versions: it needs a resolver", path=path
            )
        from readiness.sources.pyproject import PyprojectSource

        return PyprojectSource(path, selection, resolver)
    if path.suffix in _REQUIREMENTS_SUFFIXES:
        from readiness.sources.requirements import RequirementsSource

        return RequirementsSource(path, resolver)
    raise SourceError(
        f"unknown kind of dependency file; readiness reads {', '.join(ACCEPTED_FILES)}",
        path=path,
    )


def _source_in_folder(
    folder: Path, selection: Selection, resolver: Resolver | None
) -> DependencySource:
    for name in SOURCE_PRIORITY:
        candidate = folder / name
        if candidate.is_file():
            return _source_for_file(candidate, selection, resolver)
    raise SourceError(
        f"no dependency file here; looked for {', '.join(SOURCE_PRIORITY)}",
        path=folder,
        hint=_hint_for_folder(folder),
    )


def _hint_for_folder(folder: Path) -> str:
    """Point at files a folder has that readiness could read if named, or say how to lock."""
    named = sorted(
        str(found.relative_to(folder))
        for pattern in ("pylock.*.toml", "requirements*.txt", "requirements/*.txt")
        for found in folder.glob(pattern)
        if found.is_file()
    )
    if named:
        return f"pass one of these files: {', '.join(named)}"
    return "pass a pylock.toml, uv.lock or requirements file, or the folder that holds one"
