"""Which installer does the work, uv or pip: one choice gives its installer and its resolver."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from readiness._uv import find_uv
from readiness.environment.interface import Installer, InstallerError
from readiness.environment.pip import PipInstaller, PipResolver
from readiness.environment.uv import UvInstaller, UvResolver
from readiness.sources.resolve import Resolver


@dataclass(frozen=True)
class InstallerPair:
    """One installer's two jobs: filling probe environments and resolving open files."""

    installer: Installer
    """What installs into a probe environment."""

    resolver: Resolver
    """What resolves the lines a dependency file leaves open."""


def pick_pair(prefer: Literal["uv", "pip"] | None = None) -> InstallerPair:
    """Return the pair to use: ``prefer`` if given, else uv where installed, else pip.

    Raises :class:`InstallerError` when uv is asked for and is not installed.
    """
    uv = find_uv() if prefer != "pip" else None
    if uv is not None:
        return InstallerPair(UvInstaller(uv), UvResolver(uv))
    if prefer == "uv":
        raise InstallerError(
            "uv is not installed: it is neither on PATH nor installed as a Python package",
            hint="install uv (`pip install uv`), or pass --installer pip",
        )
    return InstallerPair(PipInstaller(), PipResolver())


def pick_installer(prefer: Literal["uv", "pip"] | None = None) -> Installer:
    """Return the installer of :func:`pick_pair`."""
    return pick_pair(prefer).installer


def pick_resolver(prefer: Literal["uv", "pip"] | None = None) -> Resolver:
    """Return the resolver of :func:`pick_pair`."""
    return pick_pair(prefer).resolver
