"""Reading a TOML dependency file, with errors that name the file and the line."""

from __future__ import annotations

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
