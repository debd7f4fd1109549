from __future__ import annotations

import io
import subprocess
import time
from pathlib import Path

import pytest

from readiness._stream import run_streaming


def test_lines_are_passed_on_as_they_come(tmp_path: Path) -> None:
    seen: list[str] = []
    log = io.StringIO()
    run = run_streaming(
        ["sh", "-c", "echo one; echo two >&2; printf 'three\\rfour\\n'; exit 3"],
        timeout=10,
        on_line=seen.append,
        cwd=tmp_path,
        log=log,
    )
    assert run.returncode == 3
    assert run.lines == ("one", "two", "three", "four")
    assert seen == list(run.lines)
    assert log.getvalue() == "one\ntwo\nthree\nfour\n"


def test_a_child_past_its_time_is_killed_with_its_children() -> None:
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as caught:
        # The grandchild holds stdout open: only killing the whole group ends the read.
        run_streaming(
            ["sh", "-c", "echo started; sleep 30 & wait"], timeout=0.5, on_line=lambda _: None
        )
    assert time.monotonic() - started < 10
    assert caught.value.output == "started"


def test_a_missing_program() -> None:
    with pytest.raises(FileNotFoundError):
        run_streaming(["/nonexistent/program"], timeout=5, on_line=lambda _: None)
