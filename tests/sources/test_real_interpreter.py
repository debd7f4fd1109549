"""The sources, selecting for the real free-threaded interpreter as it describes itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.interpreter.inspect import inspect_interpreter
from readiness.sources.discovery import find_source
from readiness.sources.interface import Selection
from tests.sources.outcomes import LINUX_313_DEV, LOCKDEMO, one_per_name, resolved

pytestmark = pytest.mark.freethreaded


@pytest.mark.parametrize(
    "name", ["uv.lock", "pylock.toml", "pylock.extras.toml", "requirements-universal.txt"]
)
def test_every_source_selects_what_uv_compiles_for_313(
    freethreaded_python: Path, name: str
) -> None:
    interpreter = inspect_interpreter(freethreaded_python)
    # lockdemo's markers split only on Python < 3.11, < 3.13 and Windows: the set uv compiled
    # for 3.13 on Linux holds for every later Python off Windows.
    if (
        interpreter.version < (3, 13, 0)
        or interpreter.marker_environment["sys_platform"] == "win32"
    ):
        pytest.skip(f"the expected set is for 3.13+ off Windows, not {interpreter.version_tag}")
    source = find_source(LOCKDEMO / name, Selection())
    found = one_per_name(list(source.collect(interpreter.target())))
    # The universal requirements file also pins the `cli` extra.
    extra = {("click", "8.3.0")} if name.endswith(".txt") else set()
    assert resolved(found) == LINUX_313_DEV | extra
