from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.version import Version

from readiness._cache import RecordStore, atomic_write, default_cache_dir


def test_atomic_write_replaces_the_whole_file_with_open_s_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    atomic_write(target, "old")
    atomic_write(target, b"new")

    assert target.read_text() == "new"
    assert [path.name for path in target.parent.iterdir()] == ["report.json"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_cache_dir_follows_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READINESS_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path


@dataclass(frozen=True)
class Entry:
    version: Version
    reason: str


def store(tmp_path: Path, version: int = 1) -> RecordStore[Entry]:
    return RecordStore(tmp_path / "kind", Entry, version)


def test_a_record_comes_back_under_its_key_and_only_there(tmp_path: Path) -> None:
    entries = store(tmp_path)
    key = entries.key("ft-gil", "1.0", {"installer": "uv"})
    entries.store(key, Entry(Version("1.0"), "no wheel"))

    assert entries.load(key) == Entry(Version("1.0"), "no wheel")
    assert entries.load(entries.key("ft-gil", "1.1", {"installer": "uv"})) is None
    assert entries.load(entries.key("ft-gil", "1.0", {"installer": "pip"})) is None
    # Another layout neither finds it by key nor reads it.
    assert store(tmp_path, version=2).key("ft-gil", "1.0", {"installer": "uv"}) != key
    assert store(tmp_path, version=2).load(key) is None


def test_an_entry_older_than_max_age_is_a_miss(tmp_path: Path) -> None:
    entries = store(tmp_path)
    key = entries.key("x")
    entries.store(key, Entry(Version("1"), "r"))
    [path] = (tmp_path / "kind").rglob("*.json")
    os.utime(path, (time.time() - 100, time.time() - 100))

    assert entries.load(key, max_age=200) is not None
    assert entries.load(key, max_age=50) is None


@pytest.mark.parametrize(
    "text", ["", "{", "[]", '{"format": 1}', '{"format": 1, "record": {"version": "x"}}']
)
def test_a_damaged_entry_is_a_miss(tmp_path: Path, text: str) -> None:
    entries = store(tmp_path)
    key = entries.key("x")
    entries.store(key, Entry(Version("1"), "r"))
    [path] = (tmp_path / "kind").rglob("*.json")
    path.write_text(text)

    assert entries.load(key) is None
