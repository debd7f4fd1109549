"""What an installer does, and what an installation produced."""

from __future__ import annotations

import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._errors import ReadinessError
from readiness.environment.command import index_arguments, installer_environment
from readiness.model import IndexOptions

INSTALL_TIMEOUT = 1800.0
"""Seconds one installation command may take: source builds of large projects take minutes."""


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

    free_threading_classifiers: tuple[str, ...] | None = None
    """The free-threading trove classifiers its core metadata declares (most declare none);
    None when the metadata was not read for them (an environment recorded by an older
    readiness)."""


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


Action = Literal["install", "uninstall"]
"""What an installer command does to an environment."""


class Installer(ABC):
    """An installer (uv or pip) that installs requirements into an environment.

    Both commands are built and run here; an installer supplies only its own words:
    :meth:`command`, :attr:`no_build_options` and :meth:`built_from_source`.
    """

    name: str
    """``uv`` or ``pip``, for messages."""

    spelled: str
    """How its commands start, for messages: ``pip`` or ``uv pip``."""

    no_build_options: tuple[str, ...]
    """Its options for "never build": only wheels, for every distribution."""

    timeout: float = INSTALL_TIMEOUT
    """Seconds one of its commands may take."""

    @abstractmethod
    def command(self, environment: ProbeEnvironment, action: Action, scratch: Path) -> list[str]:
        """Return the start of the command that does ``action`` in ``environment``.

        That is the program, ``action`` and this installer's own options for it; ``scratch``
        is an empty folder for the files the command writes, kept until it has been read.
        """

    @abstractmethod
    def built_from_source(
        self, environment: ProbeEnvironment, scratch: Path, lines: Sequence[str]
    ) -> set[NormalizedName]:
        """Return the names the install that printed ``lines`` built from source."""

    @abstractmethod
    def reinstall_options(self, names: Sequence[NormalizedName]) -> list[str]:
        """Return its options that build and install ``names`` again, whatever is installed."""

    def install(
        self,
        environment: ProbeEnvironment,
        requirements: Sequence[str],
        *,
        no_deps: bool,
        no_build: bool,
        on_line: Callable[[str], None],
        index_options: IndexOptions | None = None,
        reinstall: Sequence[NormalizedName] = (),
    ) -> set[NormalizedName]:
        """Install ``requirements`` into ``environment``; return the names built from source.

        ``index_options`` (from the dependency file) say where to look beside the user's own
        installer configuration. Every line the installer prints goes to ``on_line``.
        Requirements reach the installer in a requirements file, never as arguments.
        The distributions ``reinstall`` names are built and installed again even when the
        same version is there (a project's source tree whose files changed).
        Raises :class:`InstallFailed` with the tail of the installer's error output when it
        fails, :class:`InstallerError` when the installer cannot run at all, and
        :class:`readiness.installer_requirements.UnsafeRequirement` for a requirement that
        would reach it as anything but itself (an option, a comment, more than one line).
        """
        # Imported here, as in uninstall and _run: a warm run installs nothing.
        from readiness.installer_requirements import requirements_arguments

        with tempfile.TemporaryDirectory(prefix=f"readiness-{self.name}-") as folder:
            scratch = Path(folder)
            argv = [
                *self.command(environment, "install", scratch),
                *index_arguments(index_options),
                *(["--no-deps"] if no_deps else []),
                *(self.no_build_options if no_build else ()),
                *(self.reinstall_options(reinstall) if reinstall else ()),
                # Never bare arguments: a "name" that starts with "-" would be an option.
                *requirements_arguments(scratch, requirements),
            ]
            lines = self._run(argv, "install", on_line)
            return self.built_from_source(environment, scratch, lines)

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
        from readiness.installer_requirements import requirements_arguments

        with tempfile.TemporaryDirectory(prefix=f"readiness-{self.name}-") as folder:
            scratch = Path(folder)
            argv = self.command(environment, "uninstall", scratch)
            self._run([*argv, *requirements_arguments(scratch, names)], "uninstall", on_line)

    def _run(
        self, argv: Sequence[str], action: Action, on_line: Callable[[str], None]
    ) -> tuple[str, ...]:
        """Run one command, passing on each line it prints; return them all.

        Raises :class:`InstallerError` when it cannot be run at all, and :class:`InstallFailed`
        with the line that says why (:func:`install_cause`) and the whole output when it
        fails, or its tail when it outlives :attr:`timeout`.
        """
        from readiness._stream import plain_output, run_streaming
        from readiness.environment.cause import install_cause

        what = f"{self.spelled} {action}"
        try:
            run = run_streaming(
                argv, timeout=self.timeout, on_line=on_line, env=installer_environment()
            )
        except OSError as e:
            raise InstallerError(f"{self.name} ({argv[0]}) could not be run: {e}") from e
        except subprocess.TimeoutExpired as e:
            output = str(e.output or "")
            raise InstallFailed(
                f"{what} did not finish within {self.timeout:.0f} s",
                reason=f"killed after {self.timeout:.0f} s\n{output}".strip(),
                log=plain_output(output.splitlines()),
            ) from e
        if run.returncode != 0:
            raise InstallFailed(
                f"{what} exited with status {run.returncode}",
                reason=install_cause(run.lines),
                log=plain_output(run.lines),
            )
        return run.lines
