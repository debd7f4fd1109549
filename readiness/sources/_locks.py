"""What every lockfile reader does with its results: one per name, and never none."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from packaging.utils import NormalizedName

from readiness.sources.interface import (
    Dependency,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
)


def one_per_name(results: Sequence[Dependency], path: Path, *, hint: str) -> Iterator[Dependency]:
    """Yield one result per name, in the lock's order; refuse a lock that selects nothing.

    The version of a fork that this interpreter does not take is not reported skipped beside
    the one it takes, nor is a name skipped twice. ``hint`` says what to check when the lock
    selects nothing.
    """
    resolved = {dep.name for dep in results if isinstance(dep, ResolvedDependency)}
    if not resolved:
        raise SourceError("the lock selects no package for this interpreter", path=path, hint=hint)
    reported: set[NormalizedName] = set()
    for dependency in results:
        if dependency.name in reported or (
            isinstance(dependency, SkippedDependency) and dependency.name in resolved
        ):
            continue
        reported.add(dependency.name)
        yield dependency
