"""One project locked by every tool: every source must select the same distributions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from readiness.model import Target
from readiness.sources.interface import Dependency, DependencySource, Selection, SourceError
from readiness.sources.pdmlock import PdmLockSource
from readiness.sources.pipfilelock import PipfileLockSource
from readiness.sources.poetrylock import PoetryLockSource
from readiness.sources.pylock import PylockSource
from readiness.sources.requirements import RequirementsSource
from readiness.sources.uvlock import UvLockSource
from tests.sources.outcomes import ASSETS, one_per_name, resolved

SAME = ASSETS / "same-project"
CLI = Selection(extras=frozenset({"cli"}))

# The project with its cli extra and its dev group, as each tool's own flags ask for them
# (tests/assets/sources/README.md, "same-project/").
Factory = Callable[[Path, Selection], DependencySource]

SOURCES: dict[str, DependencySource] = {
    "uv.lock": UvLockSource(SAME / "uv" / "uv.lock", CLI),
    "uv export": PylockSource(SAME / "uv" / "pylock.toml", Selection()),
    "poetry": PoetryLockSource(SAME / "poetry" / "poetry.lock", CLI),
    "pdm": PdmLockSource(SAME / "pdm" / "pdm.lock", CLI),
    "pipenv": PipfileLockSource(
        SAME / "pipenv" / "Pipfile.lock", Selection(groups=frozenset({"dev"}))
    ),
    "pip-compile": RequirementsSource(SAME / "pip-tools" / "requirements.txt"),
    "pip lock": PylockSource(SAME / "pip" / "pylock.toml", Selection()),
}

EXPECTED = {
    ("anyio", "4.11.0"),
    ("click", "8.3.0"),
    ("idna", "3.11"),
    ("iniconfig", "2.3.0"),
    ("packaging", "25.0"),
    ("pluggy", "1.6.0"),
    ("pygments", "2.19.2"),
    ("pytest", "8.4.2"),
    ("sniffio", "1.3.1"),
}


def test_uv_pip_compile_gives_the_expected_set(linux_313t: Target) -> None:
    compiled = RequirementsSource(SAME / "uv-pip-compile" / "requirements.txt")
    assert resolved(compiled.collect(linux_313t)) == EXPECTED


@pytest.mark.parametrize("tool", sorted(SOURCES))
def test_every_tool_selects_what_uv_pip_compile_does(tool: str, linux_313t: Target) -> None:
    found = one_per_name(list(SOURCES[tool].collect(linux_313t)))
    assert resolved(found) == EXPECTED


@pytest.mark.parametrize("tool", ["uv.lock", "poetry", "pdm"])
def test_graph_locks_give_the_chain(tool: str, linux_313t: Target) -> None:
    found: dict[str, Dependency] = {dep.name: dep for dep in SOURCES[tool].collect(linux_313t)}
    direct = {name for name, dep in found.items() if getattr(dep, "direct", False)}
    assert direct == {"anyio", "click", "pytest"}
    assert getattr(found["sniffio"], "chain", None) == ("anyio",)
    assert getattr(found["pluggy"], "chain", None) == ("pytest",)


# Bad input, one per kind of file.

BAD_TOML = "[[package]]\nname = 'x'\nversion = = 1\n"


@pytest.mark.parametrize(
    ("name", "source", "text", "line"),
    [
        ("poetry.lock", PoetryLockSource, BAD_TOML, 3),
        ("pdm.lock", PdmLockSource, BAD_TOML, 3),
        ("Pipfile.lock", PipfileLockSource, '{\n  "_meta": {\n    "pipfile-spec": 6,\n  }\n}\n', 4),
    ],
)
def test_malformed_file_names_the_line(
    tmp_path: Path,
    linux_313t: Target,
    name: str,
    source: Factory,
    text: str,
    line: int,
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SourceError, match="not valid") as raised:
        list(source(path, Selection()).collect(linux_313t))
    assert (raised.value.path, raised.value.line) == (path, line)
    assert str(raised.value).startswith(f"{path}:{line}: ")


@pytest.mark.parametrize(
    ("name", "source", "text", "message"),
    [
        (
            "poetry.lock",
            PoetryLockSource,
            '[metadata]\nlock-version = "3.0"\n',
            "poetry.lock version '3.0'",
        ),
        (
            "pdm.lock",
            PdmLockSource,
            '[metadata]\nlock_version = "5.0.0"\n',
            "pdm.lock version '5.0.0'",
        ),
        ("Pipfile.lock", PipfileLockSource, '{"_meta": {"pipfile-spec": 7}}', "pipfile-spec 7"),
    ],
)
def test_unknown_lock_version(
    tmp_path: Path,
    linux_313t: Target,
    name: str,
    source: Factory,
    text: str,
    message: str,
) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(SourceError, match=message) as raised:
        list(source(path, Selection()).collect(linux_313t))
    assert raised.value.path == path


WINDOWS_ONLY = {
    "poetry.lock": (
        '[[package]]\nname = "pywin32"\nversion = "306"\noptional = false\n'
        'python-versions = "*"\ngroups = ["main"]\nmarkers = "sys_platform == \\"win32\\""\n\n'
        '[metadata]\nlock-version = "2.1"\npython-versions = ">=3.10"\n'
    ),
    "pdm.lock": (
        '[metadata]\ngroups = ["default"]\nstrategy = ["inherit_metadata"]\n'
        'lock_version = "4.5.0"\n\n[[package]]\nname = "pywin32"\nversion = "306"\n'
        'groups = ["default"]\nmarker = "sys_platform == \\"win32\\""\n'
    ),
    "Pipfile.lock": (
        '{"_meta": {"pipfile-spec": 6}, "default": {"pywin32": '
        '{"version": "==306", "markers": "sys_platform == \'win32\'"}}, "develop": {}}'
    ),
}
PYPROJECT = (
    '[project]\nname = "app"\nversion = "0.1"\nrequires-python = ">=3.10"\n'
    "dependencies = [\"pywin32; sys_platform == 'win32'\"]\n"
)
SOURCE_FOR: dict[str, Factory] = {
    "poetry.lock": PoetryLockSource,
    "pdm.lock": PdmLockSource,
    "Pipfile.lock": PipfileLockSource,
}


@pytest.mark.parametrize("name", sorted(WINDOWS_ONLY))
def test_lock_selecting_nothing(tmp_path: Path, linux_313t: Target, name: str) -> None:
    path = tmp_path / name
    path.write_text(WINDOWS_ONLY[name])
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    with pytest.raises(SourceError, match="selects no package") as raised:
        list(SOURCE_FOR[name](path, Selection()).collect(linux_313t))
    assert str(raised.value).startswith(f"{path}: ")
