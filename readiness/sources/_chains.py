"""The chain that pulls a transitive dependency in: the shortest path from a direct one."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from packaging.utils import NormalizedName


def shortest_chains(
    direct: Collection[NormalizedName],
    edges: Mapping[NormalizedName, Collection[NormalizedName]],
) -> dict[NormalizedName, tuple[NormalizedName, ...]]:
    """Return, for every name reachable from ``direct``, the names that pull it in.

    The chain runs from a direct dependency down to the name's parent (``fastapi, starlette``
    for anyio), along the fewest edges; among chains of one length, the first by name wins.
    A direct dependency's chain is empty. ``edges`` maps a name to the names it depends on.
    """
    # Breadth first, level by level: every path to the current level is already the smallest
    # by name among the shortest, so extending the smallest parent's path keeps that true.
    paths: dict[NormalizedName, tuple[NormalizedName, ...]] = {name: (name,) for name in direct}
    level = sorted(paths)
    while level:
        found: dict[NormalizedName, tuple[NormalizedName, ...]] = {}
        for parent in level:
            for child in edges.get(parent, ()):
                if child in paths:
                    continue
                path = (*paths[parent], child)
                if child not in found or path < found[child]:
                    found[child] = path
        paths.update(found)
        level = sorted(found)
    return {name: path[:-1] for name, path in paths.items()}
