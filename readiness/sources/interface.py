"""What every dependency source provides, and the values it yields."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._errors import InputError
from readiness.model import IndexOptions, Target


class SourceError(InputError):
    """Raised when a dependency file cannot be read: malformed, unsupported or unpinned."""


@dataclass(frozen=True)
class Selection:
    """Which optional parts of a project to include, as the installer's flags say."""

    extras: frozenset[str] = frozenset()
    """Extras (optional dependencies) to include."""

    groups: frozenset[str] = frozenset()
    """Dependency groups to include, beside the default ones."""

    all_extras: bool = False
    """Include every extra the file declares."""

    all_groups: bool = False
    """Include every dependency group the file declares."""

    no_dev: bool = False
    """Leave out the development group(s) that a tool includes by default."""


@dataclass(frozen=True)
class Origin:
    """Where a dependency was declared: a file, and a line or a lock entry in it."""

    path: Path
    """The file that declared it."""

    line: int | None = None
    """The 1-based line, for line-oriented files."""

    entry: str | None = None
    """The lock entry that declared it (``package "name" 1.0``), for lockfiles."""

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.entry is not None:
            return f"{self.path} ({self.entry})"
        return str(self.path)


@dataclass(frozen=True)
class Dependency:
    """A distribution named by a dependency file."""

    name: NormalizedName
    """The distribution's normalized name (PEP 503)."""

    origin: Origin
    """Where it was declared."""


class Provenance(enum.StrEnum):
    """Where a resolved distribution comes from."""

    INDEX = "index"
    """A package index (or --find-links), by name and version."""

    URL = "url"
    """A direct URL to a wheel or an sdist."""

    PATH = "path"
    """A local file or folder."""

    VCS = "vcs"
    """A version-control reference (``git+https://...@rev``)."""


@dataclass(frozen=True)
class ResolvedDependency(Dependency):
    """A distribution pinned to one version, to be installed and probed."""

    version: Version
    """The exact version to install (for a URL, path or VCS source: the version it builds)."""

    direct: bool = True
    """True when the project asks for it itself, False when only another dependency does."""

    extras: frozenset[str] = field(default_factory=frozenset)
    """Extras requested with it (they matter only when the installer resolves)."""

    provenance: Provenance = Provenance.INDEX
    """Where it comes from."""

    url: str | None = None
    """For a URL, path or VCS source: what the installer installs (``git+https://...@rev``,
    ``file:///...``); None for an index distribution."""

    editable: bool = False
    """Installed in editable mode (``-e``, or a lock's editable source)."""

    chain: tuple[NormalizedName, ...] = ()
    """For a transitive dependency, where the file has the graph: the distributions that pull
    it in, from a direct dependency down to its parent (``fastapi, starlette`` for anyio)."""

    def requirement(self) -> str:
        """Return the requirement line that installs exactly this distribution."""
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        if self.url is not None:
            return f"{self.name}{extras} @ {self.url}"
        return f"{self.name}{extras}=={self.version}"


@dataclass(frozen=True)
class SkippedDependency(Dependency):
    """A distribution the file names but that is not installed for this target."""

    reason: str
    """Why, in words: usually the marker that excludes it for this interpreter."""

    version: Version | None = None
    """The version the file pins, where it pins one."""


class DependencySource(ABC):
    """A file that declares dependencies, read for one target interpreter."""

    kind: str
    """What kind of file this is, for reports: ``requirements``, ``pylock``, ``uv.lock``."""

    complete: bool = True
    """True when the file lists every distribution to install (a lock), so the installer
    must resolve nothing; False when the installer adds what the listed ones require."""

    path: Path
    """The file this source reads."""

    @abstractmethod
    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield every dependency the file declares for ``target``, resolved or skipped.

        Raises :class:`SourceError` naming the file and line for input that is not valid.
        """

    def index_options(self) -> IndexOptions:
        """Return where the file says to find distributions; by default, nowhere special.

        Raises :class:`SourceError` when the file cannot be read, like :meth:`collect`.
        """
        return IndexOptions()
