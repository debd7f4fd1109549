from __future__ import annotations

from pathlib import Path

import pytest

from readiness.model import Target
from readiness.sources.interface import (
    Dependency,
    Origin,
    ResolvedDependency,
    Selection,
    SourceError,
)
from readiness.sources.pylock import PylockSource
from readiness.sources.requirements import RequirementsSource
from tests.sources.outcomes import (
    DEV_GROUP,
    LINUX_313_DEV,
    LOCKDEMO,
    WINDOWS_310_DEV,
    one_per_name,
    resolved,
    skipped,
)

UV_EXPORT = LOCKDEMO / "pylock.toml"
PIP_LOCK = LOCKDEMO / "pylock.pip.toml"
WITH_MARKERS = LOCKDEMO / "pylock.extras.toml"

WHEEL_HASH = "0" * 64


def collect(path: Path, target: Target, selection: Selection | None = None) -> list[Dependency]:
    return one_per_name(list(PylockSource(path, selection or Selection()).collect(target)))


def package(name: str, version: str, extra: str = "") -> str:
    """A [[packages]] table with one pure-Python wheel, as uv writes it."""
    return (
        f'[[packages]]\nname = "{name}"\nversion = "{version}"\n{extra}'
        f'wheels = [{{ url = "http://127.0.0.1:9/{name}-{version}-py3-none-any.whl", '
        f'hashes = {{ sha256 = "{WHEEL_HASH}" }} }}]\n\n'
    )


def lock(tmp_path: Path, body: str, header: str = 'lock-version = "1.0"\n') -> Path:
    path = tmp_path / "pylock.toml"
    path.write_text(f'{header}created-by = "readiness tests"\n\n{body}')
    return path


# Locks made by the real tools (tests/assets/sources/README.md).


def test_uv_export_on_linux_313_matches_uv_pip_compile(linux_313t: Target) -> None:
    found = collect(UV_EXPORT, linux_313t)
    assert resolved(found) == LINUX_313_DEV
    compiled = RequirementsSource(LOCKDEMO / "requirements.txt").collect(linux_313t)
    assert resolved(found) == resolved(compiled)
    # The fork's other six is not reported; the project itself (a directory) is not either.
    assert skipped(found) == {
        "colorama": 'marker `sys_platform == "win32"` is false for this interpreter',
        "exceptiongroup": 'marker `python_full_version < "3.11"` is false for this interpreter',
        "tomli": 'marker `python_full_version < "3.11"` is false for this interpreter',
        "typing-extensions": 'marker `python_full_version < "3.13"` is false for this interpreter',
    }
    anyio = next(dep for dep in found if dep.name == "anyio")
    assert anyio.origin == Origin(path=UV_EXPORT, entry='package "anyio" 4.11.0')
    assert isinstance(anyio, ResolvedDependency)
    assert anyio.direct


def test_uv_export_on_windows_310_matches_uv_pip_compile(windows_310: Target) -> None:
    found = collect(UV_EXPORT, windows_310)
    assert resolved(found) == WINDOWS_310_DEV
    compiled = RequirementsSource(LOCKDEMO / "requirements-win-py310.txt").collect(windows_310)
    assert resolved(found) == resolved(compiled)
    assert skipped(found) == {}


def test_pip_lock(linux_311: Target) -> None:
    # pip locks for the interpreter it runs on (3.11 here) and writes no markers.
    found = collect(PIP_LOCK, linux_311)
    assert resolved(found) == (LINUX_313_DEV - {("six", "1.17.0")}) | {
        ("six", "1.16.0"),
        ("typing-extensions", "4.15.0"),
    }


def test_lock_with_extras_and_groups_uses_its_default_groups(linux_313t: Target) -> None:
    assert resolved(collect(WITH_MARKERS, linux_313t)) == LINUX_313_DEV


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (
            Selection(extras=frozenset({"cli"}), groups=frozenset({"docs"})),
            LINUX_313_DEV | {("click", "8.3.0"), ("mdurl", "0.1.2"), ("colorama", "0.4.6")},
        ),
        (Selection(no_dev=True), LINUX_313_DEV - DEV_GROUP),
        (
            Selection(all_extras=True, all_groups=True, no_dev=True),
            (LINUX_313_DEV - DEV_GROUP)
            | {
                ("click", "8.3.0"),
                ("mdurl", "0.1.2"),
                ("colorama", "0.4.6"),
                ("pygments", "2.19.2"),
            },
        ),
    ],
)
def test_extras_and_groups_are_selected(
    linux_313t: Target, selection: Selection, expected: set[tuple[str, str]]
) -> None:
    assert resolved(collect(WITH_MARKERS, linux_313t, selection)) == expected


def test_unselected_group_is_skipped_with_its_marker(linux_313t: Target) -> None:
    found = skipped(collect(WITH_MARKERS, linux_313t))
    assert found["mdurl"] == 'marker `"docs" in dependency_groups` is false for this interpreter'
    assert found["click"] == 'marker `"cli" in extras` is false for this interpreter'


def test_undeclared_extra(linux_313t: Target) -> None:
    with pytest.raises(SourceError, match="Undeclared extras: gui") as raised:
        collect(WITH_MARKERS, linux_313t, Selection(extras=frozenset({"gui"})))
    assert raised.value.path == WITH_MARKERS


# Hand-written locks for what the tools do not write here.


def test_a_package_without_a_wheel_for_the_target_is_still_resolved(
    tmp_path: Path, linux_313t: Target
) -> None:
    # Only a GIL-build wheel and no sdist: that is the installer's finding, not a bad lock.
    path = lock(
        tmp_path,
        '[[packages]]\nname = "speedy"\nversion = "1.0"\n'
        'wheels = [{ url = "http://127.0.0.1:9/speedy-1.0-cp313-cp313-manylinux_2_17_x86_64'
        f'.whl", hashes = {{ sha256 = "{WHEEL_HASH}" }} }}]\n',
    )
    assert resolved(collect(path, linux_313t)) == {("speedy", "1.0")}


def test_vcs_archive_and_directory_packages_install_what_the_lock_pins(
    tmp_path: Path, linux_313t: Target
) -> None:
    path = lock(
        tmp_path,
        package("six", "1.17.0") + '[[packages]]\nname = "gitpkg"\nversion = "1.0"\n'
        'vcs = { type = "git", url = "http://127.0.0.1:9/gitpkg.git", commit-id = "abc",'
        ' subdirectory = "py" }\n'
        '[[packages]]\nname = "urlpkg"\n'
        f'archive = {{ url = "http://127.0.0.1:9/urlpkg-2.0.tar.gz", hashes = {{ sha256 = '
        f'"{WHEEL_HASH}" }} }}\n'
        '[[packages]]\nname = "elsewhere"\ndirectory = { path = "../elsewhere" }\n',
    )
    found = {dep.name: dep for dep in collect(path, linux_313t)}
    lines = {n: d.requirement() for n, d in found.items() if isinstance(d, ResolvedDependency)}
    assert lines == {
        "six": "six==1.17.0",
        "gitpkg": "gitpkg @ git+http://127.0.0.1:9/gitpkg.git@abc#subdirectory=py",
        "urlpkg": "urlpkg @ http://127.0.0.1:9/urlpkg-2.0.tar.gz",
        "elsewhere": f"elsewhere @ {(tmp_path.parent / 'elsewhere').resolve().as_uri()}",
    }


def test_vcs_package_for_another_platform_is_skipped(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(
        tmp_path,
        package("six", "1.17.0")
        + '[[packages]]\nname = "gitpkg"\nmarker = "sys_platform == \'win32\'"\n'
        'vcs = { type = "git", url = "http://127.0.0.1:9/gitpkg.git", commit-id = "abc" }\n',
    )
    found = collect(path, linux_313t)
    assert resolved(found) == {("six", "1.17.0")}
    assert set(skipped(found)) == {"gitpkg"}


def test_malformed_toml_names_the_line(tmp_path: Path, linux_313t: Target) -> None:
    path = tmp_path / "pylock.toml"
    path.write_text('lock-version = "1.0"\ncreated-by = "x"\npackages = [\n  { name = }\n]\n')
    with pytest.raises(SourceError, match="not valid TOML") as raised:
        collect(path, linux_313t)
    assert raised.value.line == 4
    assert str(raised.value).startswith(f"{path}:4: ")


def test_unsupported_lock_version(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, package("six", "1.17.0"), header='lock-version = "2.0"\n')
    with pytest.raises(SourceError, match=r"pylock version 2\.0 is not supported") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}: ")


def test_invalid_lock(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, '[[packages]]\nname = "six"\nversion = "1.17.0"\n')
    with pytest.raises(SourceError, match="not a valid pylock file"):
        collect(path, linux_313t)


def test_lock_for_another_python(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(
        tmp_path,
        package("six", "1.17.0"),
        header='lock-version = "1.0"\nrequires-python = "<3.13"\n',
    )
    with pytest.raises(SourceError, match="does not fit this interpreter") as raised:
        collect(path, linux_313t)
    assert raised.value.path == path


def test_lock_selecting_nothing(tmp_path: Path, linux_313t: Target) -> None:
    path = lock(tmp_path, package("pywin32", "306", "marker = \"sys_platform == 'win32'\"\n"))
    with pytest.raises(SourceError, match="selects no package") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}: ")


def test_missing_file(tmp_path: Path, linux_313t: Target) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        collect(tmp_path / "pylock.toml", linux_313t)
