"""What ``readiness test`` shares with ``scan`` through the session: the interpreter, the
index's remedies, and the lock the dependencies are read from."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.interpreter.conftest import bare_machine
from tests.testrun.conftest import run_test_command

pytestmark = [pytest.mark.network, pytest.mark.freethreaded]


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
