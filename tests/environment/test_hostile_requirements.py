"""A name that reads as an installer option never reaches an installer as one.

A lock comes from a repository, possibly from a stranger's pull request. A package named
``-i<url>`` once reached pip's command line as ``--index-url``, and pip fetched every other
package from that index (uv did the same). The distributions come from a local folder
(``--find-links``); the hostile index is real, on 127.0.0.1, records whatever it is asked,
and must be asked nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._uv import find_uv
from readiness.environment.interface import Installer
from readiness.environment.pip import PipInstaller, PipResolver
from readiness.environment.uv import UvInstaller, UvResolver
from readiness.environment.venv import (
    create_environment,
    install_dependencies,
    installed_distributions,
)
from readiness.installer_requirements import UnsafeRequirement
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from readiness.sources.interface import Origin, ResolvedDependency
from readiness.sources.resolve import RequirementLine, Resolver
from tests.environment.conftest import make_wheel
from tests.wheelindex import serve_index


@dataclass(frozen=True)
class Indexes:
    """Where the distributions are, and the hostile index with what it was asked."""

    options: IndexOptions
    """Index options that name only a local folder of distributions."""

    hostile_url: str
    """The hostile index's simple API."""

    hostile_asked: list[str]
    """Every connection and request the hostile index received."""


@pytest.fixture
def indexes(tmp_path: Path) -> Iterator[Indexes]:
    good = tmp_path / "good"
    good.mkdir()
    make_wheel(good, "alpha", "1.0")
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    # What the folder has, so that an installer that goes there finds what it looks for.
    make_wheel(hostile, "alpha", "1.0")
    asked: list[str] = []
    with serve_index(hostile, asked) as hostile_url:
        # Without the fix, both installers asked it `GET /simple/==1.0/alpha/`.
        yield Indexes(IndexOptions(find_links=(str(good),)), hostile_url, asked)


def hostile_name(indexes: Indexes) -> str:
    # The name, pointed at the recording index: `-i` is pip's and uv's --index-url.
    return f"-i{indexes.hostile_url}/"


def installers() -> list[Installer]:
    uv = find_uv()
    assert uv is not None, "the tests need uv (the test extra installs it)"
    return [PipInstaller(), UvInstaller(uv)]


def resolvers() -> list[Resolver]:
    uv = find_uv()
    assert uv is not None, "the tests need uv (the test extra installs it)"
    return [PipResolver(), UvResolver(uv)]


@pytest.mark.freethreaded
@pytest.mark.parametrize("installer", installers(), ids=lambda installer: installer.name)
def test_install_refuses_an_option_for_a_name(
    freethreaded: Interpreter, tmp_path: Path, indexes: Indexes, installer: Installer
) -> None:
    env = create_environment(freethreaded, "hostile", cache_dir=tmp_path, installer=installer)
    lines = [f"{hostile_name(indexes)}==1.0", "alpha==1.0"]

    # The installer itself, as any caller reaches it: the boundary holds on its own.
    with pytest.raises(UnsafeRequirement, match="would read as an option"):
        installer.install(
            env,
            lines,
            no_deps=True,
            no_build=False,
            on_line=lambda line: None,
            index_options=indexes.options,
        )
    assert indexes.hostile_asked == []

    # Through the install step of a scan: the message names where the lock declared it.
    lock = tmp_path / "uv.lock"
    hostile = ResolvedDependency(
        name=NormalizedName(hostile_name(indexes)),
        origin=Origin(lock, entry=f'package "{hostile_name(indexes)}" 1.0'),
        version=Version("1.0"),
    )
    alpha = ResolvedDependency(
        name=NormalizedName("alpha"),
        origin=Origin(lock, entry='package "alpha" 1.0'),
        version=Version("1.0"),
    )
    with pytest.raises(UnsafeRequirement) as raised:
        install_dependencies(
            env,
            [alpha, hostile],
            complete=True,
            installer=installer,
            no_build=False,
            index_options=indexes.options,
        )
    assert raised.value.path == lock
    assert f'package "{hostile_name(indexes)}" 1.0' in str(raised.value)
    assert indexes.hostile_asked == []


@pytest.mark.freethreaded
@pytest.mark.parametrize("resolver", resolvers(), ids=lambda resolver: resolver.name)
def test_resolve_refuses_an_option_for_a_name(
    freethreaded: Interpreter, tmp_path: Path, indexes: Indexes, resolver: Resolver
) -> None:
    requirements = tmp_path / "requirements.txt"
    lines = [
        RequirementLine(text="alpha", origin=Origin(requirements, 1), name=NormalizedName("alpha")),
        RequirementLine(
            text=f"{hostile_name(indexes)}>=1",
            origin=Origin(requirements, 2),
            name=NormalizedName(hostile_name(indexes)),
        ),
    ]
    with pytest.raises(UnsafeRequirement) as raised:
        resolver.resolve(lines, freethreaded.target(), indexes.options)
    assert (raised.value.path, raised.value.line) == (requirements, 2)
    assert indexes.hostile_asked == []


@pytest.mark.freethreaded
@pytest.mark.parametrize("installer", installers(), ids=lambda installer: installer.name)
def test_uninstall_takes_names_from_a_file_too(
    freethreaded: Interpreter, tmp_path: Path, indexes: Indexes, installer: Installer
) -> None:
    env = create_environment(freethreaded, "uninstall", cache_dir=tmp_path, installer=installer)
    installer.install(
        env,
        ["alpha==1.0"],
        no_deps=True,
        no_build=False,
        on_line=lambda line: None,
        index_options=indexes.options,
    )
    with pytest.raises(UnsafeRequirement):
        installer.uninstall(
            env, [NormalizedName(hostile_name(indexes)), NormalizedName("alpha")], on_line=print
        )
    assert "alpha" in {dist.name for dist in installed_distributions(env, set())}
    installer.uninstall(env, [NormalizedName("alpha")], on_line=lambda line: None)
    assert "alpha" not in {dist.name for dist in installed_distributions(env, set())}
    assert indexes.hostile_asked == []
