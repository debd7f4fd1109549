"""Reading a TOML dependency file, with errors and origins that name the file and the line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from readiness import _documents
from readiness.sources.interface import SourceError


def read_toml(path: Path) -> dict[str, Any]:
    """Return the parsed TOML document at ``path``; raise :class:`SourceError` if it is not one.

    The limits of :mod:`readiness._documents` apply: a regular file, of bounded size, depth
    and integer length.
    """
    return _documents.read_toml(path, error=SourceError)[1]


class LineLocator:
    """Finds the line of a table, key or string in a TOML file's text, for origins and messages.

    A value found once is not found again at the same line: the next search for it goes on.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.used: set[tuple[int, str]] = set()

    def header(self, pattern: str) -> int:
        """Return the 0-based index of the first line matching ``pattern``, else 0."""
        compiled = re.compile(pattern)
        for index, line in enumerate(self.lines):
            if compiled.match(line):
                return index
        return 0

    def string(self, value: str, start: int) -> int | None:
        """Return the 1-based line of the TOML string ``value`` at or after ``start``."""
        quoted = (f'"{value}"', f"'{value}'", f'"""{value}"""', f"'''{value}'''")
        return self._first(lambda line: any(q in line for q in quoted), value, start)

    def key(self, key: str, start: int) -> int | None:
        """Return the 1-based line where ``key =`` is set, at or after ``start``."""
        compiled = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""")
        return self._first(lambda line: bool(compiled.match(line)), key, start)

    def _first(self, matches: Callable[[str], bool], value: str, start: int) -> int | None:
        positions: list[int] = [*range(start, len(self.lines)), *range(start)]
        for index in positions:
            if (index, value) not in self.used and matches(self.lines[index]):
                self.used.add((index, value))
                return index + 1
        return None
