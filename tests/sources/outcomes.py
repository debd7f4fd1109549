"""Expected outcomes, shared by the source tests, and the readers that compare against them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from readiness.sources.interface import Dependency, ResolvedDependency, SkippedDependency

ASSETS = Path(__file__).parent.parent / "assets" / "sources"
LOCKDEMO = ASSETS / "lockdemo"
WORKSPACE = ASSETS / "workspace"

# What `uv pip compile pyproject.toml --group dev --python-version 3.13
# --python-platform x86_64-unknown-linux-gnu` gives for lockdemo (its requirements.txt).
LINUX_313_DEV = {
    ("anyio", "4.11.0"),
    ("idna", "3.11"),
    ("iniconfig", "2.3.0"),
    ("packaging", "25.0"),
    ("pluggy", "1.6.0"),
    ("pygments", "2.19.2"),
    ("pytest", "8.4.2"),
    ("six", "1.17.0"),
    ("sniffio", "1.3.1"),
}

# What `uv pip compile ... --python-version 3.10 --python-platform x86_64-pc-windows-msvc`
# gives (requirements-win-py310.txt): every marker in the project turns the other way.
WINDOWS_310_DEV = {
    ("anyio", "4.11.0"),
    ("colorama", "0.4.6"),
    ("exceptiongroup", "1.3.0"),
    ("idna", "3.11"),
    ("iniconfig", "2.3.0"),
    ("packaging", "25.0"),
    ("pluggy", "1.6.0"),
    ("pygments", "2.19.2"),
    ("pytest", "8.4.2"),
    ("six", "1.16.0"),
    ("sniffio", "1.3.1"),
    ("tomli", "2.3.0"),
    ("typing-extensions", "4.15.0"),
}

DEV_GROUP = {
    ("iniconfig", "2.3.0"),
    ("packaging", "25.0"),
    ("pluggy", "1.6.0"),
    ("pygments", "2.19.2"),
    ("pytest", "8.4.2"),
}


def resolved(dependencies: Iterable[Dependency]) -> set[tuple[str, str]]:
    """Return ``(name, version)`` of every resolved dependency."""
    return {
        (dep.name, str(dep.version)) for dep in dependencies if isinstance(dep, ResolvedDependency)
    }


def skipped(dependencies: Iterable[Dependency]) -> dict[str, str]:
    """Return ``{name: reason}`` of every skipped dependency."""
    return {dep.name: dep.reason for dep in dependencies if isinstance(dep, SkippedDependency)}


def one_per_name(dependencies: list[Dependency]) -> list[Dependency]:
    """Return ``dependencies`` after checking that no name appears twice (verdicts key on it)."""
    names = [dep.name for dep in dependencies]
    assert len(names) == len(set(names)), names
    return dependencies
