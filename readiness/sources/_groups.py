"""PEP 735 dependency groups, their ``{include-group = ...}`` expanded by packaging.

``packaging.dependency_groups`` is the reference implementation of the PEP (pip's
``--group`` uses it): it normalizes names, finds cycles and refuses malformed entries.
Two hand-written expansions drifted apart here once, and the one without cycle detection
crashed, so every reader of ``[dependency-groups]`` asks this module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from packaging.dependency_groups import CyclicDependencyGroup, DependencyGroupResolver
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from readiness.sources._chains import shortest_chains
from readiness.sources.interface import SourceError


def _nowhere(_: str) -> int | None:
    return None


def expand_group(
    groups: Mapping[str, Any],
    name: str,
    *,
    path: Path,
    line: int | None = None,
    line_of: Callable[[str], int | None] = _nowhere,
) -> tuple[Requirement, ...]:
    """Return the requirements of the group ``name`` of ``groups``, its includes expanded.

    Raises :class:`SourceError` naming ``path`` for a group that includes itself, through
    others or not (at ``line_of(the included name)``, the line that closes the cycle), and
    for anything else packaging refuses: an unknown group, an entry that is neither a
    requirement nor an include, an invalid requirement (at ``line``).
    """
    try:
        return DependencyGroupResolver(groups).resolve(name)
    except ExceptionGroup as e:
        # packaging gathers what is wrong with a group: a cycle, a value of the wrong type.
        for error in e.exceptions:
            if isinstance(error, CyclicDependencyGroup):
                raise SourceError(
                    f"dependency groups include each other in a cycle: {_cycle(groups, error)}",
                    path=path,
                    line=line_of(error.include_group),
                ) from e
        reasons = "; ".join(str(error) for error in e.exceptions)
        raise SourceError(f"[dependency-groups] {name}: {reasons}", path=path, line=line) from e
    except (ValueError, TypeError, LookupError) as e:
        raise SourceError(f"[dependency-groups] {name}: {e}", path=path, line=line) from e


def _cycle(groups: Mapping[str, Any], error: CyclicDependencyGroup) -> str:
    """Spell the cycle packaging found, ``a -> b -> a``: it names only the closing include."""
    includes: dict[NormalizedName, set[NormalizedName]] = {}
    for group, entries in groups.items():
        for entry in entries if isinstance(entries, list) else ():
            included = entry.get("include-group") if isinstance(entry, dict) else None
            if isinstance(included, str):
                includes.setdefault(canonicalize_name(group), set()).add(
                    canonicalize_name(included)
                )
    closing, opening = canonicalize_name(error.group), canonicalize_name(error.include_group)
    chain = shortest_chains({opening}, includes).get(closing, ())
    return " -> ".join([*chain, closing, opening] if closing != opening else [closing, opening])
