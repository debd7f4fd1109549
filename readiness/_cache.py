"""The cache directory, and writes into it that never leave a half-written file."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import platformdirs

from readiness import __version__
from readiness._records import from_record, to_record

logger = logging.getLogger(__name__)

RecordT = TypeVar("RecordT")

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


@dataclass(frozen=True)
class RecordStore(Generic[RecordT]):
    """One kind of cache entry: records of one dataclass, each under a digest of its inputs.

    The digest covers the layout's ``version``, readiness's own version and every part the
    record depends on, so an entry is found again exactly when nothing it depends on changed.
    Entries are written atomically, one file each: runs sharing the cache see a whole entry
    or none. An entry that is damaged, of another layout, or older than ``max_age`` is a miss.
    """

    root: Path
    """The folder of the entries (``<cache dir>/results``)."""

    record: type[RecordT]
    """The dataclass every entry holds."""

    version: int
    """The layout of the entries: bump it when ``record`` changes its fields' meaning."""

    def key(self, *parts: object) -> str:
        """Return the entry name for ``parts`` (anything JSON can say, or its ``str``)."""
        identity = json.dumps([self.version, __version__, *parts], default=str)
        return hashlib.sha256(identity.encode()).hexdigest()

    def load(self, key: str, *, max_age: float | None = None) -> RecordT | None:
        """Return the record stored under ``key``; None when there is none to trust.

        ``max_age`` (seconds) makes an entry written longer ago than that a miss.
        """
        # A warm scan loads two entries per distribution: one open and one fstat each, the
        # path joined as a string (pathlib's parsing of it cost as much as the read).
        path = self._path(key)
        try:
            with open(path, "rb") as handle:  # noqa: PTH123
                if max_age is not None and not _young(os.fstat(handle.fileno()), max_age):
                    return None
                document = json.loads(handle.read())
            if not isinstance(document, dict) or document.get("format") != self.version:
                return None
            return from_record(self.record, document.get("record"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            # A damaged entry is a miss: the work is done again, and the entry rewritten.
            logger.debug("ignoring the cache entry %s: %s", path, e)
            return None

    def holds(self, key: str, *, max_age: float | None = None) -> bool:
        """Return whether an entry is stored under ``key`` (younger than ``max_age`` seconds).

        A look at the file alone: the entry may still turn out damaged when it is loaded.
        """
        try:
            status = os.stat(self._path(key))  # noqa: PTH116
        except OSError:
            return False
        return max_age is None or _young(status, max_age)

    def store(self, key: str, record: RecordT) -> None:
        """Store ``record`` under ``key``, replacing what was there."""
        document = {"format": self.version, "record": to_record(record)}
        atomic_write(Path(self._path(key)), json.dumps(document, separators=(",", ":")))

    def _path(self, key: str) -> str:
        return os.path.join(self.root, key[:2], f"{key}.json")  # noqa: PTH118  # as in load


def _young(status: os.stat_result, max_age: float) -> bool:
    """Return whether the file of ``status`` was written at most ``max_age`` seconds ago."""
    return time.time() - status.st_mtime <= max_age
