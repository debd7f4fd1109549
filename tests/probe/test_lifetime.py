"""The probe's processes end with readiness, however readiness ends."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.probe.conftest import ProbeVenv, make_venv
from tests.processes import (
    HAS_PROC,
    PATIENCE,
    alive,
    descendants,
    end_leftovers,
    has_loaded,
    wait_for,
)

pytestmark = [
    pytest.mark.freethreaded,
    pytest.mark.skipif(not HAS_PROC, reason="reads /proc"),
]


def hung_probe(readiness: subprocess.Popen[str]) -> list[int]:
    """Wait until a probe of ``readiness`` hangs in ft_hang._stall; return its pid in a list."""

    def probes() -> list[int]:
        assert readiness.poll() is None, readiness.communicate()
        return [pid for pid in descendants(readiness.pid) if has_loaded(pid, "_stall.")]

    return wait_for(probes, "the import of ft_hang._stall")


@pytest.fixture(scope="module")
def hang_venv(
    freethreaded_python: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProbeVenv:
    """An environment whose one extension module never finishes its import."""
    return make_venv(
        freethreaded_python, tmp_path_factory.mktemp("hang") / "v", wheelhouse, ["ft-hang"]
    )


def start_scan(venv: ProbeVenv, cache: Path, *extra: str) -> subprocess.Popen[str]:
    """Start ``readiness scan --env`` of ``venv``, with a per-import limit never reached."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "readiness",
            "scan",
            "--env",
            str(venv.python.parent.parent),
            "--offline",
            "--cache-dir",
            str(cache),
            "--import-timeout",
            "3600",
            "--format",
            "json",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("number", "returncode"),
    [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143)],
    ids=["SIGKILL", "SIGTERM"],
)
def test_a_hung_child_ends_with_readiness(
    hang_venv: ProbeVenv, tmp_path: Path, number: signal.Signals, returncode: int
) -> None:
    readiness = start_scan(hang_venv, tmp_path / "cache", "--no-cache")
    seen: list[int] = []
    try:
        hung_probe(readiness)
        seen = descendants(readiness.pid)

        readiness.send_signal(number)
        _, stderr = readiness.communicate(timeout=PATIENCE)

        assert readiness.returncode == returncode, stderr
        if number == signal.SIGTERM:
            assert "readiness: terminated" in stderr
        wait_for(lambda: not any(alive(pid) for pid in seen), f"the end of {seen}")
    finally:
        if readiness.poll() is None:
            readiness.kill()
            readiness.communicate()
        end_leftovers(seen)
