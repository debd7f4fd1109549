"""The hostile inputs issue 10 found, each refused with a message naming the file.

Each case changes one real lock (tests/assets/sources) the way the report describes, and
the reader must raise a SourceError naming the file (and the line, where one is known),
never another exception. The property tests in test_hostile_input.py look for more.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from readiness.sources.interface import Selection, SourceError
from tests.sources.hostile import ASSETS, read_or_refuse

_BIG = "9" * 5000
_DEEP_TOML = "a = " + "[" * 3000 + "]" * 3000 + "\n"
_DEEP_JSON = '{"_meta": ' + "[" * 3000 + "]" * 3000 + "}"

_LOCAL = '"http://127.0.0.1:8321/simple"'
# anyio's source in lockdemo's uv.lock (the first entry with that source and dependencies).
_ANYIO_SOURCE = (
    f'source = {{ registry = {_LOCAL} }}\ndependencies = [\n    {{ name = "exceptiongroup"'
)

# (case, asset folder, file, what is replaced, by what)
_CASES = [
    ("uv big integer", "lockdemo", "uv.lock", "revision = 5", f"revision = {_BIG}"),
    ("uv big version", "lockdemo", "uv.lock", 'version = "4.11.0"', f'version = "{_BIG}"'),
    ("uv deep nesting", "lockdemo", "uv.lock", "version = 1\n", "version = 1\n" + _DEEP_TOML),
    (
        "uv provides-extras int",
        "lockdemo",
        "uv.lock",
        'provides-extras = ["cli"]',
        "provides-extras = 1",
    ),
    (
        "uv requires-dev int",
        "lockdemo",
        "uv.lock",
        "[package.metadata.requires-dev]",
        "requires-dev = 3\n[package.metadata.other]",
    ),
    (
        "uv dash name",
        "lockdemo",
        "uv.lock",
        'name = "anyio"',
        'name = "-ihttp://[::1]:8765/simple/"',
    ),
    (
        "uv git ipv6",
        "lockdemo",
        "uv.lock",
        _ANYIO_SOURCE,
        _ANYIO_SOURCE.replace("registry = " + _LOCAL, 'git = "https://[zz/x.git?rev=1#abc"'),
    ),
    (
        "uv path nul",
        "lockdemo",
        "uv.lock",
        _ANYIO_SOURCE,
        _ANYIO_SOURCE.replace("registry = " + _LOCAL, 'path = "x\\u0000y.whl"'),
    ),
    (
        "uv requires-python big",
        "lockdemo",
        "uv.lock",
        'requires-python = ">=3.10"',
        f'requires-python = ">={_BIG}"',
    ),
    ("poetry big version", "poetry20", "poetry.lock", 'version = "4.11.0"', f'version = "{_BIG}"'),
    (
        "poetry dependency extras int",
        "poetry20",
        "poetry.lock",
        'idna = ">=2.8"',
        'idna = {version = ">=2.8", extras = 3}',
    ),
    (
        "poetry dash name",
        "poetry20",
        "poetry.lock",
        'name = "anyio"',
        'name = "-ihttp://[::1]:8765/simple/"',
    ),
    ("poetry pyproject extras int", "poetry20", "pyproject.toml", 'cli = ["click"]', "cli = 3"),
    ("pdm big version", "pdmdemo", "pdm.lock", 'version = "4.11.0"', f'version = "{_BIG}"'),
    (
        "pdm dash name",
        "pdmdemo",
        "pdm.lock",
        'name = "anyio"',
        'name = "-ihttp://[::1]:8765/simple/"',
    ),
    (
        "pdm pyproject marker",
        "pdmdemo",
        "pyproject.toml",
        '"anyio",',
        "\"anyio; python_version ~= 'abc'\",",
    ),
    (
        "pipfile big",
        "same-project/pipenv",
        "Pipfile.lock",
        '"pipfile-spec": 6',
        f'"pipfile-spec": {_BIG}',
    ),
    (
        "pipfile deep",
        "same-project/pipenv",
        "Pipfile.lock",
        "{",
        _DEEP_JSON[:-1] + ",",
    ),
    (
        "pipfile extras int",
        "same-project/pipenv",
        "Pipfile.lock",
        '"anyio": {',
        '"anyio": {"extras": 3,',
    ),
    (
        "pipfile dash name",
        "same-project/pipenv",
        "Pipfile.lock",
        '"anyio": {',
        '"-ihttp://[::1]:8765/simple/": {',
    ),
    (
        "pylock extra marker",
        "lockdemo",
        "pylock.toml",
        "marker = \"sys_platform == 'win32'\"",
        "marker = \"extra == 'cli'\"",
    ),
    (
        "pylock big",
        "lockdemo",
        "pylock.toml",
        'requires-python = ">=3.10"',
        f'requires-python = ">={_BIG}"',
    ),
    (
        "pylock directory nul",
        "lockdemo",
        "pylock.toml",
        'directory = { path = ".", editable = true }',
        'directory = { path = "x\\u0000", editable = true }',
    ),
    ("requirements nul path", "lockdemo", "requirements.txt", "", "~\x00\n"),
    (
        "requirements ipv6 url",
        "lockdemo",
        "requirements.txt",
        "",
        "foo @ https://[zz/foo-1.0.tar.gz\n",
    ),
    (
        "requirements big url",
        "lockdemo",
        "requirements.txt",
        "",
        f"foo @ https://h:{_BIG}/foo-1.0.tar.gz\n",
    ),
    ("requirements big pin", "lockdemo", "requirements.txt", "", f"foo=={_BIG}\n"),
    ("requirements quote url", "lockdemo", "requirements.txt", "", "foo @ file:///tmp/x'\";...\n"),
    ("requirements index ipv6", "lockdemo", "requirements.txt", "", "-i http://[::1\n"),
]


_CASES_BY_NAME = {case[0]: case[3:] for case in _CASES}


def _case(folder: Path, asset: str, name: str, old: str, new: str) -> Path:
    source = ASSETS / asset
    for sibling in source.iterdir():
        if sibling.is_file():
            shutil.copy(sibling, folder / sibling.name)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {source / name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("asset", "name", "old", "new"), [case[1:] for case in _CASES], ids=[case[0] for case in _CASES]
)
def test_a_hostile_change_is_refused_naming_the_file(
    tmp_path: Path, asset: str, name: str, old: str, new: str
) -> None:
    path = _case(tmp_path, asset, name, old, new)
    lock = (
        path
        if name != "pyproject.toml"
        else next(p for p in tmp_path.iterdir() if p.suffix == ".lock")
    )
    found = read_or_refuse(lock, Selection(all_extras=True, all_groups=True))
    assert isinstance(found, SourceError), f"read without complaint: {found}"
    assert found.path is not None


def test_a_fifo_named_like_a_lock_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "uv.lock")
    found = read_or_refuse(tmp_path / "uv.lock", Selection())
    assert isinstance(found, SourceError)
    assert "not a regular file" in str(found)


def test_a_lock_linked_to_an_endless_device_is_refused_without_reading_it(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").symlink_to("/dev/zero")
    found = read_or_refuse(tmp_path / "poetry.lock", Selection())
    assert isinstance(found, SourceError)
    assert "not a regular file" in str(found)


@pytest.mark.parametrize("depth", [250, 400])
def test_a_deep_include_chain_is_refused_at_the_line_that_goes_too_deep(
    tmp_path: Path, depth: int
) -> None:
    for level in range(depth):
        (tmp_path / f"r{level}.txt").write_text(f"-r r{level + 1}.txt\n", encoding="utf-8")
    (tmp_path / f"r{depth}.txt").write_text("six==1.16.0\n", encoding="utf-8")
    found = read_or_refuse(tmp_path / "r0.txt", Selection())
    assert isinstance(found, SourceError)
    assert "more than 32 deep" in str(found)
    assert found.line == 1


def test_a_local_project_with_a_deeply_nested_pyproject_is_refused(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(_DEEP_TOML, encoding="utf-8")
    (tmp_path / "requirements.txt").write_text("./project\n", encoding="utf-8")
    found = read_or_refuse(tmp_path / "requirements.txt", Selection())
    # The folder's name cannot be read from it, so the line names no distribution: the
    # pinning resolver pins nothing, and nothing crashed on the way.
    assert not isinstance(found, SourceError) or found.path is not None


def test_an_include_group_cycle_beside_a_poetry_lock_is_refused(tmp_path: Path) -> None:
    path = _case(
        tmp_path,
        "same-project/poetry",
        "pyproject.toml",
        "[dependency-groups]",
        '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]',
    )
    found = read_or_refuse(path.parent / "poetry.lock", Selection(groups=frozenset({"a"})))
    assert isinstance(found, SourceError)
    assert "a" in str(found)
    assert found.path == path


@pytest.mark.parametrize(
    ("asset", "name", "old", "new", "line_of"),
    [
        ("lockdemo", "uv.lock", *_CASES_BY_NAME["uv git ipv6"], 'name = "anyio"'),
        (
            "poetry20",
            "poetry.lock",
            *_CASES_BY_NAME["poetry dependency extras int"],
            'name = "anyio"',
        ),
        (
            "same-project/pipenv",
            "Pipfile.lock",
            *_CASES_BY_NAME["pipfile extras int"],
            '"anyio": {',
        ),
    ],
)
def test_a_malformed_entry_is_named_at_its_line(
    tmp_path: Path, asset: str, name: str, old: str, new: str, line_of: str
) -> None:
    path = _case(tmp_path, asset, name, old, new)
    found = read_or_refuse(path, Selection(all_extras=True, all_groups=True))
    assert isinstance(found, SourceError)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert found.line == next(n for n, text in enumerate(lines, start=1) if line_of in text)


def test_poetry_extras_that_are_not_lists_are_refused_in_a_pyproject(tmp_path: Path) -> None:
    # Found by `nox -s fuzz`: `extras = {"" = 0}` ended in TypeError: 'int' is not iterable.
    path = _case(tmp_path, "poetry11", "pyproject.toml", 'cli = ["click"]', "cli = 0")
    (tmp_path / "poetry.lock").unlink()
    found = read_or_refuse(path, Selection(all_extras=True))
    assert isinstance(found, SourceError)
    assert "[tool.poetry.extras] cli is not a list of names" in str(found)


def test_poetry_dependency_extras_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    # Found by `nox -s fuzz` (100,000 examples): a dependency table's `extras = 1` ended in
    # TypeError: 'int' object is not iterable.
    old = 'exceptiongroup = { version = ">=1.0", python = "<3.11" }'
    new = 'exceptiongroup = { version = ">=1.0", python = "<3.11", extras = 1 }'
    path = _case(tmp_path, "poetry11", "pyproject.toml", old, new)
    (tmp_path / "poetry.lock").unlink()
    found = read_or_refuse(path, Selection())
    assert isinstance(found, SourceError)
    assert "poetry dependency `exceptiongroup`: extras is 1; expected a list of names" in str(found)
    assert found.line == 12
