"""The cache directory, and writes into it that never leave a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

CACHE_DIR_ENV = "READINESS_CACHE_DIR"


def default_cache_dir() -> Path:
    """Return ``$READINESS_CACHE_DIR``, else the platform's user cache for readiness."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_cache_path("readiness", appauthor=False)


def atomic_write(path: Path, data: str | bytes, *, parents: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    A reader sees the old file or the new one, never a part of either. The missing folders
    above ``path`` are created, unless ``parents`` is False (a report: the user names them).
    """
    if parents:
        path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; a report or a cache entry gets what open() would give.
        if hasattr(os, "fchmod"):  # not on Windows before 3.13, where modes mean little
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    # NOTE: the umask can only be read by setting it; set it straight back.
    current = os.umask(0o022)
    os.umask(current)
    return current
