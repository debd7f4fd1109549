"""The metadata folders of installed distributions, found and read as importlib.metadata does.

importlib.metadata imports email, zipfile, csv and more on its way (25 ms here), and parses a
whole METADATA file (the long description too) with email's parser: a pin changed in a lock has
one folder to read. This finds the ``.dist-info`` and ``.egg-info`` folders of site-packages
directories and reads the headers of their core metadata; the callers fall back to
importlib.metadata for what only it reads (an egg's files, its ``requires.txt``).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

_SUFFIXES = (".dist-info", ".egg-info")
"""The metadata folders importlib.metadata finds, in the order it yields them."""


@dataclass(frozen=True)
class MetadataFolder:
    """One distribution's metadata folder (``six-1.16.0.dist-info``) in a site-packages."""

    path: Path
    """The folder."""

    name: NormalizedName
    """The distribution's name as the folder's name gives it (up to its first ``-``)."""

    def read_text(self, filename: str) -> str | None:
        """Return the text of the folder's ``filename``; None when it cannot be read.

        What importlib.metadata's ``read_text`` returns, for the same failures.
        """
        try:
            return (self.path / filename).read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
            return None

    def headers(self) -> Headers:
        """Return the headers of its core metadata (METADATA, else PKG-INFO)."""
        return read_headers(self.read_text("METADATA") or self.read_text("PKG-INFO") or "")


@dataclass(frozen=True)
class Headers:
    """The headers of one core metadata file that readiness reads."""

    name: str | None = None
    """The first ``Name``."""

    version: str | None = None
    """The first ``Version``."""

    classifiers: tuple[str, ...] = ()
    """Every ``Classifier``, in order."""

    requires: tuple[str, ...] = ()
    """Every ``Requires-Dist``, in order."""


def read_headers(text: str) -> Headers:
    """Read the headers of core metadata ``text``, up to its first blank line.

    As email's parser reads them (importlib.metadata's): names are case-insensitive, the
    first Name and Version count, a value loses its leading whitespace. A line that starts
    with whitespace is no header of its own (email folds it into the one before it, which
    none of these headers needs).
    """
    found: dict[str, str] = {}
    lists: dict[str, list[str]] = {"classifier": [], "requires-dist": []}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        key, colon, value = line.partition(":")
        header = key.lower()
        if not colon:
            continue
        if header in ("name", "version"):
            found.setdefault(header, value.lstrip())
        elif header in lists:
            lists[header].append(value.strip())
    return Headers(
        name=found.get("name"),
        version=found.get("version"),
        classifiers=tuple(lists["classifier"]),
        requires=tuple(lists["requires-dist"]),
    )


def metadata_folders(
    paths: Iterable[str | Path], names: Collection[NormalizedName] | None = None
) -> Iterator[MetadataFolder]:
    """Yield the metadata folders in ``paths``; only those of ``names``, where given.

    In the order of ``paths``, and in each the ``.dist-info`` folders before the
    ``.egg-info`` ones, each kind by name: the first of a name is the one Python imports.
    A folder's name is read as importlib.metadata reads it: the part before its first ``-``.
    """
    for path in paths:
        try:
            entries = os.listdir(path)  # noqa: PTH208 (names only: one Path per folder kept)
        except OSError:
            continue
        for suffix in _SUFFIXES:
            for entry in sorted(entry for entry in entries if entry.lower().endswith(suffix)):
                name = canonicalize_name(entry[: -len(suffix)].partition("-")[0])
                if names is None or name in names:
                    yield MetadataFolder(Path(path, entry), name)
