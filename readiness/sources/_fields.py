"""Typed, validated access to the values of a dependency file: what every reader checks alike.

A lock or a pyproject.toml is input from a repository, possibly from a stranger's pull request.
A name, a version, a URL, a path, a marker or a requirement read from it is checked here, as its
specification defines it, before anything is built from it: a name that starts with ``-`` would
reach an installer as an option, a path with a NUL byte or a URL with a broken IPv6 host would
fail deep inside the OS or ``urllib``. The one marker check (:func:`marker_holds`) is here too,
so that a marker that cannot be evaluated is the same input error in every reader.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from packaging.markers import (
    EvaluateContext,
    InvalidMarker,
    Marker,
    UndefinedComparison,
    UndefinedEnvironmentName,
)
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._documents import read_text
from readiness.sources.interface import SourceError

# PEP 508 "Names" (and the core metadata's Name field): letters, digits, `-`, `_` and `.`,
# starting and ending with a letter or digit.
_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


# How a message names a lock entry: `package "anyio" 4.11.0`, `default "anyio"` (Pipfile.lock).
_ENTRY = re.compile(r'^\w+ "([^"]+)"')

# The line that names an entry: `name = "anyio"` (TOML locks), `"anyio": {` (Pipfile.lock).
_NAME_LINE = re.compile(r'^\s*(?:name\s*=\s*"(?P<name>[^"]+)"|"(?P<key>[^"]+)"\s*:\s*\{)')


class LockFields:
    """Reads the values of one lock or pyproject.toml, each checked: ``malformed KIND: WHERE``."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        """The lock file, named by every error."""
        self.kind = kind
        """How messages call the file: ``uv.lock``, ``poetry.lock``."""

    def error(self, message: str, *, hint: str | None = None) -> SourceError:
        """Return the error for a malformed value, naming the file and the entry's line.

        A parsed lock keeps no positions, so the line is found again in the text: that of
        the entry the message begins with (``package "anyio" ...``), where the file has one.
        """
        found = _ENTRY.match(message)
        line = self._line_of(found[1]) if found else None
        return SourceError(
            f"malformed {self.kind}: {message}", path=self.path, line=line, hint=hint
        )

    def _line_of(self, name: str) -> int | None:
        """Return the first line that names the distribution ``name``: TOML or JSON."""
        try:
            text = read_text(self.path, error=SourceError)
        except SourceError:
            return None
        wanted = canonicalize_name(name)
        for number, line in enumerate(text.splitlines(), start=1):
            named = _NAME_LINE.match(line)
            if named and canonicalize_name(named["name"] or named["key"]) == wanted:
                return number
        return None

    def string(self, value: object, where: str) -> str:
        """Return ``value`` if it is a string."""
        if not isinstance(value, str):
            raise self.error(f"{where} is not a string")
        return value

    def array(self, table: Mapping[str, Any], key: str, where: str) -> list[Any]:
        """Return ``table[key]`` if it is a list; an absent key is an empty list."""
        value = table.get(key, []) if isinstance(table, Mapping) else []
        if not isinstance(value, list):
            raise self.error(f"{where}: `{key}` is not a list")
        return value

    def tables(self, table: Mapping[str, Any], key: str) -> list[tuple[str, dict[str, Any]]]:
        """Return the tables of the list ``table[key]``, each with where it is: ``package[3]``."""
        found = []
        for position, value in enumerate(self.array(table, key, "the lock")):
            where = f"{key}[{position}]"
            if not isinstance(value, dict):
                raise self.error(f"{where} is not a table")
            found.append((where, value))
        return found

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> list[str]:
        """Return ``table[key]`` if it is a list of strings; an absent key is an empty list."""
        return [self.string(item, f"{where}.{key}") for item in self.array(table, key, where)]

    def table(self, table: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        """Return ``table[key]`` if it is a table; an absent key is an empty table."""
        value = table.get(key, {}) if isinstance(table, Mapping) else {}
        if not isinstance(value, dict):
            raise self.error(f"{where}: `{key}` is not a table")
        return value

    def name(self, value: object, where: str) -> NormalizedName:
        """Return ``value`` normalized if it is a valid distribution name (PEP 508)."""
        text = self.string(value, where)
        if not _NAME.match(text):
            raise self.error(f"{where}: {text!r} is not a valid distribution name")
        return canonicalize_name(text)

    def version(self, value: object, where: str) -> Version:
        """Return ``value`` as a version if it is a valid one (PEP 440)."""
        return parse_version(self.string(value, where), error=self.error, where=where)

    def url(self, value: object, where: str) -> str:
        """Return ``value`` if it is a URL that ``urllib`` can take apart, host and port."""
        text = self.string(value, where)
        check_url(text, error=self.error, where=where)
        return text

    def marker(self, value: object, where: str) -> Marker:
        """Return ``value`` as a marker if it is a valid one (PEP 508)."""
        return parse_marker(self.string(value, where), error=self.error, where=where)

    def requirement(self, value: object, where: str) -> Requirement:
        """Return ``value`` as a requirement if it is a valid one (PEP 508)."""
        return parse_requirement(self.string(value, where), error=self.error, where=where)

    def local_path(self, value: object, where: str) -> Path:
        """Return ``value``, a path relative to the lock's folder, as an absolute path."""
        text = self.string(value, where)
        if "\x00" in text:
            raise self.error(f"{where}: a path cannot hold a NUL byte")
        return (self.path.parent / text).resolve()


def error_at(path: Path, line: int | None = None) -> Callable[[str], SourceError]:
    """Return what builds the error for a message about ``path`` (at ``line``)."""

    def error(message: str) -> SourceError:
        return SourceError(message, path=path, line=line)

    return error


def parse_version(text: str, *, error: Callable[[str], Exception], where: str) -> Version:
    """Return ``text`` as a version; ``error(message)`` builds what is raised if it is not one.

    ``ValueError`` beside ``InvalidVersion``: a release number past Python's digit limit.
    """
    try:
        return Version(text)
    except (InvalidVersion, ValueError) as e:
        raise error(f"{where}: {e}") from e


def check_url(
    text: str, *, error: Callable[[str], Exception], where: str
) -> urllib.parse.SplitResult:
    """Return ``text`` taken apart; ``error(message)`` builds what is raised if it cannot be.

    ``urllib`` raises ``ValueError`` for a bracketed host that is not an IPv6 address and
    for a port out of range, but only when asked for the part: both are asked here.
    """
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 (the check is the property's ValueError)
    except ValueError as e:
        raise error(f"{where}: {text!r} is not a valid URL: {e}") from e
    return parts


def parse_marker(
    text: str, *, error: Callable[[str], Exception], where: str | None = None
) -> Marker:
    """Return ``text`` as a marker; ``error(message)`` builds what is raised if it is not one."""
    try:
        return Marker(text.strip())
    except InvalidMarker as e:
        raise error(_invalid(where, f"`{text.strip()}` is not a valid marker", e)) from e


def combine_markers(markers: Iterable[Marker], operator: Literal["and", "or"]) -> Marker | None:
    """Return the markers joined by ``operator`` (each in parentheses); None for none."""
    markers = list(markers)
    if len(markers) <= 1:
        return markers[0] if markers else None
    written = [f"({marker})" for marker in markers]
    # Each part is a valid marker, so their conjunction or disjunction is one too.
    return Marker(f" {operator} ".join(written))


def parse_requirement(
    text: str, *, error: Callable[[str], Exception], where: str | None = None
) -> Requirement:
    """Return ``text`` as a requirement; ``error(message)`` builds what is raised if not one."""
    try:
        return Requirement(text)
    except InvalidRequirement as e:
        raise error(_invalid(where, f"`{text}` is not a valid requirement", e)) from e


def _invalid(where: str | None, what: str, error: Exception) -> str:
    """Word a parse error: where, what, and the first line of packaging's reason."""
    reason = str(error).splitlines()[0] if str(error) else "not PEP 508"
    return f"{where}: {what}: {reason}" if where else f"{what}: {reason}"


def marker_holds(
    marker: Marker,
    environment: Mapping[str, str | frozenset[str]],
    *,
    path: Path,
    line: int | None = None,
    entry: str | None = None,
    extra: str | None = None,
    context: EvaluateContext = "metadata",
) -> bool:
    """Return whether ``marker`` is true in ``environment``, with ``extra`` set if given.

    pip evaluates a requirement with ``extra`` set to ``""`` (req_install.match_markers), and
    a lock's edge under an extra with that extra. ``context`` is packaging's: ``lock_file``
    for a PEP 751 lock's ``extras`` and ``dependency_groups``. A marker that cannot be
    evaluated there (a variable it does not define, such as ``extra`` where no extra
    applies; a version compared with a non-version) is an input error naming the file and
    the line or lock entry.
    """
    values = dict(environment) if extra is None else {**environment, "extra": extra}
    try:
        return marker.evaluate(values, context=context)
    except (UndefinedComparison, UndefinedEnvironmentName, ValueError) as e:
        where = f"{entry}: " if entry else ""
        raise SourceError(
            f"{where}marker `{marker}` cannot be evaluated: {e}", path=path, line=line
        ) from e
