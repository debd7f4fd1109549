from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.model import Target
from readiness.sources.interface import (
    Dependency,
    Origin,
    Provenance,
    ResolvedDependency,
    Selection,
    SkippedDependency,
    SourceError,
)
from readiness.sources.requirements import RequirementsSource
from readiness.sources.uvlock import UvLockSource
from tests.sources.outcomes import (
    DEV_GROUP,
    LINUX_313_DEV,
    LOCKDEMO,
    WINDOWS_310_DEV,
    WORKSPACE,
    one_per_name,
    resolved,
    skipped,
)

LOCK = LOCKDEMO / "uv.lock"
REGISTRY = 'source = { registry = "http://127.0.0.1:9/simple" }\n'


def collect(path: Path, target: Target, selection: Selection | None = None) -> list[Dependency]:
    return one_per_name(list(UvLockSource(path, selection or Selection()).collect(target)))


def by_name(found: list[Dependency]) -> dict[str, Dependency]:
    return {dep.name: dep for dep in found}


def lock(tmp_path: Path, body: str, header: str = "version = 1\nrevision = 3\n") -> Path:
    path = tmp_path / "uv.lock"
    path.write_text(f"{header}\n{body}")
    return path


def project(dependencies: str, extra: str = "") -> str:
    return (
        '[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { virtual = "." }\n'
        f"dependencies = [{dependencies}]\n{extra}\n"
    )


def registry_package(name: str, version: str, extra: str = "") -> str:
    return f'[[package]]\nname = "{name}"\nversion = "{version}"\n{REGISTRY}{extra}\n'


# The lock uv wrote for lockdemo (tests/assets/sources/README.md).


def test_default_sync_on_linux_313_matches_uv_pip_compile(linux_313t: Target) -> None:
    found = collect(LOCK, linux_313t)
    assert resolved(found) == LINUX_313_DEV
    compiled = RequirementsSource(LOCKDEMO / "requirements.txt").collect(linux_313t)
    assert resolved(found) == resolved(compiled)
    not_needed = "not needed on this interpreter with the selected extras and groups"
    assert skipped(found) == {
        "click": not_needed,
        "mdurl": not_needed,
        "colorama": 'marker `sys_platform == "win32"` is false for this interpreter',
        "exceptiongroup": 'marker `python_full_version < "3.11"` is false for this interpreter',
        "tomli": 'marker `python_full_version < "3.11"` is false for this interpreter',
        "typing-extensions": 'marker `python_full_version < "3.13"` is false for this interpreter',
    }


def test_direct_dependencies_are_the_projects_own(linux_313t: Target) -> None:
    found = by_name(collect(LOCK, linux_313t))
    direct = {
        name for name, dep in found.items() if isinstance(dep, ResolvedDependency) and dep.direct
    }
    assert direct == {"anyio", "six", "pytest"}
    assert found["six"].origin == Origin(path=LOCK, entry='package "six" 1.17.0')


def test_the_fork_on_windows_310_matches_uv_pip_compile(windows_310: Target) -> None:
    found = collect(LOCK, windows_310)
    assert resolved(found) == WINDOWS_310_DEV
    compiled = RequirementsSource(LOCKDEMO / "requirements-win-py310.txt").collect(windows_310)
    assert resolved(found) == resolved(compiled)
    assert by_name(found)["six"].origin.entry == 'package "six" 1.16.0'


def test_extras_groups_and_an_extra_on_an_edge(linux_313t: Target) -> None:
    selection = Selection(extras=frozenset({"cli"}), groups=frozenset({"Docs"}))
    found = collect(LOCK, linux_313t, selection)
    # docs asks for pygments[windows-terminal], whose extra needs colorama on every platform.
    assert resolved(found) == LINUX_313_DEV | {
        ("click", "8.3.0"),
        ("mdurl", "0.1.2"),
        ("colorama", "0.4.6"),
    }
    pygments = by_name(found)["pygments"]
    assert isinstance(pygments, ResolvedDependency)
    assert pygments.extras == {"windows-terminal"}
    assert pygments.direct
    colorama = by_name(found)["colorama"]
    assert isinstance(colorama, ResolvedDependency)
    assert not colorama.direct


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(no_dev=True), LINUX_313_DEV - DEV_GROUP),
        (
            Selection(all_extras=True, all_groups=True),
            LINUX_313_DEV | {("click", "8.3.0"), ("mdurl", "0.1.2"), ("colorama", "0.4.6")},
        ),
        (
            Selection(all_groups=True, no_dev=True),
            (LINUX_313_DEV - DEV_GROUP)
            | {("mdurl", "0.1.2"), ("pygments", "2.19.2"), ("colorama", "0.4.6")},
        ),
    ],
)
def test_selections_like_uv_sync(
    linux_313t: Target, selection: Selection, expected: set[tuple[str, str]]
) -> None:
    assert resolved(collect(LOCK, linux_313t, selection)) == expected


def test_default_groups_from_pyproject(tmp_path: Path, linux_313t: Target) -> None:
    shutil.copy(LOCK, tmp_path / "uv.lock")
    pyproject = (LOCKDEMO / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject + '\n[tool.uv]\ndefault-groups = ["docs"]\n')
    found = resolved(collect(tmp_path / "uv.lock", linux_313t))
    assert found == (LINUX_313_DEV - DEV_GROUP) | {
        ("mdurl", "0.1.2"),
        ("pygments", "2.19.2"),
        ("colorama", "0.4.6"),
    }
    (tmp_path / "pyproject.toml").write_text(pyproject + '\n[tool.uv]\ndefault-groups = "all"\n')
    assert ("mdurl", "0.1.2") in resolved(collect(tmp_path / "uv.lock", linux_313t))


@pytest.mark.parametrize(
    ("selection", "message", "declared"),
    [
        (Selection(groups=frozenset({"lint"})), "declares no dependency group 'lint'", "dev, docs"),
        (Selection(extras=frozenset({"gui"})), "declares no extra 'gui'", "cli"),
    ],
)
def test_undeclared_extra_or_group(
    linux_313t: Target, selection: Selection, message: str, declared: str
) -> None:
    with pytest.raises(SourceError, match=message) as raised:
        collect(LOCK, linux_313t, selection)
    assert raised.value.path == LOCK
    assert raised.value.hint == f"the lock's project declares: {declared}"


def test_workspace_members_are_the_projects_code(linux_313t: Target) -> None:
    found = collect(WORKSPACE / "uv.lock", linux_313t)
    # wsapp (the virtual root) and wscore (a member) are not dependencies; their own are direct.
    assert found == [
        SkippedDependency(
            name=NormalizedName("colorama"),
            origin=Origin(path=WORKSPACE / "uv.lock", entry='package "colorama" 0.4.6'),
            reason='marker `sys_platform == "win32"` is false for this interpreter',
            version=Version("0.4.6"),
        ),
        ResolvedDependency(
            name=NormalizedName("idna"),
            origin=Origin(path=WORKSPACE / "uv.lock", entry='package "idna" 3.11'),
            version=Version("3.11"),
        ),
        ResolvedDependency(
            name=NormalizedName("sniffio"),
            origin=Origin(path=WORKSPACE / "uv.lock", entry='package "sniffio" 1.3.1'),
            version=Version("1.3.1"),
        ),
    ]


def test_workspace_without_a_root_project_syncs_every_member(
    tmp_path: Path, linux_313t: Target
) -> None:
    path = lock(
        tmp_path,
        '[manifest]\nmembers = ["alpha", "beta"]\n\n'
        '[[package]]\nname = "alpha"\nversion = "1.0"\nsource = { editable = "packages/alpha" }\n'
        'dependencies = [{ name = "idna" }]\n\n'
        '[[package]]\nname = "beta"\nversion = "1.0"\nsource = { editable = "packages/beta" }\n'
        'dependencies = [{ name = "sniffio" }]\n\n'
        + registry_package("idna", "3.11")
        + registry_package("sniffio", "1.3.1"),
    )
    assert resolved(collect(path, linux_313t)) == {("idna", "3.11"), ("sniffio", "1.3.1")}


# Hand-written locks, in the forms uv writes for sources other than an index.


def test_git_url_and_path_sources_install_what_the_lock_pins(
    tmp_path: Path, linux_313t: Target
) -> None:
    path = lock(
        tmp_path,
        project(
            '{ name = "gitpkg" }, { name = "subpkg" }, { name = "urlpkg" }, '
            '{ name = "pathpkg" }, { name = "dirpkg" }, { name = "idna" }'
        )
        + '[[package]]\nname = "gitpkg"\nversion = "1.0"\n'
        'source = { git = "http://127.0.0.1:9/gitpkg.git?rev=main#abc123" }\n\n'
        '[[package]]\nname = "subpkg"\nversion = "2.0"\n'
        'source = { git = "http://127.0.0.1:9/mono.git?subdirectory=sub&tag=v2#def456" }\n\n'
        '[[package]]\nname = "urlpkg"\nversion = "3.0"\n'
        'source = { url = "http://127.0.0.1:9/urlpkg-3.0-py3-none-any.whl" }\n\n'
        '[[package]]\nname = "pathpkg"\nversion = "4.0"\n'
        'source = { path = "wheels/pathpkg-4.0-py3-none-any.whl" }\n\n'
        '[[package]]\nname = "dirpkg"\nversion = "5.0"\nsource = { directory = "../dirpkg" }\n\n'
        + registry_package("idna", "3.11"),
    )
    found = {dep.name: dep for dep in collect(path, linux_313t)}
    requirements = {
        name: dep.requirement()
        for name, dep in found.items()
        if isinstance(dep, ResolvedDependency)
    }
    assert requirements == {
        "gitpkg": "gitpkg @ git+http://127.0.0.1:9/gitpkg.git@abc123",
        "subpkg": "subpkg @ git+http://127.0.0.1:9/mono.git@def456#subdirectory=sub",
        "urlpkg": "urlpkg @ http://127.0.0.1:9/urlpkg-3.0-py3-none-any.whl",
        "pathpkg": f"pathpkg @ {(tmp_path / 'wheels/pathpkg-4.0-py3-none-any.whl').as_uri()}",
        "dirpkg": f"dirpkg @ {(tmp_path.parent / 'dirpkg').resolve().as_uri()}",
        "idna": "idna==3.11",
    }
    provenances = {
        name: dep.provenance for name, dep in found.items() if isinstance(dep, ResolvedDependency)
    }
    assert provenances == {
        "gitpkg": Provenance.VCS,
        "subpkg": Provenance.VCS,
        "urlpkg": Provenance.URL,
        "pathpkg": Provenance.PATH,
        "dirpkg": Provenance.PATH,
        "idna": Provenance.INDEX,
    }


def test_an_unknown_source_kind_is_refused(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(
        tmp_path,
        project('{ name = "odd" }')
        + '[[package]]\nname = "odd"\nversion = "1.0"\nsource = { carrier-pigeon = "x" }\n',
    )
    with pytest.raises(SourceError, match="does not know how to install") as raised:
        collect(path, linux_313t)
    assert 'package "odd" 1.0 comes from carrier-pigeon' in str(raised.value)


def test_git_dependency_for_another_platform_is_skipped(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(
        tmp_path,
        project('{ name = "gitpkg", marker = "sys_platform == \'win32\'" }, { name = "idna" }')
        + '[[package]]\nname = "gitpkg"\nversion = "1.0"\n'
        'source = { git = "http://127.0.0.1:9/gitpkg.git?rev=main#abc" }\n\n'
        + registry_package("idna", "3.11"),
    )
    assert set(skipped(collect(path, linux_313t))) == {"gitpkg"}


def test_unknown_lock_version(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, project('{ name = "idna" }'), header="version = 2\n")
    with pytest.raises(SourceError, match=r"uv\.lock version 2 is not supported") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}: ")


def test_malformed_toml_names_the_line(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, "[[package]]\nname = 'app'\nsource = { virtual = . }\n")
    with pytest.raises(SourceError, match="not valid TOML") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}:6: ")


def test_malformed_lock(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, project('{ name = "idna" }') + "[[package]]\nname = 3\n")
    with pytest.raises(SourceError, match=r"malformed uv.lock: package\[1\].name is not a string"):
        collect(path, linux_313t)


def test_an_ambiguous_fork_edge_is_refused(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(
        tmp_path,
        project('{ name = "six" }')
        + registry_package("six", "1.16.0")
        + registry_package("six", "1.17.0"),
    )
    with pytest.raises(SourceError, match="matches 2 package entries instead of one"):
        collect(path, linux_313t)


def test_lock_for_another_python(tmp_path: Path, windows_310: Target) -> None:
    path = WORKSPACE / "uv.lock"  # requires-python = ">=3.11"
    with pytest.raises(SourceError, match=r"for Python >=3.11, and the interpreter is Python 3.10"):
        collect(path, windows_310)


def test_lock_selecting_nothing(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(
        tmp_path,
        project('{ name = "pywin32", marker = "sys_platform == \'win32\'" }')
        + registry_package("pywin32", "306"),
    )
    with pytest.raises(SourceError, match="selects no package") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}: ")


def test_lock_without_a_project(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, registry_package("idna", "3.11"))
    with pytest.raises(SourceError, match="holds no project"):
        collect(path, linux_313t)


def test_kind_and_completeness() -> None:
    source = UvLockSource(LOCK, Selection())
    assert (source.kind, source.complete, source.path) == ("uv.lock", True, LOCK)
