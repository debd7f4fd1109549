"""The walk of a lock's dependency graph, from the project, the way its tool installs it.

A lock that records its graph (uv.lock, poetry.lock) is installed from the project's own
requirements along every edge whose marker holds, into the extras each edge asks for. The
format says which edges an entry has and whether one holds; :class:`LockWalk` keeps what the
walk reached, the edges it followed (for the chains), and why it did not follow the others.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from packaging.utils import NormalizedName

from readiness.sources._chains import shortest_chains
from readiness.sources._locks import false_markers_reason


@dataclass
class Reached:
    """What the walk learned about an entry it reached."""

    direct: bool = False
    """Whether the project (or a workspace member) depends on it itself."""

    extras: set[NormalizedName] = field(default_factory=set)
    """Extras asked for on the edges that reached it."""


class LockWalk:
    """A breadth-first walk over a lock's entries, each named by its position in the lock."""

    def __init__(self) -> None:
        self.reached: dict[int, Reached] = {}
        """The entries reached, by position."""
        self.roots: set[NormalizedName] = set()
        """The names the project depends on itself."""
        self.edges: dict[NormalizedName, set[NormalizedName]] = {}
        """The edges followed, from a name to the names it pulled in."""
        self.not_followed: dict[NormalizedName, list[str]] = {}
        """For names an edge did not follow: why, the edge's marker, false here."""
        self._queue: deque[tuple[int, NormalizedName | None]] = deque()
        self._seen: set[tuple[int, NormalizedName | None]] = set()

    def reach(
        self,
        position: int,
        name: NormalizedName,
        parent: NormalizedName | None,
        extras: Iterable[NormalizedName],
    ) -> None:
        """Record an edge from ``parent`` (None: the project) to the entry at ``position``.

        The entry's own dependencies, and those of each extra the edge asks for, are queued
        for :meth:`pending` unless they were already.
        """
        state = self.reached.setdefault(position, Reached())
        if parent is None:
            state.direct = True
            self.roots.add(name)
        else:
            self.edges.setdefault(parent, set()).add(name)
        asked = set(extras)
        state.extras |= asked
        for part in (None, *sorted(asked)):
            if (position, part) not in self._seen:
                self._seen.add((position, part))
                self._queue.append((position, part))

    def skip(self, name: NormalizedName, why: str) -> None:
        """Record an edge to ``name`` that is not followed, and ``why`` (its marker)."""
        self.not_followed.setdefault(name, []).append(why)

    def pending(self) -> Iterator[tuple[int, NormalizedName | None]]:
        """Yield each entry reached, and what of it to follow, until nothing new is reached.

        What to follow is None for the entry's own dependencies, or one of its extras.
        """
        while self._queue:
            yield self._queue.popleft()

    def chains(self) -> dict[NormalizedName, tuple[NormalizedName, ...]]:
        """Return, for each name reached, the names that pull it in (:func:`shortest_chains`)."""
        return shortest_chains(self.roots, self.edges)

    def why_not(self, name: NormalizedName) -> str:
        """Say why ``name`` was not reached: the markers of the edges not followed to it."""
        return false_markers_reason(self.not_followed.get(name, ()))
