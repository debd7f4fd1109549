from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from readiness.model import Target
from readiness.sources.interface import (
    Dependency,
    Provenance,
    ResolvedDependency,
    Selection,
    SourceError,
)
from readiness.sources.pipfilelock import PipfileLockSource
from tests.sources.outcomes import ASSETS, one_per_name, resolved, skipped

# The same project locked by pipenv (README.md, "same-project/").
LOCK = ASSETS / "same-project" / "pipenv" / "Pipfile.lock"
DEFAULT = {("anyio", "4.11.0"), ("click", "8.3.0"), ("idna", "3.11"), ("sniffio", "1.3.1")}
DEVELOP = {
    ("iniconfig", "2.3.0"),
    ("packaging", "25.0"),
    ("pluggy", "1.6.0"),
    ("pygments", "2.19.2"),
    ("pytest", "8.4.2"),
}


def collect(path: Path, target: Target, selection: Selection | None = None) -> list[Dependency]:
    return one_per_name(list(PipfileLockSource(path, selection or Selection()).collect(target)))


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "Pipfile.lock"
    path.write_text(json.dumps({"_meta": {"pipfile-spec": 6}, **document}, indent=4))
    return path


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(), DEFAULT),
        (Selection(no_dev=True), DEFAULT),
        (Selection(groups=frozenset({"dev"})), DEFAULT | DEVELOP),
        (Selection(all_groups=True), DEFAULT | DEVELOP),
    ],
)
def test_categories_like_pipenv(
    selection: Selection, expected: set[tuple[str, str]], linux_313t: Target
) -> None:
    assert resolved(collect(LOCK, linux_313t, selection)) == expected


def test_the_project_itself_is_left_out_and_direct_comes_from_the_pipfile(
    linux_313t: Target,
) -> None:
    found: dict[str, Dependency] = {
        dep.name: dep for dep in collect(LOCK, linux_313t, Selection(all_groups=True))
    }
    assert "sameproject" not in found
    direct = {n for n, d in found.items() if isinstance(d, ResolvedDependency) and d.direct}
    assert direct == {"pytest"}


def test_markers_vcs_path_and_file_entries(tmp_path: Path, linux_313t: Target) -> None:
    (tmp_path / "libs" / "localpkg").mkdir(parents=True)
    path = write(
        tmp_path,
        {
            "default": {
                "pywin32": {"version": "==306", "markers": "sys_platform == 'win32'"},
                "gitpkg": {
                    "git": "http://127.0.0.1:9/gitpkg.git",
                    "ref": "abc123",
                    "version": "==1.0",
                },
                "localpkg": {"path": "libs/localpkg", "editable": True, "version": "==0.2"},
                "wheelpkg": {
                    "file": "http://127.0.0.1:9/wheelpkg-3.0-py3-none-any.whl",
                    "version": "==3.0",
                },
            },
            "develop": {},
        },
    )
    found: dict[str, Dependency] = {dep.name: dep for dep in collect(path, linux_313t)}
    assert skipped(found.values()) == {
        "pywin32": 'marker `sys_platform == "win32"` is false for this interpreter'
    }
    gitpkg, localpkg, wheelpkg = found["gitpkg"], found["localpkg"], found["wheelpkg"]
    assert isinstance(gitpkg, ResolvedDependency)
    assert isinstance(localpkg, ResolvedDependency)
    assert isinstance(wheelpkg, ResolvedDependency)
    assert (gitpkg.provenance, gitpkg.url) == (
        Provenance.VCS,
        "git+http://127.0.0.1:9/gitpkg.git@abc123",
    )
    assert (localpkg.provenance, localpkg.editable) == (Provenance.PATH, True)
    assert localpkg.url == (tmp_path / "libs" / "localpkg").as_uri()
    assert (wheelpkg.provenance, wheelpkg.url) == (
        Provenance.URL,
        "http://127.0.0.1:9/wheelpkg-3.0-py3-none-any.whl",
    )
    # No Pipfile beside the lock: every name counts as asked for.
    assert gitpkg.direct
    assert not gitpkg.chain


def test_a_git_entry_without_a_version(tmp_path: Path, linux_313t: Target) -> None:
    path = write(
        tmp_path, {"default": {"gitpkg": {"git": "http://127.0.0.1:9/g.git", "ref": "abc"}}}
    )
    with pytest.raises(SourceError, match="with no version: not supported yet"):
        collect(path, linux_313t)


def test_a_category_not_in_the_lock(linux_313t: Target) -> None:
    with pytest.raises(SourceError, match="the lock has no category 'docs'"):
        collect(LOCK, linux_313t, Selection(groups=frozenset({"docs"})))


def test_a_version_not_pinned(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, {"default": {"idna": {"version": ">=3"}}})
    with pytest.raises(SourceError, match="is not pinned with =="):
        collect(path, linux_313t)


def test_kind_and_completeness() -> None:
    source = PipfileLockSource(LOCK, Selection())
    assert (source.kind, source.complete) == ("Pipfile.lock", True)
