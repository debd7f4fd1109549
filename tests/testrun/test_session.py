"""What ``readiness test`` shares with ``scan`` through the session: the interpreter, the
index's remedies, and the lock the dependencies are read from."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interpreter.conftest import bare_machine
from tests.testrun.conftest import CommandRun, offline_environment, run_test_command
from tests.wheelhouse import PACKAGES, build_wheel
from tests.wheelindex import serve_index

pytestmark = [pytest.mark.network, pytest.mark.freethreaded]

LOCKED = "locked"
"""The fixture project whose uv.lock pins ft-gil 1.0."""


def ft_gil_release(python: Path, version: str, dest: Path) -> Path:
    """Build ft-gil at ``version`` (the fixture's code, another version number) into ``dest``."""
    with tempfile.TemporaryDirectory(prefix="ft-gil-") as scratch:
        source = Path(scratch) / "ft-gil"
        shutil.copytree(PACKAGES / "ft-gil", source)
        fixture = source / "fixture.toml"
        text = fixture.read_text(encoding="utf-8")
        fixture.write_text(
            text.replace('version = "1.0"', f'version = "{version}"'), encoding="utf-8"
        )
        return build_wheel(python, source, dest)


@pytest.fixture(scope="module")
def newer_wheelhouse(
    freethreaded_python: Path, suite_wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The suite's wheelhouse, and ft-gil 2.0 beside 1.0: the newest is not the locked one."""
    folder = tmp_path_factory.mktemp("newer") / "wheels"
    shutil.copytree(suite_wheelhouse, folder)
    ft_gil_release(freethreaded_python, "2.0", folder)
    return folder


@pytest.fixture(scope="module")
def index(
    freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """An index on 127.0.0.1 where ft-gil 1.0 has a wheel for the GIL build only, and 2.0 one
    for the free-threaded build; yield its URL and what it was asked."""
    folder = tmp_path_factory.mktemp("index")
    free_threaded = ft_gil_release(freethreaded_python, "1.0", folder)
    tag = free_threaded.name.removeprefix("ft_gil-1.0-")  # cp313-cp313t-linux_x86_64.whl
    free_threaded.rename(folder / f"ft_gil-1.0-{tag.replace('t-', '-', 1)}")
    ft_gil_release(freethreaded_python, "2.0", folder)
    asked: list[str] = []
    with serve_index(folder, asked) as url:
        yield url, asked


def run_locked(
    python: Path, cache: Path, wheelhouse: Path, *args: str, environ: dict[str, str] | None = None
) -> CommandRun:
    """Run ``readiness test`` on the locked project, installing from ``wheelhouse`` alone."""
    env = offline_environment(wheelhouse, os.environ if environ is None else environ)
    return run_test_command(LOCKED, "--format", "json", *args, python=python, cache=cache, env=env)


def test_the_lock_pins_what_the_suite_runs_on(
    freethreaded_python: Path, test_cache: Path, newer_wheelhouse: Path
) -> None:
    assert sorted(path.name[:10] for path in newer_wheelhouse.glob("ft_gil-*")) == [
        "ft_gil-1.0",
        "ft_gil-2.0",
    ]
    run = run_locked(freethreaded_python, test_cache, newer_wheelhouse, "--offline")
    assert run.verdicts() == {
        # The project's own test reads the installed version: 1.0, as uv.lock pins it.
        "tests/check_locked.py::test_the_locked_version_is_installed": "passed",
        "tests/check_locked.py::test_answer": "gil-enabled",
    }, run.stderr
    [summary] = run.json()["distributions"]
    assert (summary["name"], summary["version"]) == ("ft-gil", "1.0")
    # --offline: the tracker alone, which knows no ft-gil.
    assert summary["remedy"] is None
    assert run.returncode == 1


@pytest.mark.parametrize("how", ["index", "verified", "offline"])
def test_the_summary_has_the_index_remedy_scan_gives_unless_offline(
    freethreaded_python: Path,
    test_cache: Path,
    newer_wheelhouse: Path,
    index: tuple[str, list[str]],
    how: str,
) -> None:
    url, asked = index
    asked.clear()
    chosen = {"verified": [], "index": ["--no-verify-remedies"], "offline": ["--offline"]}
    flags = ("--index-url", url, *chosen[how])
    run = run_locked(freethreaded_python, test_cache, newer_wheelhouse, *flags)
    [summary] = run.json()["distributions"]
    abi = run.json()["interpreter"]["abi"]
    if how == "offline":
        # The tracker alone, which knows no ft-gil; and not one request to the index.
        assert summary["remedy"] is None, run.stderr
        assert asked == []
    elif how == "index":
        assert summary["remedy"] == (
            f"upgrade ft-gil 1.0 -> 2.0, the first release with {abi} wheels"
        ), run.stderr
        assert "GET /simple/ft-gil/ HTTP/1.1" in asked
    else:
        # As scan proves it: ft-gil 2.0 is the same code, and its wheel re-enables the GIL.
        assert summary["remedy"] == (
            "no release keeps the GIL off yet (not verified: tried 2.0 re-enables the GIL "
            "(ft_gil._core))"
        ), run.stderr
    assert run.returncode == 1


def test_no_interpreter_anywhere_is_an_error_that_offers_to_provision(tmp_path: Path) -> None:
    # A machine with no free-threaded interpreter, an empty cache, and no terminal to ask on.
    env = bare_machine(tmp_path / "home")
    cache = tmp_path / "cache"
    done = run_test_command("clean", python=Path("3.13t"), cache=cache, env=env)
    assert done.returncode == 2, done.stderr
    assert "error: readiness test needs a free-threaded CPython: " in done.stderr
    assert "or run again with --install-python" in done.stderr
    # scan falls back to a static scan; a test run has nothing to fall back to.
    assert "STATIC" not in done.stderr
    assert not (cache / "envs").exists()
