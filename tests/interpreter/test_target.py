"""Targets synthesized from a version and a platform, and the one a real interpreter gives."""

from __future__ import annotations

import pytest
from packaging.tags import Tag

from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.interpreter.target import host_platform, synthesize_target


def test_default_is_free_threaded_314_on_this_host() -> None:
    target = synthesize_target()
    assert target.synthetic
    assert target.python is None
    assert target.python_version == "3.14t"
    assert target.platform == host_platform()
    environment = target.marker_environment
    assert environment["python_version"] == "3.14"
    assert environment["python_full_version"] == "3.14.0"
    assert environment["implementation_name"] == "cpython"
    assert target.tags[0].interpreter == "cp314"
    assert target.tags[0].abi == "cp314t"
    # No GIL-build ABI: a cp314 wheel does not load in a free-threaded interpreter.
    assert all(tag.abi != "cp314" for tag in target.tags)
    assert all(tag.abi != "abi3" for tag in target.tags)


def test_linux_of_another_architecture() -> None:
    target = synthesize_target("3.13t", platform="linux-aarch64")
    assert target.marker_environment["platform_machine"] == "aarch64"
    assert target.marker_environment["sys_platform"] == "linux"
    assert target.marker_environment["platform_release"] == ""
    assert target.tags[0] == Tag("cp313", "cp313t", "manylinux_2_28_aarch64")
    assert Tag("cp313", "cp313t", "manylinux2014_aarch64") in target.tags
    assert Tag("py3", "none", "any") in target.tags


def test_windows_and_macos() -> None:
    windows = synthesize_target("3.14t", platform="win-amd64")
    assert windows.marker_environment["sys_platform"] == "win32"
    assert windows.marker_environment["os_name"] == "nt"
    assert windows.marker_environment["platform_machine"] == "AMD64"
    assert windows.tags[0] == Tag("cp314", "cp314t", "win_amd64")
    mac = synthesize_target("3.14t", platform="macosx-11.0-arm64")
    assert mac.marker_environment["platform_system"] == "Darwin"
    assert mac.tags[0] == Tag("cp314", "cp314t", "macosx_11_0_arm64")


def test_a_gil_build_can_be_synthesized_too() -> None:
    target = synthesize_target("3.12", platform="linux-x86_64")
    assert target.tags[0].abi == "cp312"
    assert target.python_version == "3.12"


@pytest.mark.parametrize(
    ("version", "platform", "message"),
    [
        ("3.14tt", None, "cannot read the Python version"),
        ("pypy3.10", None, "cannot read the Python version"),
        ("3.12t", None, "no free-threaded build of Python 3.12"),
        ("3.14t", "solaris-sparc", "cannot synthesize the platform"),
    ],
)
def test_what_cannot_be_synthesized(version: str, platform: str | None, message: str) -> None:
    with pytest.raises(InterpreterError, match=message):
        synthesize_target(version, platform=platform)


@pytest.mark.freethreaded
def test_a_real_interpreter_names_itself_in_its_target(freethreaded: Interpreter) -> None:
    target = freethreaded.target()
    assert not target.synthetic
    assert target.python == freethreaded.executable
    assert target.python_version == freethreaded.version_tag
    assert target.platform == freethreaded.platform
    # Synthesized for the same version here, the markers that matter and the first tag agree.
    major, minor, _ = freethreaded.version
    synthetic = synthesize_target(f"{major}.{minor}t")
    for key in ("sys_platform", "platform_machine", "python_version", "implementation_name"):
        assert synthetic.marker_environment[key] == target.marker_environment[key]
    assert set(synthetic.tags) == set(target.tags)
