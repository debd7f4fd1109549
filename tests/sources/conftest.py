"""Targets the source tests select for: the probed interpreter, as it would describe itself."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import pytest
from packaging import tags
from packaging.version import Version

from readiness.model import IndexOptions, Target
from readiness.sources.interface import ResolvedDependency
from readiness.sources.resolve import RequirementLine, Resolver
from tests.sources.index import build_index, serve


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


# The resolver tests: a local index, and a resolver that records what it is asked.


@pytest.fixture(scope="session")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The simple index of tests/sources/index.py, served on 127.0.0.1."""
    with serve(build_index(tmp_path_factory.mktemp("index"))) as url:
        yield url


@pytest.fixture
def quiet_installers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the user's uv and pip configuration out of a test that names its own index."""
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL"):
        monkeypatch.delenv(name, raising=False)


class RecordingResolver(Resolver):
    """A resolver that records its calls and answers each named line at version 1.0."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[list[RequirementLine], Target, IndexOptions]] = []

    def resolve(
        self,
        requirements: Sequence[RequirementLine],
        target: Target,
        index_options: IndexOptions,
    ) -> list[ResolvedDependency]:
        self.calls.append((list(requirements), target, index_options))
        answer: dict[str, ResolvedDependency] = {}
        for line in requirements:
            if line.name is not None and not line.constraint:
                answer.setdefault(
                    line.name,
                    ResolvedDependency(name=line.name, origin=line.origin, version=Version("1.0")),
                )
        return list(answer.values())

    @property
    def lines(self) -> list[RequirementLine]:
        """The lines of the one call."""
        [(lines, _, _)] = self.calls
        return lines


@pytest.fixture
def recording() -> RecordingResolver:
    return RecordingResolver()
