"""Scans that share one cache: at once, and after one of them was killed half-way."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from readiness.environment.venv import COMPLETION_MARKER
from tests.processes import HAS_PROC, PATIENCE
from tests.test_results import summary
from tests.test_scan_cli import fixture_wheels as fixture_wheels
from tests.test_scan_cli import requirements

_STACK = ["ft-ready", "ft-pure-importer"]

_EXPECTED = {
    "ft-ready": ("ready", [], []),
    "ft-pure-importer": ("ready", [], ["ft_gil._core"]),
    "ft-gil": ("gil-enabled", ["ft_gil._core"], []),
}


def _start(reqs: Path, python: Path, cache: Path) -> subprocess.Popen[str]:
    # A session of its own: a killed scan is killed with its installer, as a cancelled CI
    # job's process group would be.
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "readiness",
            "scan",
            str(reqs),
            "--python",
            str(python),
            "--format",
            "json",
            "--cache-dir",
            str(cache),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _verdicts(process: subprocess.Popen[str]) -> dict[str, tuple[str, list[str], list[str]]]:
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 1, stderr
    report: dict[str, Any] = json.loads(stdout)
    return {name: found[:3] for name, found in summary(report).items()}


def _assert_cache_is_whole(cache: Path) -> None:
    """Every probe environment is complete, and no run holds its lock any more."""
    environments = [path for path in (cache / "envs").iterdir() if path.is_dir()]
    assert environments
    for environment in environments:
        assert (environment / COMPLETION_MARKER).is_file(), f"half-built: {environment}"
    for lock in (cache / "envs").glob("*.lock"):
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if still held


@pytest.mark.freethreaded
def test_four_scans_at_once_on_one_empty_cache_agree(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    reqs = requirements(tmp_path, fixture_wheels, _STACK)
    cache = tmp_path / "cache"
    scans = [_start(reqs, freethreaded_python, cache) for _ in range(4)]

    found = [_verdicts(scan) for scan in scans]

    assert found == [_EXPECTED] * 4
    _assert_cache_is_whole(cache)


def _half_built(cache: Path) -> bool:
    """Whether a probe environment exists that its install has not finished."""
    envs = cache / "envs"
    return envs.is_dir() and any(
        (path / "bin" / "python").exists() and not (path / COMPLETION_MARKER).exists()
        for path in envs.iterdir()
    )


@pytest.mark.freethreaded
@pytest.mark.skipif(not HAS_PROC, reason="kills a process group")
def test_a_scan_killed_while_installing_leaves_a_cache_the_next_run_repairs(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    reqs = requirements(tmp_path, fixture_wheels, _STACK)
    cache = tmp_path / "cache"
    # The window between the environment's creation and its completed install is short;
    # a scan that finished before it was seen is tried again with a fresh cache.
    for attempt in range(10):
        cache = tmp_path / f"cache{attempt}"
        scan = _start(reqs, freethreaded_python, cache)
        deadline = time.monotonic() + PATIENCE
        while scan.poll() is None and not _half_built(cache) and time.monotonic() < deadline:
            time.sleep(0.005)
        if scan.poll() is None and _half_built(cache):
            os.killpg(scan.pid, signal.SIGKILL)
            scan.communicate(timeout=60)
            break
        scan.communicate(timeout=600)
    else:
        pytest.fail("no scan was caught between creating its environment and installing it")
    assert _half_built(cache)

    again = _start(reqs, freethreaded_python, cache)

    assert _verdicts(again) == _EXPECTED
    _assert_cache_is_whole(cache)
