"""What reading a lock yielded, kept under the bytes of every file the reading depends on.

A lock reads the same for the same files, target and selection: a warm run loads the
dependencies it read last time instead of parsing the lock again (a hundred packages' TOML,
and for a ``pylock.toml`` the import of packaging's reader). Any other source (a requirements
file, a ``pyproject.toml``) is resolved against an index, and is read every time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from readiness._cache import RecordStore
from readiness._documents import read_bytes
from readiness._errors import InputError
from readiness._records import to_record
from readiness.model import Target
from readiness.sources._locks import LockSource
from readiness.sources.interface import (
    Dependency,
    DependencySource,
    ResolvedDependency,
    SkippedDependency,
)

KEPT_FOLDER = "collected"
"""Where in the cache directory the readings are kept."""

KEPT_FORMAT = 1
"""The layout of a kept reading: bumped when a dependency's fields change."""


@dataclass(frozen=True)
class _Kept:
    """One dependency as the reading yielded it: resolved, or skipped."""

    resolved: ResolvedDependency | None = None
    skipped: SkippedDependency | None = None


@dataclass(frozen=True)
class _Reading:
    """Everything one reading yielded, in its order."""

    dependencies: tuple[_Kept, ...]


def collect(source: DependencySource, target: Target, cache_dir: Path) -> list[Dependency]:
    """Return what ``source`` yields for ``target``: kept in ``cache_dir``, else read now.

    A lock's reading is kept under the bytes of each of its inputs (or their absence), the
    file's path as given and as resolved (its origins name it), the target and the
    selection. Raises what :meth:`DependencySource.collect` raises; an error is never kept.
    """
    if not isinstance(source, LockSource):
        return list(source.collect(target))
    parts = _state(source.inputs())
    if parts is None:
        return list(source.collect(target))
    store = RecordStore(cache_dir / KEPT_FOLDER, _Reading, KEPT_FORMAT)
    key = store.key(
        source.kind,
        str(source.path),
        str(source.path.resolve()),
        parts,
        to_record(target),
        to_record(source.selection),
    )
    kept = store.load(key)
    found = None if kept is None else [_dependency(item) for item in kept.dependencies]
    if found is not None and all(dep is not None for dep in found):
        return [dep for dep in found if dep is not None]
    dependencies = list(source.collect(target))
    store.store(key, _Reading(tuple(_kept(dep) for dep in dependencies)))
    return dependencies


def _state(paths: Sequence[Path]) -> list[str | None] | None:
    """Return a digest of each file's bytes, None for one that is not there.

    None in all when one cannot be read as a document (a folder, a FIFO, too large): the
    reader itself then says what is wrong, and nothing is kept.
    """
    digests: list[str | None] = []
    for path in paths:
        if not path.exists():
            digests.append(None)
            continue
        try:
            digests.append(hashlib.sha256(read_bytes(path)).hexdigest())
        except InputError:
            return None
    return digests


def _kept(dependency: Dependency) -> _Kept:
    if isinstance(dependency, ResolvedDependency):
        return _Kept(resolved=dependency)
    if isinstance(dependency, SkippedDependency):
        return _Kept(skipped=dependency)
    raise TypeError(f"a lock yields resolved or skipped dependencies, not {dependency!r}")


def _dependency(item: _Kept) -> Dependency | None:
    """Return the dependency ``item`` keeps; None for a damaged one that keeps none or two."""
    if item.skipped is None:
        return item.resolved
    return item.skipped if item.resolved is None else None
