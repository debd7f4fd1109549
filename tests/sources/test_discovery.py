from __future__ import annotations

from pathlib import Path

import pytest

from readiness.sources.discovery import SOURCE_PRIORITY, find_source
from readiness.sources.interface import DependencySource, Selection, SourceError
from readiness.sources.pylock import PylockSource
from readiness.sources.requirements import RequirementsSource
from readiness.sources.uvlock import UvLockSource
from tests.sources.outcomes import LOCKDEMO, WORKSPACE


def touch(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pylock.toml", PylockSource),
        ("pylock.dev.toml", PylockSource),
        ("uv.lock", UvLockSource),
        ("requirements.txt", RequirementsSource),
        ("requirements-dev.txt", RequirementsSource),
        ("requirements.in", RequirementsSource),
    ],
)
def test_a_file_by_its_name(tmp_path: Path, name: str, kind: type[DependencySource]) -> None:
    touch(tmp_path, name)
    source = find_source(tmp_path / name, Selection())
    assert type(source) is kind
    assert source.path == tmp_path / name


@pytest.mark.parametrize("name", ["pyproject.toml", "poetry.lock", "pylock.a.b.toml", "Pipfile"])
def test_an_unknown_file(tmp_path: Path, name: str) -> None:
    touch(tmp_path, name)
    with pytest.raises(SourceError, match="unknown kind of dependency file") as raised:
        find_source(tmp_path / name, Selection())
    assert str(raised.value).startswith(f"{tmp_path / name}: ")
    assert "pylock.toml, pylock.<name>.toml, uv.lock" in str(raised.value)


def test_a_folder_by_priority(tmp_path: Path) -> None:
    assert SOURCE_PRIORITY == ("pylock.toml", "uv.lock", "requirements.txt")
    touch(tmp_path, *SOURCE_PRIORITY)
    for name, kind in zip(
        SOURCE_PRIORITY, [PylockSource, UvLockSource, RequirementsSource], strict=True
    ):
        source = find_source(tmp_path, Selection())
        assert (type(source), source.path) == (kind, tmp_path / name)
        (tmp_path / name).unlink()


def test_the_selection_reaches_the_source() -> None:
    selection = Selection(extras=frozenset({"cli"}))
    source = find_source(WORKSPACE, selection)
    assert isinstance(source, UvLockSource)
    assert source.selection is selection
    assert isinstance(find_source(LOCKDEMO, selection), PylockSource)


def test_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as raised:
        find_source(tmp_path, Selection())
    assert str(raised.value) == (
        f"{tmp_path}: no dependency file here; looked for pylock.toml, uv.lock, requirements.txt"
    )
    assert raised.value.hint is not None
    assert "pylock.toml, uv.lock or requirements file" in raised.value.hint


def test_a_folder_with_files_to_name(tmp_path: Path) -> None:
    touch(tmp_path, "pylock.dev.toml", "requirements/base.txt", "requirements-dev.txt")
    with pytest.raises(SourceError, match="no dependency file here") as raised:
        find_source(tmp_path, Selection())
    assert raised.value.hint == (
        "pass one of these files: pylock.dev.toml, requirements-dev.txt, requirements/base.txt"
    )


def test_a_project_that_is_not_locked(tmp_path: Path) -> None:
    touch(tmp_path, "pyproject.toml")
    with pytest.raises(SourceError) as raised:
        find_source(tmp_path, Selection())
    assert raised.value.hint is not None
    assert "uv lock" in raised.value.hint


def test_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder") as raised:
        find_source(tmp_path / "nowhere", Selection())
    assert raised.value.path == tmp_path / "nowhere"
