"""Targets the source tests select for: the probed interpreter, as it would describe itself."""

from __future__ import annotations

import pytest
from packaging import tags

from readiness.sources.interface import Target


def _linux(version: tuple[int, int, int], abi: str) -> Target:
    major, minor, micro = version
    platforms = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"]
    return Target(
        marker_environment={
            "implementation_name": "cpython",
            "implementation_version": f"{major}.{minor}.{micro}",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_release": "6.8.0",
            "platform_system": "Linux",
            "platform_version": "#1 SMP PREEMPT_DYNAMIC",
            "python_full_version": f"{major}.{minor}.{micro}",
            "platform_python_implementation": "CPython",
            "python_version": f"{major}.{minor}",
            "sys_platform": "linux",
        },
        tags=[
            *tags.cpython_tags((major, minor), abis=[abi], platforms=platforms),
            *tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms),
        ],
    )


@pytest.fixture
def linux_313t() -> Target:
    """Free-threaded CPython 3.13.5 on Linux x86_64, the interpreter readiness probes."""
    return _linux((3, 13, 5), "cp313t")


@pytest.fixture
def linux_311() -> Target:
    """CPython 3.11.7 on Linux x86_64 (what `pip lock` locked for, on this machine)."""
    return _linux((3, 11, 7), "cp311")


@pytest.fixture
def windows_310() -> Target:
    """CPython 3.10.11 on Windows x86_64: the other side of every marker in the assets."""
    return Target(
        marker_environment={
            "implementation_name": "cpython",
            "implementation_version": "3.10.11",
            "os_name": "nt",
            "platform_machine": "AMD64",
            "platform_release": "10",
            "platform_system": "Windows",
            "platform_version": "10.0.19045",
            "python_full_version": "3.10.11",
            "platform_python_implementation": "CPython",
            "python_version": "3.10",
            "sys_platform": "win32",
        },
        tags=[
            *tags.cpython_tags((3, 10), abis=["cp310"], platforms=["win_amd64"]),
            *tags.compatible_tags((3, 10), "cp310", ["win_amd64"]),
        ],
    )
