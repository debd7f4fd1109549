from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from readiness._cache import atomic_write, default_cache_dir


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
