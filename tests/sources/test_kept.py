"""A lock's reading is kept under its files' bytes: what changes them reads it again, nothing else.

Real locks from ``tests/assets/sources`` (made by uv, poetry and pipenv), read by their real
readers; a spy on ``select`` tells a reading from a kept one.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from readiness.model import Target
from readiness.sources import kept
from readiness.sources._locks import LockSource
from readiness.sources.interface import (
    Dependency,
    ResolvedDependency,
    Selection,
    SkippedDependency,
    SourceError,
)
from readiness.sources.pipfilelock import PipfileLockSource
from readiness.sources.poetrylock import PoetryLockSource
from readiness.sources.pylock import PylockSource
from readiness.sources.requirements import RequirementsSource
from tests.sources.outcomes import ASSETS

Select = Callable[[LockSource, Target], Sequence[Dependency]]


def _spied(select: Select, read: list[Path]) -> Select:
    def spied(self: LockSource, target: Target) -> Sequence[Dependency]:
        read.append(self.path)
        return select(self, target)

    return spied


@pytest.fixture
def readings(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every lock its reader really read, in order."""
    read: list[Path] = []
    readers: tuple[type[LockSource], ...] = (PylockSource, PoetryLockSource, PipfileLockSource)
    for reader in readers:
        monkeypatch.setattr(reader, "select", _spied(reader.select, read))
    return read


def _copy(folder: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(ASSETS / folder, tmp_path / folder))


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    """A copy of lockdemo's ``pylock.toml`` (uv's), beside its project."""
    return _copy("lockdemo", tmp_path) / "pylock.toml"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """The cache directory."""
    return tmp_path / "cache"


def test_a_second_reading_is_the_first_kept(
    lock: Path, cache: Path, linux_313t: Target, readings: list[Path]
) -> None:
    first = kept.collect(PylockSource(lock, Selection()), linux_313t, cache)
    second = kept.collect(PylockSource(lock, Selection()), linux_313t, cache)

    assert readings == [lock]
    assert second == first == list(PylockSource(lock, Selection()).collect(linux_313t))
    # In the same order, each of its own kind: the skipped ones stay skipped.
    assert [type(dep) for dep in second] == [type(dep) for dep in first]
    assert any(isinstance(dep, SkippedDependency) for dep in first)
    assert any(isinstance(dep, ResolvedDependency) for dep in first)


def test_a_changed_lock_is_read_again(
    lock: Path, cache: Path, linux_313t: Target, readings: list[Path]
) -> None:
    before = kept.collect(PylockSource(lock, Selection()), linux_313t, cache)

    text = lock.read_text()
    lock.write_text(text.replace("4.11.0", "4.11.1"))  # anyio's version, and its wheel's
    after = kept.collect(PylockSource(lock, Selection()), linux_313t, cache)

    assert readings == [lock, lock]
    assert after != before
    assert after == list(PylockSource(lock, Selection()).collect(linux_313t))


def test_the_project_beside_the_lock_is_an_input(
    tmp_path: Path, cache: Path, linux_313t: Target, readings: list[Path]
) -> None:
    # poetry.lock says what is installed; the pyproject.toml beside it, what is direct.
    folder = _copy("poetry20", tmp_path)
    lock = folder / "poetry.lock"
    before = kept.collect(PoetryLockSource(lock, Selection()), linux_313t, cache)
    direct = {dep.name for dep in before if isinstance(dep, ResolvedDependency) and dep.direct}
    assert "anyio" in direct

    pyproject = folder / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('anyio = "^4.11"\n', ""))
    after = kept.collect(PoetryLockSource(lock, Selection()), linux_313t, cache)

    assert readings == [lock, lock]
    assert after == list(PoetryLockSource(lock, Selection()).collect(linux_313t))
    assert "anyio" not in {
        dep.name for dep in after if isinstance(dep, ResolvedDependency) and dep.direct
    }


def test_a_project_file_that_appears_is_read(
    tmp_path: Path, cache: Path, linux_313t: Target, readings: list[Path]
) -> None:
    folder = _copy("same-project", tmp_path) / "pipenv"
    pipfile = folder / "Pipfile"
    text = pipfile.read_text()
    pipfile.unlink()
    lock = folder / "Pipfile.lock"
    kept.collect(PipfileLockSource(lock, Selection()), linux_313t, cache)

    pipfile.write_text(text)
    after = kept.collect(PipfileLockSource(lock, Selection()), linux_313t, cache)

    assert readings == [lock, lock]
    assert after == list(PipfileLockSource(lock, Selection()).collect(linux_313t))


def test_another_target_or_selection_reads_again(
    lock: Path, cache: Path, linux_313t: Target, windows_310: Target, readings: list[Path]
) -> None:
    for target, selection in [
        (linux_313t, Selection()),
        (windows_310, Selection()),
        (linux_313t, Selection(no_dev=True)),
        (dataclasses.replace(linux_313t, tags=linux_313t.tags[1:]), Selection()),
    ]:
        kept.collect(PylockSource(lock, selection), target, cache)
    assert readings == [lock] * 4

    # The same again, in another order and selections built anew: all kept.
    kept.collect(PylockSource(lock, Selection(no_dev=True)), linux_313t, cache)
    kept.collect(PylockSource(lock, Selection()), windows_310, cache)
    assert readings == [lock] * 4


def test_the_path_as_given_is_part_of_the_key(
    lock: Path,
    cache: Path,
    linux_313t: Target,
    readings: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The origins name the file as it was given: another spelling of it reads it again.
    folder = lock.parent
    monkeypatch.chdir(folder)
    relative = kept.collect(PylockSource(Path("pylock.toml"), Selection()), linux_313t, cache)
    absolute = kept.collect(PylockSource(folder / "pylock.toml", Selection()), linux_313t, cache)

    assert len(readings) == 2
    assert {str(dep.origin.path) for dep in relative} == {"pylock.toml"}
    assert {dep.origin.path for dep in absolute} == {folder / "pylock.toml"}


def test_a_damaged_entry_is_read_again(
    lock: Path, cache: Path, linux_313t: Target, readings: list[Path]
) -> None:
    first = kept.collect(PylockSource(lock, Selection()), linux_313t, cache)
    [entry] = (cache / kept.KEPT_FOLDER).glob("*/*.json")
    for damage in ['{"format": 1, "record": {"dependencies": [{}]}}', "{", ""]:
        entry.write_text(damage)
        assert kept.collect(PylockSource(lock, Selection()), linux_313t, cache) == first
    assert len(readings) == 4


def test_an_error_is_not_kept(
    lock: Path, cache: Path, linux_313t: Target, readings: list[Path]
) -> None:
    lock.write_text('lock-version = "1.0"\ncreated-by = "a test"\npackages = "none"\n')
    for _ in range(2):
        with pytest.raises(SourceError, match="not a valid pylock file"):
            kept.collect(PylockSource(lock, Selection()), linux_313t, cache)
    assert len(readings) == 2
    assert not (cache / kept.KEPT_FOLDER).exists()


@pytest.mark.skipif(sys.platform == "win32", reason="no FIFOs")
def test_an_input_that_is_no_file_is_left_to_the_reader(
    lock: Path, cache: Path, linux_313t: Target
) -> None:
    (lock.parent / "pyproject.toml").unlink()
    os.mkfifo(lock.parent / "pyproject.toml")

    # Not hashed (a FIFO would block the read), not kept; the reader never opens it.
    found = kept.collect(PylockSource(lock, Selection()), linux_313t, cache)
    assert found == list(PylockSource(lock, Selection()).collect(linux_313t))
    assert not (cache / kept.KEPT_FOLDER).exists()


def test_a_requirements_file_is_never_kept(tmp_path: Path, cache: Path, linux_313t: Target) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.17.0\n")

    found = kept.collect(RequirementsSource(requirements), linux_313t, cache)

    assert [dep.name for dep in found] == ["six"]
    assert not cache.exists()


def test_two_readers_at_once_keep_one_whole_entry(
    lock: Path, cache: Path, linux_313t: Target
) -> None:
    expected = list(PylockSource(lock, Selection()).collect(linux_313t))
    found: list[list[Dependency]] = []
    barrier = threading.Barrier(4)

    def read() -> None:
        barrier.wait()
        found.append(kept.collect(PylockSource(lock, Selection()), linux_313t, cache))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == [expected] * 4
    [entry] = (cache / kept.KEPT_FOLDER).glob("*/*.json")
    assert kept.collect(PylockSource(lock, Selection()), linux_313t, cache) == expected
    assert entry.is_file()
