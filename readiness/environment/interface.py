"""What an installer does, and what an installation produced."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._errors import ReadinessError
from readiness.sources.interface import IndexOptions


class InstallerError(ReadinessError):
    """Raised when an environment cannot be created or its installer cannot run at all.

    One distribution that fails to install is not an error but data: an :class:`InstallFailure`.
    """


class InstallFailed(InstallerError):
    """Raised by an installer when an installation command failed.

    ``reason`` is the line of its output that says why (else its last lines); ``log`` is
    the whole output.
    """

    def __init__(self, message: str, *, reason: str, log: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.log = log


@dataclass(frozen=True)
class InstalledDistribution:
    """A distribution present in the probe environment after installation."""

    name: NormalizedName
    """Its normalized name."""

    version: Version
    """The installed version."""

    built_from_source: bool = False
    """True when the installer built it from an sdist (or a source tree) on this machine."""


@dataclass(frozen=True)
class InstallFailure:
    """A distribution that could not be installed into the probe environment."""

    name: NormalizedName
    """Its normalized name."""

    reason: str
    """The line of the installer's output that says why (else its last lines)."""

    log: str = ""
    """The installer's whole output for it, colours removed."""


@dataclass(frozen=True)
class InstallResult:
    """What an environment holds after installation, and what failed to go in."""

    installed: tuple[InstalledDistribution, ...]
    """Every distribution installed, the requested ones and what they pulled in."""

    failures: tuple[InstallFailure, ...] = ()
    """Requested distributions that failed to install, each with the installer's reason."""


@dataclass(frozen=True)
class ProbeEnvironment:
    """A virtual environment of the probed interpreter."""

    root: Path
    """The environment's directory."""

    python: Path
    """Its interpreter executable."""

    site_packages: tuple[Path, ...]
    """Its purelib and platlib directories (one path when they coincide)."""


class Installer(ABC):
    """An installer (uv or pip) that installs requirements into an environment."""

    name: str
    """``uv`` or ``pip``, for messages."""

    @abstractmethod
    def install(
        self,
        environment: ProbeEnvironment,
        requirements: Sequence[str],
        *,
        no_deps: bool,
        no_build: bool,
        on_line: Callable[[str], None],
        index_options: IndexOptions | None = None,
    ) -> set[NormalizedName]:
        """Install ``requirements`` into ``environment``; return the names built from source.

        ``index_options`` (from the dependency file) say where to look beside the user's own
        installer configuration. Every line the installer prints goes to ``on_line``.
        Requirements reach the installer in a requirements file, never as arguments.
        Raises :class:`InstallFailed` with the tail of the installer's error output when it
        fails, :class:`InstallerError` when the installer cannot run at all, and
        :class:`readiness.installer_requirements.UnsafeRequirement` for a requirement that
        would reach it as anything but itself (an option, a comment, more than one line).
        """

    @abstractmethod
    def uninstall(
        self,
        environment: ProbeEnvironment,
        names: Sequence[NormalizedName],
        *,
        on_line: Callable[[str], None],
    ) -> None:
        """Remove the distributions ``names`` from ``environment``.

        Raises :class:`InstallFailed` with the tail of the installer's output when it fails,
        and :class:`readiness.installer_requirements.UnsafeRequirement` for a name that is not.
        """
