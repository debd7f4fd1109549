from __future__ import annotations

import os
from pathlib import Path

import pytest

from readiness._errors import InputError
from readiness.interpreter.discover import (
    find_interpreter,
    installed_by_uv,
    is_version_request,
    managed_by_pyenv,
    parse_version_request,
    provisioned,
    uv_python_dir,
)
from readiness.interpreter.interface import Interpreter, InterpreterError
from tests.interpreter.conftest import GIL_PYTHON, link, provision_by_hand


@pytest.mark.parametrize(
    ("request_", "expected"), [("3.14t", (3, 14)), ("3.13t", (3, 13)), (" 3.15t ", (3, 15))]
)
def test_version_requests(request_: str, expected: tuple[int, int]) -> None:
    assert parse_version_request(request_) == expected


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ("3.14", "did you mean 3.14t"),
        ("3.12t", "no free-threaded CPython 3.12"),
        ("2.7t", "no free-threaded CPython 2.7"),
        ("3.14.1t", "not a free-threaded CPython version"),
        ("3.x", "not a free-threaded CPython version"),
    ],
)
def test_bad_version_requests_are_input_errors(request_: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_version_request(request_)


def test_versions_and_paths_are_told_apart() -> None:
    assert is_version_request("3.14t")
    assert not is_version_request("/usr/bin/python3.14t")
    assert not is_version_request("python3.14t")


@pytest.mark.freethreaded
def test_a_path_request(freethreaded_python: Path, tmp_path: Path) -> None:
    found = find_interpreter(str(freethreaded_python), cache_dir=tmp_path)
    assert found.executable == freethreaded_python
    assert found.gil_disabled_build


def test_a_path_to_a_gil_build_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="has no free-threaded build"):
        find_interpreter(str(GIL_PYTHON), cache_dir=tmp_path)


@pytest.mark.freethreaded
def test_a_command_name_request(
    freethreaded_python: Path, isolated_search: Path, tmp_path: Path
) -> None:
    link(isolated_search / "my-python", freethreaded_python)
    found = find_interpreter("my-python", cache_dir=tmp_path)
    assert found.executable == isolated_search / "my-python"


def test_a_missing_path(tmp_path: Path, isolated_search: Path) -> None:
    with pytest.raises(InterpreterError, match="no such interpreter"):
        find_interpreter(str(tmp_path / "nope" / "python3.14t"), cache_dir=tmp_path)


@pytest.mark.freethreaded
def test_found_on_path(freethreaded: Interpreter, isolated_search: Path, tmp_path: Path) -> None:
    name = f"python{freethreaded.version_tag}"
    executable = link(isolated_search / name, freethreaded.executable)
    found = find_interpreter(None, cache_dir=tmp_path)
    assert found.executable == executable
    assert find_interpreter(freethreaded.version_tag, cache_dir=tmp_path).executable == executable


@pytest.mark.freethreaded
def test_refused_candidates_are_listed_and_skipped(
    freethreaded: Interpreter, isolated_search: Path, tmp_path: Path
) -> None:
    # A GIL build under a free-threaded name comes first in the search order.
    impostor = link(isolated_search / "python3.14t", GIL_PYTHON)
    if freethreaded.version_tag != "3.14t":
        link(isolated_search / f"python{freethreaded.version_tag}", freethreaded.executable)
        found = find_interpreter(None, cache_dir=tmp_path)
        assert found.version_tag == freethreaded.version_tag
    with pytest.raises(InterpreterError) as caught:
        find_interpreter("3.14t", cache_dir=tmp_path)
    message = str(caught.value)
    assert "no free-threaded CPython 3.14t found" in message
    assert f"refused {impostor}: " in message
    assert "has no free-threaded build" in message
    assert caught.value.hint is not None
    assert "readiness python install 3.14t" in caught.value.hint


def test_none_found(isolated_search: Path, tmp_path: Path) -> None:
    with pytest.raises(InterpreterError, match="no free-threaded CPython") as caught:
        find_interpreter(None, cache_dir=tmp_path)
    assert caught.value.hint is not None
    assert "readiness python install 3.14t" in caught.value.hint


@pytest.mark.freethreaded
def test_found_by_uv(freethreaded: Interpreter, isolated_search: Path, tmp_path: Path) -> None:
    # Named only python3: not what readiness looks for on PATH, but uv inspects it
    # (uv itself comes from the uv package: it is not on this PATH).
    link(isolated_search / "python3", freethreaded.executable)
    found = find_interpreter(freethreaded.version_tag, cache_dir=tmp_path)
    assert os.path.realpath(found.executable) == os.path.realpath(freethreaded.executable)


@pytest.mark.freethreaded
def test_found_among_uvs_installs_without_asking_uv(
    freethreaded: Interpreter, isolated_search: Path, tmp_path: Path
) -> None:
    major, minor, micro = freethreaded.version
    root = tmp_path / "uv-python"
    name = f"python{major}.{minor}t"

    def install(folder: str, executable: str, python: Path) -> Path:
        return link(root / folder / "bin" / executable, python)

    executable = install(f"cpython-{major}.{minor}.{micro}+freethreaded-linux-x86_64-gnu", name,
                         freethreaded.executable)  # fmt: skip
    # The default build beside it, and a newer free-threaded one, to check filter and order.
    install(f"cpython-{major}.{minor}.{micro}-linux-x86_64-gnu", f"python{major}.{minor}",
            GIL_PYTHON)  # fmt: skip
    newer = install(f"cpython-{major}.{minor}.{micro + 1}+freethreaded-linux-x86_64-gnu", name,
                    freethreaded.executable)  # fmt: skip
    assert list(installed_by_uv((minor,), root)) == [newer, executable]
    # No uv on this PATH, and none asked: the install is found by its folder alone.
    assert find_interpreter(None, cache_dir=tmp_path).executable == newer


def test_uvs_install_folder_follows_its_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "pythons"))
    assert uv_python_dir() == tmp_path / "pythons"
    monkeypatch.delenv("UV_PYTHON_INSTALL_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert uv_python_dir() == tmp_path / "data" / "uv" / "python"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")  # not absolute: ignored, as by uv
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert uv_python_dir() == tmp_path / "home" / ".local" / "share" / "uv" / "python"


@pytest.mark.freethreaded
def test_found_in_pyenv(freethreaded: Interpreter, isolated_search: Path, tmp_path: Path) -> None:
    major, minor, micro = freethreaded.version
    root = tmp_path / "pyenv"
    executable = link(
        root / "versions" / f"{major}.{minor}.{micro}t" / "bin" / f"python{major}.{minor}t",
        freethreaded.executable,
    )
    # A GIL build's folder, and a newer one, to check the filter and the order.
    link(root / "versions" / f"{major}.{minor}.{micro}" / "bin" / f"python{major}.{minor}",
         GIL_PYTHON)  # fmt: skip
    newer = link(
        root / "versions" / f"{major}.{minor}.{micro + 1}t" / "bin" / f"python{major}.{minor}t",
        freethreaded.executable,
    )
    assert list(managed_by_pyenv((minor,), root)) == [newer, executable]
    assert find_interpreter(None, cache_dir=tmp_path).executable == newer


@pytest.mark.freethreaded
def test_found_in_the_cache(
    freethreaded: Interpreter, isolated_search: Path, tmp_path: Path
) -> None:
    version = freethreaded.version_string
    executable = provision_by_hand(tmp_path / "cache", version, freethreaded.executable)
    found = find_interpreter(None, cache_dir=tmp_path / "cache")
    assert found.executable == executable


@pytest.mark.freethreaded
def test_an_unfinished_install_in_the_cache_is_ignored(
    freethreaded: Interpreter, isolated_search: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    provision_by_hand(cache, freethreaded.version_string, freethreaded.executable, marker=False)
    assert list(provisioned((freethreaded.version[1],), cache)) == []
    with pytest.raises(InterpreterError):
        find_interpreter(None, cache_dir=cache)


@pytest.mark.freethreaded
def test_cache_order_prefers_the_newest(freethreaded: Interpreter, tmp_path: Path) -> None:
    minor = freethreaded.version[1]
    older = provision_by_hand(tmp_path, f"3.{minor}.1", freethreaded.executable)
    newer = provision_by_hand(tmp_path, f"3.{minor}.10", freethreaded.executable)
    other = provision_by_hand(tmp_path, "3.99.0", freethreaded.executable)
    assert list(provisioned((minor,), tmp_path)) == [newer, older]
    assert other not in list(provisioned((minor,), tmp_path))
