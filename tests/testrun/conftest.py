"""The fixture projects' wheelhouse, and the real command run on them as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.wheelhouse import build_wheelhouse

PROJECTS = Path(__file__).parents[1] / "assets" / "testrun"
"""The fixture projects whose suites run."""

COMPILED = ("ft-gil", "ft-gil-two", "ft-lazy", "ft-ready", "ft-segfault")
"""The compiled fixture distributions the suite project depends on."""

RUNNER = ("pytest", "pytest-run-parallel", "pytest-xdist", "flit_core")
"""pytest, the plugin of --threads, pytest-xdist (a fixture uses it) and the fixtures' backend."""


@dataclass(frozen=True)
class CommandRun:
    """What one ``readiness test`` run printed and returned."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """The JSON report on stdout."""
        document: dict[str, Any] = json.loads(self.stdout)
        return document

    def verdicts(self) -> dict[str, str]:
        """Each test id's verdict, from the JSON report."""
        return {test["id"]: test["verdict"] for test in self.json()["tests"]}


@pytest.fixture(scope="session")
def suite_wheelhouse(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The compiled fixtures, built for the free-threaded interpreter, and pytest's wheels.

    pytest comes from the index the tests' pip is configured with; then every install of a
    test run is offline, from this folder alone.
    """
    folder = build_wheelhouse(freethreaded_python, COMPILED, tmp_path_factory.mktemp("wheels"))
    download = ["download", "-q", "--only-binary=:all:", "--python-version", "3.13"]
    subprocess.run(
        [sys.executable, "-m", "pip", *download, "-d", str(folder), *RUNNER],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder


@pytest.fixture(scope="session")
def test_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One readiness cache for the session: each project's environment is made once."""
    return tmp_path_factory.mktemp("cache")


def offline_environment(wheelhouse: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Return ``environ`` with uv told to install from ``wheelhouse`` alone."""
    return {
        **environ,
        "UV_NO_CONFIG": "1",
        "UV_NO_INDEX": "1",
        "UV_FIND_LINKS": str(wheelhouse),
    }


def run_test_command(
    project: str,
    *args: str | Path,
    python: Path,
    cache: Path,
    env: Mapping[str, str],
) -> CommandRun:
    """Run ``readiness test`` on the fixture project ``project`` in a child process."""
    options = ["--python", str(python), "--cache-dir", str(cache), "--installer", "uv"]
    done = subprocess.run(
        [sys.executable, "-m", "readiness", "test", str(PROJECTS / project), *options]
        + [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(env),
    )
    return CommandRun(done.returncode, done.stdout, done.stderr)


RunProject = Callable[..., CommandRun]
"""``run(project, *args, environ=None)``: ``readiness test`` on a fixture project, offline."""


@pytest.fixture
def run_project(freethreaded_python: Path, suite_wheelhouse: Path, test_cache: Path) -> RunProject:
    """Run ``readiness test`` on a fixture project with ``args``, installing offline.

    ``environ`` is the caller's environment (default: this one's).
    """

    def run(
        project: str, *args: str | Path, environ: Mapping[str, str] | None = None
    ) -> CommandRun:
        caller = os.environ if environ is None else environ
        return run_test_command(
            project,
            *args,
            python=freethreaded_python,
            cache=test_cache,
            env=offline_environment(suite_wheelhouse, caller),
        )

    return run
