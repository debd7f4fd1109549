from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from packaging.markers import default_environment

from readiness._process import clean_environment
from readiness.interpreter import inspect as inspect_module
from readiness.interpreter.inspect import inspect_interpreter, require_free_threaded
from readiness.interpreter.interface import Interpreter, InterpreterError
from tests.interpreter.conftest import GIL_PYTHON, script

PYENV_PYTHON_38 = Path.home() / ".pyenv" / "versions" / "3.8.18" / "bin" / "python3.8"


@pytest.mark.freethreaded
def test_describes_the_free_threaded_interpreter(
    freethreaded_python: Path, freethreaded: Interpreter
) -> None:
    assert freethreaded.executable == freethreaded_python
    assert freethreaded.implementation == "cpython"
    assert freethreaded.version >= (3, 13, 0)
    assert freethreaded.gil_disabled_build
    assert not freethreaded.gil_enabled_at_start
    major, minor, _ = freethreaded.version
    assert freethreaded.abi_tag == f"cp{major}{minor}t"
    assert freethreaded.version_tag == f"{major}.{minor}t"
    assert f"{major}{minor}t" in freethreaded.ext_suffix
    assert freethreaded.platform
    assert freethreaded.marker_environment["python_version"] == f"{major}.{minor}"
    assert "free-threading" in freethreaded.build_info
    assert require_free_threaded(freethreaded) is freethreaded


def test_marker_environment_is_the_one_packaging_computes() -> None:
    # The interpreter running the tests inspects itself: packaging's answer is the reference.
    interpreter = inspect_interpreter(GIL_PYTHON)
    assert dict(interpreter.marker_environment) == default_environment()
    assert interpreter.version == tuple(sys.version_info[:3])
    assert interpreter.abi_tag == f"cp{sys.version_info[0]}{sys.version_info[1]}"
    assert interpreter.gil_enabled_at_start


def test_old_python_is_refused_with_a_hint() -> None:
    interpreter = inspect_interpreter(GIL_PYTHON)
    with pytest.raises(InterpreterError, match="has no free-threaded build") as caught:
        require_free_threaded(interpreter)
    assert caught.value.hint is not None
    assert "readiness python install 3.14t" in caught.value.hint


@pytest.mark.skipif(not PYENV_PYTHON_38.exists(), reason="needs pyenv's Python 3.8")
def test_python_38_can_be_inspected() -> None:
    interpreter = inspect_interpreter(PYENV_PYTHON_38)
    assert interpreter.version[:2] == (3, 8)
    assert interpreter.abi_tag == "cp38"
    with pytest.raises(InterpreterError, match=r"3\.8"):
        require_free_threaded(interpreter)


@pytest.mark.freethreaded
def test_gil_build_of_a_free_threading_version_is_refused(freethreaded: Interpreter) -> None:
    gil_build = dataclasses.replace(freethreaded, gil_disabled_build=False, abi_tag="cp313")
    with pytest.raises(InterpreterError, match="with the GIL") as caught:
        require_free_threaded(gil_build)
    major, minor, _ = freethreaded.version
    assert caught.value.hint is not None
    assert f"readiness python install {major}.{minor}t" in caught.value.hint
    assert f"uv python install {major}.{minor}t" in caught.value.hint
    assert f"python{major}.{minor}-nogil" in caught.value.hint


@pytest.mark.freethreaded
def test_other_implementations_are_refused(freethreaded: Interpreter) -> None:
    with pytest.raises(InterpreterError, match=r"pypy .* not CPython"):
        require_free_threaded(dataclasses.replace(freethreaded, implementation="pypy"))


@pytest.mark.freethreaded
def test_gil_enabled_at_start_up_is_refused(gil_reenabling_venv: Path) -> None:
    interpreter = inspect_interpreter(gil_reenabling_venv)
    assert interpreter.gil_disabled_build
    assert interpreter.gil_enabled_at_start
    with pytest.raises(InterpreterError, match="already enabled right after start-up"):
        require_free_threaded(interpreter)


def test_a_program_that_is_not_python(tmp_path: Path) -> None:
    fake = script(tmp_path / "python3.14t", 'echo "hello, world"')
    with pytest.raises(InterpreterError, match=r"python3\.14t is not a Python interpreter") as e:
        inspect_interpreter(fake)
    assert str(fake) in str(e.value)


def test_a_file_that_is_not_a_program(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a program\n", encoding="utf-8")
    with pytest.raises(InterpreterError, match=r"notes\.txt cannot be run"):
        inspect_interpreter(text)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="missing cannot be run"):
        inspect_interpreter(tmp_path / "missing")


def test_a_crash(tmp_path: Path) -> None:
    crashing = script(tmp_path / "python", "kill -SEGV $$")
    with pytest.raises(InterpreterError, match="killed by signal 11"):
        inspect_interpreter(crashing)


def test_an_error_exit_shows_stderr(tmp_path: Path) -> None:
    failing = script(tmp_path / "python", 'echo "Fatal Python error: init failed" >&2; exit 1')
    with pytest.raises(InterpreterError, match="exited with status 1: Fatal Python error"):
        inspect_interpreter(failing)


def test_python_2_is_too_old(tmp_path: Path) -> None:
    # What Python 2.7 answers to -I.
    python2 = script(tmp_path / "python2.7", 'echo "Unknown option: -I" >&2; exit 2')
    with pytest.raises(InterpreterError, match="too old to inspect"):
        inspect_interpreter(python2)


def test_a_hang_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspect_module, "INSPECT_TIMEOUT", 0.5)
    hanging = script(tmp_path / "python", "exec sleep 30")
    with pytest.raises(InterpreterError, match="did not describe itself within"):
        inspect_interpreter(hanging)


@pytest.mark.freethreaded
def test_python_gil_in_our_environment_does_not_reach_the_child(
    freethreaded_python: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_GIL", "1")
    assert not inspect_interpreter(freethreaded_python).gil_enabled_at_start


def test_clean_environment_drops_python_variables() -> None:
    cleaned = clean_environment({"PYTHONPATH": "/x", "PYTHON_GIL": "0", "PATH": "/bin"})
    assert cleaned == {"PATH": "/bin"}


@pytest.mark.freethreaded
def test_a_kept_description_is_used_until_the_interpreter_changes(
    tmp_path: Path, freethreaded_python: Path
) -> None:
    # A wrapper that counts its runs, then is the real interpreter.
    runs = tmp_path / "runs"
    body = f'echo run >> "{runs}"; exec "{freethreaded_python}" "$@"'
    wrapper = script(tmp_path / "python3.13t", body)
    cache = tmp_path / "cache"

    first = inspect_interpreter(wrapper, cache_dir=cache)
    again = inspect_interpreter(wrapper, cache_dir=cache)

    assert again == first
    assert runs.read_text().splitlines() == ["run"]
    # Replaced in place (an upgrade): its size and modification time change.
    script(wrapper, body + "  # upgraded")
    assert inspect_interpreter(wrapper, cache_dir=cache) == first
    assert runs.read_text().splitlines() == ["run", "run"]
    # Without a cache directory it is always asked.
    inspect_interpreter(wrapper)
    assert len(runs.read_text().splitlines()) == 3
