"""The sources' kit: one chain finder, one marker check, one PEP 735 expansion."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.markers import Marker
from packaging.utils import NormalizedName, canonicalize_name

from readiness.sources._chains import shortest_chains
from readiness.sources._fields import combine_markers, error_at, marker_holds, parse_marker
from readiness.sources._filenames import distribution_of_file
from readiness.sources._groups import expand_group
from readiness.sources.interface import SourceError

FILE = Path("/project/pyproject.toml")

_NAMES = st.sampled_from([canonicalize_name(name) for name in "abcdefg"])
_GRAPHS = st.dictionaries(_NAMES, st.sets(_NAMES, max_size=4), max_size=7)


def _first_shortest_paths(
    direct: set[NormalizedName], edges: dict[NormalizedName, set[NormalizedName]]
) -> dict[NormalizedName, tuple[NormalizedName, ...]]:
    """Every reachable name's shortest path from a direct one, the first by name: by levels."""
    paths: dict[NormalizedName, tuple[NormalizedName, ...]] = {name: (name,) for name in direct}
    while True:
        found: dict[NormalizedName, tuple[NormalizedName, ...]] = {}
        for parent, children in edges.items():
            for child in children - paths.keys():
                if parent in paths and len(paths[parent]) == max(map(len, paths.values())):
                    candidate = (*paths[parent], child)
                    found[child] = min(found.get(child, candidate), candidate)
        if not found:
            return paths
        paths.update(found)


def test_the_shorter_chain_wins_then_the_first_by_name() -> None:
    a, b, c, x, y = (canonicalize_name(name) for name in "abcxy")
    edges = {b: {x}, a: {c}, c: {x, y}, x: {y}}
    chains = shortest_chains([b, a], edges)
    assert chains[x] == (b,)  # one edge from b, two from a
    assert chains[y] == (a, c)  # a -> c -> y and b -> x -> y: a comes first
    assert chains[a] == chains[b] == ()


@given(direct=st.sets(_NAMES, min_size=1, max_size=3), edges=_GRAPHS)
def test_every_chain_is_the_first_by_name_of_the_shortest(
    direct: set[NormalizedName], edges: dict[NormalizedName, set[NormalizedName]]
) -> None:
    chains = shortest_chains(direct, edges)
    expected = _first_shortest_paths(direct, edges)
    assert chains == {name: path[:-1] for name, path in expected.items()}
    for name, chain in chains.items():
        path = (*chain, name)
        assert path[0] in direct
        assert all(child in edges.get(parent, ()) for parent, child in itertools.pairwise(path))


def test_the_order_of_the_direct_names_changes_no_chain() -> None:
    a, b, x = (canonicalize_name(name) for name in "abx")
    edges = {a: {x}, b: {x}}
    assert shortest_chains([b, a], edges) == shortest_chains([a, b], edges)


def test_a_marker_is_checked_with_the_extra_asked() -> None:
    marker = Marker('extra == "cli"')
    assert marker_holds(marker, {}, path=FILE, extra="cli")
    assert not marker_holds(marker, {}, path=FILE, extra="")


def test_a_marker_that_cannot_be_evaluated_names_the_file_line_and_entry() -> None:
    marker = Marker("python_version ~= 'abc'")
    with pytest.raises(SourceError, match="cannot be evaluated") as raised:
        marker_holds(marker, {"python_version": "3.13"}, path=FILE, line=4, entry="pkg")
    assert (raised.value.path, raised.value.line) == (FILE, 4)
    assert "pkg: marker `" in str(raised.value)


def test_an_invalid_marker_says_where_and_what() -> None:
    with pytest.raises(SourceError, match=r"^[^:]*:7: dep: `os_name ==` is not a valid marker"):
        parse_marker("os_name ==", error=error_at(FILE, 7), where="dep")


def test_markers_combine_and_one_stays_as_it_is() -> None:
    one = Marker('os_name == "posix"')
    assert combine_markers([one], "and") is one
    assert combine_markers([], "or") is None
    both = combine_markers([one, Marker('python_version < "3.12"')], "and")
    assert both is not None
    assert not both.evaluate({"os_name": "posix", "python_version": "3.13"})


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("anyio-4.11.0-py3-none-any.whl", ("anyio", "4.11.0")),
        ("Foo_Bar-1.0.tar.gz", ("foo-bar", "1.0")),
        ("notes.txt", None),
    ],
)
def test_a_file_name_says_its_distribution(filename: str, expected: tuple[str, str] | None) -> None:
    found = distribution_of_file(filename)
    assert (None if found is None else (found[0], str(found[1]))) == expected


def test_groups_expand_their_includes_in_order() -> None:
    groups = {"test": ["pytest", {"include-group": "lint"}], "lint": ["ruff>=0.6"]}
    assert [str(r) for r in expand_group(groups, "test", path=FILE)] == ["pytest", "ruff>=0.6"]


def test_an_include_cycle_is_spelled_out_at_the_line_that_closes_it() -> None:
    groups = {
        "a": [{"include-group": "b"}],
        "b": [{"include-group": "c"}],
        "c": [{"include-group": "a"}],
    }
    with pytest.raises(SourceError, match=r"cycle: a -> b -> c -> a$") as raised:
        expand_group(groups, "a", path=FILE, line_of={"a": 9}.get)
    assert (raised.value.path, raised.value.line) == (FILE, 9)


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ({"a": [{"include-group": "nowhere"}]}, "not found"),
        ({"a": "pytest"}, "string rather than a list"),
        ({"a": [3]}, "Invalid dependency group item"),
        ({"a": ["pytest >> 1"]}, "Expected"),
    ],
)
def test_what_packaging_refuses_in_a_group_names_the_file(
    groups: dict[str, object], reason: str
) -> None:
    with pytest.raises(SourceError, match=reason) as raised:
        expand_group(groups, "a", path=FILE, line=3)
    assert (raised.value.path, raised.value.line) == (FILE, 3)
