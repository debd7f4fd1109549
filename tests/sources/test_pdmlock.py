from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from readiness.model import Target
from readiness.sources.interface import (
    Dependency,
    Provenance,
    ResolvedDependency,
    Selection,
    SourceError,
)
from readiness.sources.pdmlock import PdmLockSource
from tests.sources.outcomes import ASSETS, DEV_GROUP, LINUX_313_DEV, one_per_name, resolved, skipped

# lockdemo's project locked by pdm, one target per side of the six fork (README.md).
LOCK = ASSETS / "pdmdemo" / "pdm.lock"
CLI = {("click", "8.3.0")}
# pdm merges a package's markers over its groups: colorama, needed everywhere by docs
# (pygments[windows-terminal]), carries no marker, so `pdm sync` installs it with every group.
COLORAMA = {("colorama", "0.4.6")}
DOCS = {("mdurl", "0.1.2"), ("pygments", "2.19.2")}


def collect(path: Path, target: Target, selection: Selection | None = None) -> list[Dependency]:
    return one_per_name(list(PdmLockSource(path, selection or Selection()).collect(target)))


def by_name(found: list[Dependency]) -> dict[str, Dependency]:
    return {dep.name: dep for dep in found}


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        # What `pdm sync --dry-run` printed for each on CPython 3.13 (README.md).
        (Selection(), LINUX_313_DEV | CLI | COLORAMA | DOCS),
        (Selection(no_dev=True), LINUX_313_DEV - DEV_GROUP | COLORAMA),
        (
            Selection(no_dev=True, extras=frozenset({"cli"})),
            LINUX_313_DEV - DEV_GROUP | COLORAMA | CLI,
        ),
        (Selection(groups=frozenset({"dev"})), LINUX_313_DEV | COLORAMA | DOCS),
    ],
)
def test_selections_like_pdm_sync(
    selection: Selection, expected: set[tuple[str, str]], linux_313t: Target
) -> None:
    assert resolved(collect(LOCK, linux_313t, selection)) == expected


def test_the_fork_and_the_markers(linux_313t: Target, windows_310: Target) -> None:
    found = by_name(collect(LOCK, linux_313t))
    assert found["six"].origin.entry == 'package "six" 1.17.0'
    assert skipped(collect(LOCK, linux_313t))["tomli"] == (
        'marker `python_version >= "3.10" and python_version < "3.11"` is false for this '
        "interpreter"
    )
    on_windows = by_name(collect(LOCK, windows_310))
    assert on_windows["six"].origin.entry == 'package "six" 1.16.0'
    assert ("tomli", "2.3.0") in resolved(on_windows.values())


def test_the_extras_entry_is_merged(linux_313t: Target) -> None:
    found = by_name(collect(LOCK, linux_313t))
    pygments = found["pygments"]
    assert isinstance(pygments, ResolvedDependency)
    assert (pygments.extras, pygments.direct) == (frozenset({"windows-terminal"}), True)
    colorama = found["colorama"]
    assert isinstance(colorama, ResolvedDependency)
    assert (colorama.direct, colorama.chain) == (False, ("pygments",))
    idna = found["idna"]
    assert isinstance(idna, ResolvedDependency)
    assert (idna.direct, idna.chain, idna.provenance) == (False, ("anyio",), Provenance.INDEX)


def test_without_pyproject_every_package_counts_as_direct(
    tmp_path: Path, linux_313t: Target
) -> None:
    shutil.copy(LOCK, tmp_path / "pdm.lock")
    found = collect(tmp_path / "pdm.lock", linux_313t)
    assert all(dep.direct and not dep.chain for dep in found if isinstance(dep, ResolvedDependency))


def test_a_group_not_locked(linux_313t: Target) -> None:
    with pytest.raises(SourceError, match=r"the lock holds no group 'lint'"):
        collect(LOCK, linux_313t, Selection(groups=frozenset({"lint"})))


def test_a_lock_for_another_python(tmp_path: Path, windows_310: Target) -> None:
    text = LOCK.read_text().replace(
        'requires_python = ">=3.10,<3.13"', 'requires_python = ">=3.13"'
    )
    (tmp_path / "pdm.lock").write_text(text)
    with pytest.raises(SourceError, match=r"the interpreter is Python 3\.10\.11"):
        collect(tmp_path / "pdm.lock", windows_310)


def test_a_lock_without_inherit_metadata(tmp_path: Path, linux_313t: Target) -> None:
    (tmp_path / "pdm.lock").write_text(
        '[metadata]\ngroups = ["default"]\nstrategy = ["cross_platform"]\nlock_version = "4.4"\n'
    )
    with pytest.raises(SourceError, match="without the inherit_metadata strategy"):
        collect(tmp_path / "pdm.lock", linux_313t)


def test_git_and_path_packages(tmp_path: Path, linux_313t: Target) -> None:
    (tmp_path / "pdm.lock").write_text(
        '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\n'
        'lock_version = "4.5.0"\n\n'
        '[[package]]\nname = "gitpkg"\nversion = "1.0"\ngroups = ["default"]\n'
        'git = "http://127.0.0.1:9/gitpkg.git"\nrevision = "abc123"\n\n'
        '[[package]]\nname = "localpkg"\nversion = "0.2"\ngroups = ["default"]\n'
        'path = "./libs/localpkg"\neditable = true\n'
    )
    found = by_name(collect(tmp_path / "pdm.lock", linux_313t))
    gitpkg, localpkg = found["gitpkg"], found["localpkg"]
    assert isinstance(gitpkg, ResolvedDependency)
    assert isinstance(localpkg, ResolvedDependency)
    assert (gitpkg.provenance, gitpkg.url) == (
        Provenance.VCS,
        "git+http://127.0.0.1:9/gitpkg.git@abc123",
    )
    assert (localpkg.provenance, localpkg.editable) == (Provenance.PATH, True)
    assert localpkg.url == (tmp_path / "libs" / "localpkg").as_uri()


def test_kind_and_completeness() -> None:
    source = PdmLockSource(LOCK, Selection())
    assert (source.kind, source.complete) == ("pdm.lock", True)
