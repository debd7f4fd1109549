"""The typed options: what ``scan`` and ``deps`` refuse before any work, and the session's lookups.

None of these runs a scan or needs a free-threaded interpreter.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from readiness._cli import main
from readiness._state import Progress
from readiness.interpreter.interface import InterpreterError
from readiness.session import ScanSession


@pytest.fixture(autouse=True)
def _no_configuration_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # find_config also looks in the current folder: keep the repository's out of it.
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--import-timeout", "0"], "--import-timeout must be a positive number of seconds"),
        (["--target", "3.13t"], "--target goes with --static"),
        (["--env", "venv", "--static"], "--env scans an environment as it is"),
        (["--env", "venv", "--python", "3.13t"], "--env scans an environment as it is"),
    ],
)
def test_scan_refuses_options_that_do_not_go_together(
    capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["scan", *arguments, "--cache-dir", "cache"]) == 2

    err = capsys.readouterr().err
    assert message in err
    assert not Path("cache").exists()  # refused before anything was looked up or written


@pytest.mark.parametrize("described", [["--target", "3.13t"], ["--platform", "win-amd64"]])
def test_deps_refuses_an_interpreter_beside_a_described_one(
    capsys: pytest.CaptureFixture[str], described: list[str]
) -> None:
    assert main(["deps", "--python", "3.13t", *described, "--cache-dir", "cache"]) == 2

    err = capsys.readouterr().err
    assert "--python reads the dependencies for that interpreter" in err
    assert "give either --python, or --target (with --platform)" in err


def test_the_session_looks_for_an_interpreter_to_lend_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str | None] = []

    def none_found(request: str | None, *, cache_dir: Path) -> object:
        calls.append(request)
        raise InterpreterError("no free-threaded CPython found")

    monkeypatch.setattr("readiness.session.find_interpreter", none_found)
    console = Console(file=io.StringIO())
    session = ScanSession(cache_dir=tmp_path, progress=Progress(), console=console)

    assert session.free_threaded_at_hand() is None
    assert session.free_threaded_at_hand() is None
    assert calls == [None]
