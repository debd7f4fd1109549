"""Choosing the dependency source for a path: a file by its name, a folder by priority."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from packaging.pylock import is_valid_pylock_path

# The order lives on the ground floor, where the command line's help reads it.
from readiness._defaults import SOURCE_PRIORITY as SOURCE_PRIORITY
from readiness.sources.interface import DependencySource, Selection, SourceError
from readiness.sources.pdmlock import PdmLockSource
from readiness.sources.pipfilelock import PipfileLockSource
from readiness.sources.poetrylock import PoetryLockSource
from readiness.sources.pylock import PylockSource
from readiness.sources.pyproject import PyprojectSource
from readiness.sources.requirements import RequirementsSource
from readiness.sources.resolve import Resolver
from readiness.sources.uvlock import UvLockSource

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


def _source_for_file(
    path: Path, selection: Selection, resolver: Resolver | None
) -> DependencySource:
    if is_valid_pylock_path(path):
        return PylockSource(path, selection)
    locks: dict[str, Callable[[Path, Selection], DependencySource]] = {
        "uv.lock": UvLockSource,
        "poetry.lock": PoetryLockSource,
        "pdm.lock": PdmLockSource,
        "Pipfile.lock": PipfileLockSource,
    }
    if path.name in locks:
        return locks[path.name](path, selection)
    if path.name == "pyproject.toml":
        if resolver is None:
            raise SourceError(
                "pyproject.toml declares ranges, not versions: it needs a resolver", path=path
            )
        return PyprojectSource(path, selection, resolver)
    if path.suffix in _REQUIREMENTS_SUFFIXES:
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
