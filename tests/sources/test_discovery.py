from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from packaging.pylock import is_valid_pylock_path

from readiness.environment.pip import PipResolver
from readiness.sources.discovery import PYLOCK_NAME, SOURCE_PRIORITY, find_source
from readiness.sources.interface import DependencySource, Selection, SourceError
from readiness.sources.pdmlock import PdmLockSource
from readiness.sources.pipfilelock import PipfileLockSource
from readiness.sources.poetrylock import PoetryLockSource
from readiness.sources.pylock import PylockSource
from readiness.sources.pyproject import PyprojectSource
from readiness.sources.requirements import RequirementsSource
from readiness.sources.uvlock import UvLockSource
from tests.sources.outcomes import LOCKDEMO, WORKSPACE

KINDS: dict[str, type[DependencySource]] = {
    "pylock.toml": PylockSource,
    "uv.lock": UvLockSource,
    "poetry.lock": PoetryLockSource,
    "pdm.lock": PdmLockSource,
    "Pipfile.lock": PipfileLockSource,
    "requirements.txt": RequirementsSource,
    "pyproject.toml": PyprojectSource,
}


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
        ("poetry.lock", PoetryLockSource),
        ("pdm.lock", PdmLockSource),
        ("Pipfile.lock", PipfileLockSource),
        ("pyproject.toml", PyprojectSource),
        ("requirements.txt", RequirementsSource),
        ("requirements-dev.txt", RequirementsSource),
        ("requirements.in", RequirementsSource),
    ],
)
def test_a_file_by_its_name(tmp_path: Path, name: str, kind: type[DependencySource]) -> None:
    touch(tmp_path, name)
    source = find_source(tmp_path / name, Selection(), PipResolver())
    assert type(source) is kind
    assert source.path == tmp_path / name


@pytest.mark.parametrize("name", ["setup.py", "pylock.a.b.toml", "Pipfile", "poetry.toml"])
def test_an_unknown_file(tmp_path: Path, name: str) -> None:
    touch(tmp_path, name)
    with pytest.raises(SourceError, match="unknown kind of dependency file") as raised:
        find_source(tmp_path / name, Selection())
    assert str(raised.value).startswith(f"{tmp_path / name}: ")
    assert "pylock.toml, pylock.<name>.toml, uv.lock, poetry.lock" in str(raised.value)


_NAMES = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["pylock", "pylock.", "Pylock.", "pylock..", "", "x"]),
        st.text(alphabet="ab.\n -", max_size=6),
        st.sampled_from([".toml", "toml", ".TOML", ".toml.", ""]),
    ),
)


@given(name=_NAMES)
def test_a_lock_is_named_as_packaging_reads_the_name(name: str) -> None:
    # discovery spells PEP 751's rule itself, so that a warm run need not import packaging's
    # lock reader to learn that a file is one.
    assert (PYLOCK_NAME.fullmatch(name) is not None) == is_valid_pylock_path(Path(name))


def test_pyproject_needs_a_resolver(tmp_path: Path) -> None:
    touch(tmp_path, "pyproject.toml")
    with pytest.raises(SourceError, match="needs a resolver"):
        find_source(tmp_path / "pyproject.toml", Selection())


def test_a_folder_by_priority(tmp_path: Path) -> None:
    assert tuple(KINDS) == SOURCE_PRIORITY
    touch(tmp_path, *SOURCE_PRIORITY)
    for name, kind in KINDS.items():
        source = find_source(tmp_path, Selection(), PipResolver())
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
        f"{tmp_path}: no dependency file here; looked for pylock.toml, uv.lock, poetry.lock, "
        "pdm.lock, Pipfile.lock, requirements.txt, pyproject.toml"
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


def test_a_project_that_is_not_locked_is_resolved(tmp_path: Path) -> None:
    touch(tmp_path, "pyproject.toml")
    assert isinstance(find_source(tmp_path, Selection(), PipResolver()), PyprojectSource)


def test_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file or folder") as raised:
        find_source(tmp_path / "nowhere", Selection())
    assert raised.value.path == tmp_path / "nowhere"
