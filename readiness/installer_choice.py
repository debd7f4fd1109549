"""The ``--installer`` choice, shared by ``scan`` and ``deps``: uv or pip, for both jobs."""

from __future__ import annotations

import enum
from typing import Literal, assert_never

from readiness.environment.installers import pick_pair
from readiness.environment.interface import Installer
from readiness.sources.resolve import Resolver


class InstallerChoice(enum.StrEnum):
    """Which installer fills probe environments and resolves what a file leaves open."""

    AUTO = "auto"
    UV = "uv"
    PIP = "pip"

    @property
    def preference(self) -> Literal["uv", "pip"] | None:
        """The installer asked for; None lets readiness take uv where it is installed."""
        match self:
            case InstallerChoice.AUTO:
                return None
            case InstallerChoice.UV:
                return "uv"
            case InstallerChoice.PIP:
                return "pip"
            case _:
                assert_never(self)

    def to_resolver(self) -> Resolver:
        """Return the resolver of the installer this choice names."""
        return pick_pair(self.preference).resolver

    def to_installer(self) -> Installer:
        """Return the installer this choice names."""
        return pick_pair(self.preference).installer
