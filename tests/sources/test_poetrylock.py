from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from readiness.model import Target
from readiness.sources.interface import (
    Dependency,
    Provenance,
    ResolvedDependency,
    Selection,
    SourceError,
)
from readiness.sources.poetrylock import PoetryLockSource, _parse_constraint
from tests.sources.outcomes import (
    ASSETS,
    DEV_GROUP,
    LINUX_313_DEV,
    WINDOWS_310_DEV,
    one_per_name,
    resolved,
    skipped,
)

# The same project locked by poetry 2.2 (lock 2.1), 1.8 (2.0) and 1.1 (1.1); README.md.
LOCKS = {
    version: ASSETS / f"poetry{version.replace('.', '')}" / "poetry.lock"
    for version in ("2.1", "2.0", "1.1")
}
DOCS = {("mdurl", "0.1.2"), ("pygments", "2.19.2"), ("colorama", "0.4.6")}


def collect(path: Path, target: Target, selection: Selection | None = None) -> list[Dependency]:
    return one_per_name(list(PoetryLockSource(path, selection or Selection()).collect(target)))


def by_name(found: list[Dependency]) -> dict[str, Dependency]:
    return {dep.name: dep for dep in found}


@pytest.mark.parametrize("version", sorted(LOCKS))
def test_default_install_on_linux_313(version: str, linux_313t: Target) -> None:
    found = collect(LOCKS[version], linux_313t)
    assert resolved(found) == LINUX_313_DEV
    reasons = skipped(found)
    assert reasons["click"] == "not needed on this interpreter with the selected extras and groups"
    assert reasons["colorama"] == 'marker `sys_platform == "win32"` is false for this interpreter'
    assert reasons["typing-extensions"] == (
        'marker `python_version < "3.13"` is false for this interpreter'
    )


@pytest.mark.parametrize("version", sorted(LOCKS))
def test_the_fork_on_windows_310(version: str, windows_310: Target) -> None:
    found = collect(LOCKS[version], windows_310)
    assert resolved(found) == WINDOWS_310_DEV
    assert by_name(found)["six"].origin.entry == 'package "six" 1.16.0'


@pytest.mark.parametrize("version", sorted(LOCKS))
def test_direct_and_chains(version: str, linux_313t: Target) -> None:
    found = by_name(collect(LOCKS[version], linux_313t))
    direct = {n for n, d in found.items() if isinstance(d, ResolvedDependency) and d.direct}
    assert direct == {"anyio", "six", "pytest"}
    idna = found["idna"]
    assert isinstance(idna, ResolvedDependency)
    assert (idna.chain, idna.provenance, idna.url) == (("anyio",), Provenance.INDEX, None)


@pytest.mark.parametrize(
    ("version", "selection", "expected"),
    [
        ("2.1", Selection(extras=frozenset({"cli"})), LINUX_313_DEV | {("click", "8.3.0")}),
        ("1.1", Selection(extras=frozenset({"cli"})), LINUX_313_DEV | {("click", "8.3.0")}),
        ("2.1", Selection(no_dev=True), LINUX_313_DEV - DEV_GROUP),
        ("1.1", Selection(no_dev=True), LINUX_313_DEV - DEV_GROUP),
        ("2.1", Selection(groups=frozenset({"docs"})), LINUX_313_DEV | DOCS),
        ("2.0", Selection(all_groups=True, no_dev=True), (LINUX_313_DEV - DEV_GROUP) | DOCS),
        (
            "2.0",
            Selection(all_extras=True, all_groups=True),
            LINUX_313_DEV | DOCS | {("click", "8.3.0")},
        ),
    ],
)
def test_selections_like_poetry_install(
    version: str, selection: Selection, expected: set[tuple[str, str]], linux_313t: Target
) -> None:
    found = collect(LOCKS[version], linux_313t, selection)
    assert resolved(found) == expected


def test_an_extra_on_a_group_edge(linux_313t: Target) -> None:
    found = by_name(collect(LOCKS["2.1"], linux_313t, Selection(groups=frozenset({"docs"}))))
    pygments, colorama = found["pygments"], found["colorama"]
    assert isinstance(pygments, ResolvedDependency)
    assert isinstance(colorama, ResolvedDependency)
    assert pygments.extras == {"windows-terminal"}
    assert (colorama.direct, colorama.chain) == (False, ("pygments",))


def test_undeclared_group(linux_313t: Target) -> None:
    with pytest.raises(SourceError, match="declares no dependency group 'lint'"):
        collect(LOCKS["2.1"], linux_313t, Selection(groups=frozenset({"lint"})))


def test_a_lock_without_its_pyproject(tmp_path: Path, linux_313t: Target) -> None:
    shutil.copy(LOCKS["2.1"], tmp_path / "poetry.lock")
    with pytest.raises(SourceError, match=r"needs the pyproject\.toml beside it"):
        collect(tmp_path / "poetry.lock", linux_313t)


def test_a_lock_out_of_date_with_pyproject(tmp_path: Path, linux_313t: Target) -> None:
    shutil.copy(LOCKS["2.1"], tmp_path / "poetry.lock")
    pyproject = (LOCKS["2.1"].parent / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject.replace('anyio = "^4.11"', 'anyio = "^5"'))
    with pytest.raises(SourceError, match=r"`anyio` \^5, which no locked package satisfies"):
        collect(tmp_path / "poetry.lock", linux_313t)


def test_a_lock_for_another_python(windows_310: Target, tmp_path: Path) -> None:
    folder = LOCKS["2.1"].parent
    for name in ("poetry.lock", "pyproject.toml"):
        text = (folder / name).read_text()
        (tmp_path / name).write_text(
            text.replace('python-versions = "^3.10"', 'python-versions = "^3.11"')
        )
    with pytest.raises(SourceError, match=r"for Python \^3.11, and the interpreter is Python 3.10"):
        collect(tmp_path / "poetry.lock", windows_310)


def test_git_and_directory_sources(tmp_path: Path, linux_313t: Target) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry.dependencies]\npython = "^3.10"\n'
        'gitpkg = { git = "http://127.0.0.1:9/gitpkg.git" }\n'
        'localpkg = { path = "libs/localpkg", develop = true }\n'
    )
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "gitpkg"\nversion = "1.0"\noptional = false\n'
        '[package.source]\ntype = "git"\nurl = "http://127.0.0.1:9/gitpkg.git"\n'
        'reference = "HEAD"\nresolved_reference = "abc123"\n\n'
        '[[package]]\nname = "localpkg"\nversion = "0.2"\noptional = false\n'
        '[package.source]\ntype = "directory"\nurl = "libs/localpkg"\ndevelop = true\n\n'
        '[metadata]\nlock-version = "2.0"\npython-versions = "^3.10"\n'
    )
    found = by_name(collect(tmp_path / "poetry.lock", linux_313t))
    gitpkg, localpkg = found["gitpkg"], found["localpkg"]
    assert isinstance(gitpkg, ResolvedDependency)
    assert isinstance(localpkg, ResolvedDependency)
    assert (gitpkg.provenance, gitpkg.url) == (
        Provenance.VCS,
        "git+http://127.0.0.1:9/gitpkg.git@abc123",
    )
    assert gitpkg.requirement() == "gitpkg @ git+http://127.0.0.1:9/gitpkg.git@abc123"
    assert (localpkg.provenance, localpkg.editable) == (Provenance.PATH, True)
    assert localpkg.url == (tmp_path / "libs" / "localpkg").resolve().as_uri()


@pytest.mark.parametrize(
    ("constraint", "inside", "outside"),
    [
        ("^1.2.3", ["1.2.3", "1.9"], ["1.2.2", "2.0"]),
        ("^0.2.3", ["0.2.9"], ["0.3.0"]),
        ("^0.0.3", ["0.0.3"], ["0.0.4"]),
        ("~1.2.3", ["1.2.9"], ["1.3.0"]),
        ("~1", ["1.9"], ["2.0"]),
        ("~=1.2", ["1.9"], ["2.0"]),
        (">=1.2, <2.0", ["1.5"], ["2.0"]),
        (">= 1.2 < 2.0", ["1.5"], ["2.0"]),
        ("*", ["0.1", "99"], []),
        ("1.2.*", ["1.2.7"], ["1.3"]),
        ("1.2", ["1.2"], ["1.2.1"]),
        ("<1.0 || >=2.0", ["0.9", "2.1"], ["1.5"]),
    ],
)
def test_poetry_constraints(constraint: str, inside: list[str], outside: list[str]) -> None:
    sets = _parse_constraint(constraint, python=False)
    assert all(isinstance(spec, SpecifierSet) for spec in sets)
    for version in inside:
        assert any(spec.contains(Version(version)) for spec in sets), version
    for version in outside:
        assert not any(spec.contains(Version(version)) for spec in sets), version


def test_a_python_constraint_names_a_series() -> None:
    (spec,) = _parse_constraint("3.10", python=True)
    assert spec.contains("3.10.4")


def test_kind_and_completeness() -> None:
    source = PoetryLockSource(LOCKS["2.1"], Selection())
    assert (source.kind, source.complete) == ("poetry.lock", True)
