"""Reading a TOML dependency file, with errors that name the file and the line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from readiness.sources.interface import SourceError

# tomllib's messages end "(at line 3, column 7)"; Python 3.14 also sets `lineno` on the error.
_AT_LINE = re.compile(r"at line (\d+)")


def read_toml(path: Path) -> dict[str, Any]:
    """Return the parsed TOML document at ``path``; raise :class:`SourceError` if it is not one."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise SourceError(f"cannot read the file: {e.strerror or e}", path=path) from e
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        # TOML is UTF-8 by definition (toml.io, "Spec": a TOML file must be valid UTF-8).
        raise SourceError(f"not UTF-8 text, which TOML must be: {e}", path=path) from e
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        line = getattr(e, "lineno", None)
        if not isinstance(line, int):
            found = _AT_LINE.search(str(e))
            line = int(found[1]) if found else None
        raise SourceError(f"not valid TOML: {e}", path=path, line=line) from e
