"""The result cache: what the probe observed of a distribution, kept under what decides it.

A distribution's verdict depends only on the interpreter build, the distribution, its version
and the files installed, so its own imports' observations are stored under a digest of those
four. A re-run on an unchanged or slightly changed lockfile probes only what is new. Entries
are written atomically, one file each: two runs sharing the cache see a whole entry or none.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._cache import RecordStore
from readiness.interpreter.interface import Interpreter
from readiness.probe.interface import (
    ImportObservation,
    ImportStatus,
)

logger = logging.getLogger(__name__)

RESULTS_FORMAT = 4
"""The version of an entry's layout; entries of another version are not read."""

CACHED_FOLDERS = (
    "results",
    "index",
    "envs",
    "interpreters",
    "refusals",
    "resolutions",
    "verified",
    "collected",
)
"""What ``readiness cache clear`` removes from the cache directory; provisioned interpreters
(``python/``) and the tracker copy stay, since they are costly or not a cache of a result."""


@dataclass(frozen=True)
class _Observations:
    """One cache entry: a distribution's own imports, as observed."""

    observations: tuple[ImportObservation, ...]


@dataclass(frozen=True)
class ResultCache:
    """Observations per distribution, in ``root``, for one interpreter build."""

    root: Path
    """The folder of the entries (``<cache dir>/results``)."""

    interpreter: str
    """What identifies the interpreter build: its executable and ``sys.version``."""

    @classmethod
    def for_interpreter(cls, cache_dir: Path, interpreter: Interpreter) -> ResultCache:
        """Return the cache of ``interpreter``'s results in ``cache_dir``."""
        identity = f"{interpreter.executable.resolve()}\n{interpreter.build_info}"
        return cls(root=cache_dir / "results", interpreter=identity)

    @property
    def _store(self) -> RecordStore[_Observations]:
        return RecordStore(self.root, _Observations, RESULTS_FORMAT)

    def key(self, name: NormalizedName, version: Version, files_digest: str) -> str:
        """Return the entry name for one distribution as installed."""
        return self._store.key(self.interpreter, name, str(version), files_digest)

    def load(self, key: str) -> list[ImportObservation] | None:
        """Return the observations stored under ``key``; None when there are none to trust."""
        entry = self._store.load(key)
        if entry is None:
            return None
        # The child process it came from is gone; process 0 says "from the cache".
        return [dataclasses.replace(item, process=0) for item in entry.observations]

    def store(self, key: str, observations: Sequence[ImportObservation]) -> None:
        """Store ``observations`` under ``key``, unless one of them may not happen again.

        Only a verdict the child reached by itself is kept: a timeout depends on the
        machine's load, and a child ended from outside (SIGKILL, SIGTERM) says nothing of
        the import, so a re-run probes the distribution again.
        """
        if any(o.from_outside or o.status is ImportStatus.TIMEOUT for o in observations):
            return
        self._store.store(key, _Observations(tuple(observations)))


def clear_cache(cache_dir: Path) -> list[Path]:
    """Remove the cached results, index pages and probe environments; return what went."""
    removed = []
    for name in CACHED_FOLDERS:
        folder = cache_dir / name
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(folder)
    return removed
