"""Resolution of what a file leaves open: the interface a source hands its lines to.

A source whose file leaves versions open (ranges, bare names, URLs, a pyproject.toml) hands
every line to a :class:`Resolver`, which asks an installer what it would install for the
target and returns the complete set, each distribution traced back to the line that asked.
The resolvers themselves (``uv pip compile``, ``pip install --dry-run --report``) run the
installers, so they live with them in :mod:`readiness.environment`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._cache import RecordStore
from readiness.model import IndexOptions, Target
from readiness.sources._fields import marker_holds
from readiness.sources._tomlfile import read_toml
from readiness.sources.interface import (
    Dependency,
    Origin,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
)

UNKNOWN_VERSION = Version("0")
"""The version reported for a URL, path or VCS distribution whose version the resolver does
not print (uv names none for a VCS checkout or a project with a dynamic version)."""

# Version-control URL schemes pip and uv accept (pip/_internal/vcs: git, hg, svn, bzr).
VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")


class ResolutionError(SourceError):
    """Raised when the installer cannot resolve the requirements, or cannot be run to try."""


@dataclass(frozen=True)
class RequirementLine:
    """One requirement or constraint for the resolver, and the line that declared it."""

    text: str
    """What the installer is given, without a marker: a PEP 508 requirement (``requests>=2``,
    ``name @ url``), or an absolute path or URL where the line names no distribution."""

    origin: Origin
    """The file and line that declared it."""

    name: NormalizedName | None = None
    """The distribution it names, where that is known before resolution."""

    marker: Marker | None = None
    """Where it applies; evaluated for the target before resolution, so the installer never
    evaluates it for its own host (pip does, with ``--python-version``)."""

    extras: frozenset[NormalizedName] = frozenset()
    """Extras it asks for."""

    constraint: bool = False
    """A constraint (``-c``): it limits versions, it adds no distribution."""

    editable: bool = False
    """Installed in editable mode (``-e``)."""

    url: str | None = None
    """For a URL, path or VCS requirement: where it is, as a URL (``file://`` for a path)."""

    pinned: Version | None = None
    """The one version it pins (``name==1.0``), for reports of a skipped line."""

    def installer_line(self) -> str:
        """Return the line as it goes into a requirements file for the installer."""
        return f"-e {self.text}" if self.editable else self.text


class Resolver(ABC):
    """An installer asked what it would install for a target."""

    name: str
    """The installer's name, for messages: ``uv`` or ``pip``."""

    @abstractmethod
    def resolve(
        self, requirements: Sequence[RequirementLine], target: Target, index_options: IndexOptions
    ) -> list[ResolvedDependency]:
        """Return every distribution the installer would install for ``target``.

        Direct dependencies keep the origin of the line that names them; the others have
        ``direct=False``, the ``chain`` that pulls them in, and that chain's first origin.
        Raises :class:`ResolutionError` naming the file and line of the requirement the
        installer could not satisfy, where its message tells which.
        """


RESOLUTIONS_FOLDER = "resolutions"
"""Where in the cache directory the resolutions :class:`KeptResolver` keeps go."""

RESOLUTIONS_FORMAT = 2
"""The layout of a kept resolution: bumped when :class:`ResolvedDependency` changes."""

FAILURE_MAX_AGE = 24 * 3600.0
"""Seconds a failed resolution is believed: a day at most, as the installer's refusals are
(a failure that was the network's passes), and never longer than a resolution."""


@dataclass(frozen=True)
class _Failure:
    """Why a resolution failed, as the error said it: enough to say it again."""

    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None

    @classmethod
    def of(cls, error: ResolutionError) -> _Failure:
        """Return what ``error`` said."""
        return cls(error.message, error.path, error.line, error.hint)

    def error(self) -> ResolutionError:
        """Return the error to raise again."""
        return ResolutionError(self.message, path=self.path, line=self.line, hint=self.hint)


@dataclass(frozen=True)
class _Resolution:
    """One kept resolution: what the installer would install, or why it could not say."""

    dependencies: tuple[ResolvedDependency, ...]
    failure: _Failure | None = None


class KeptResolver(Resolver):
    """A resolver whose answers are kept: the same lines for the same target resolve once.

    The answer is kept under every line as the installer gets it and where it stands, the
    target (its marker environment, tags, version and platform) and the index options, and
    used again for ``max_age`` seconds: a range may admit a newer release later, so a kept
    answer ages out like the index's evidence. A failed resolution is kept as well (an sdist
    whose build fails would fail again, at its cost, on every run), for at most a day. Lines
    whose meaning the text does not fix (a local path, an editable or unnamed requirement,
    whose project can change on disk) are always resolved afresh.
    """

    def __init__(self, resolver: Resolver, cache_dir: Path, *, max_age: float) -> None:
        self.resolver = resolver
        self.name = resolver.name
        self.max_age = max_age
        self.store = RecordStore(cache_dir / RESOLUTIONS_FOLDER, _Resolution, RESOLUTIONS_FORMAT)

    def resolve(
        self, requirements: Sequence[RequirementLine], target: Target, index_options: IndexOptions
    ) -> list[ResolvedDependency]:
        """Return the kept resolution of ``requirements``, else the resolver's (then kept).

        Raises :class:`ResolutionError` as the resolver did, when it failed lately.
        """
        if self.max_age <= 0 or any(_on_disk(line) for line in requirements):
            return self.resolver.resolve(requirements, target, index_options)
        key = self.store.key(
            self.name,
            [[line.installer_line(), str(line.origin), line.constraint] for line in requirements],
            sorted(target.marker_environment.items()),
            [str(tag) for tag in target.tags],
            [target.python_version, target.platform, target.synthetic, str(target.python)],
            repr(index_options),
        )
        kept = self.store.load(key, max_age=self.max_age)
        if kept is not None and kept.failure is not None and self.max_age > FAILURE_MAX_AGE:
            kept = self.store.load(key, max_age=FAILURE_MAX_AGE)  # a failure ages out sooner
        if kept is not None:
            if kept.failure is not None:
                raise kept.failure.error()
            return list(kept.dependencies)
        try:
            found = self.resolver.resolve(requirements, target, index_options)
        except ResolutionError as e:
            self.store.store(key, _Resolution((), _Failure.of(e)))
            raise
        self.store.store(key, _Resolution(tuple(found)))
        return found


def _on_disk(line: RequirementLine) -> bool:
    """Return True for a line whose project is read from disk (or has no name to pin)."""
    return line.editable or line.name is None or (line.url or "").startswith("file:")


def collect_resolved(
    lines: Sequence[RequirementLine],
    target: Target,
    index_options: IndexOptions,
    resolver: Resolver,
) -> list[Dependency]:
    """Resolve ``lines`` for ``target``; a line whose marker is false is reported skipped.

    One result per name; a name resolved from any line is not also reported skipped.
    Raises :class:`SourceError` for a marker that cannot be evaluated, and what
    :meth:`Resolver.resolve` raises.
    """
    applicable: list[RequirementLine] = []
    skipped: dict[NormalizedName, SkippedDependency] = {}
    for line in lines:
        if _marker_holds(line, target):
            applicable.append(line)
        elif line.name is not None and not line.constraint:
            skipped.setdefault(
                line.name,
                SkippedDependency(
                    name=line.name,
                    origin=line.origin,
                    reason=f"marker `{line.marker}` is false for this interpreter",
                    version=line.pinned,
                ),
            )
    if any(not line.constraint for line in applicable):
        found = resolver.resolve(applicable, target, index_options)
    else:
        found = []
    names = {dependency.name for dependency in found}
    return [*found, *(dep for name, dep in skipped.items() if name not in names)]


def _marker_holds(line: RequirementLine, target: Target) -> bool:
    if line.marker is None:
        return True
    # pip evaluates a requirements line with extra "" (req_install.match_markers).
    environment = dict(target.marker_environment) | {"extra": ""}
    return marker_holds(line.marker, environment, path=line.origin.path, line=line.origin.line)


def local_project_name(folder: Path) -> NormalizedName | None:
    """Return the static ``[project] name`` of the project in ``folder``, if it has one."""
    name = _static_project_field(folder, "name")
    return canonicalize_name(name) if name else None


def local_project_version(folder: Path) -> Version | None:
    """Return the static ``[project] version`` of the project in ``folder``, if it has one."""
    version = _static_project_field(folder, "version")
    try:
        return Version(version) if version else None
    except InvalidVersion:
        return None


def _static_project_field(folder: Path, key: str) -> str | None:
    try:
        project = read_toml(folder / "pyproject.toml").get("project", {})
    except SourceError:
        return None
    value = project.get(key) if isinstance(project, dict) else None
    return value if isinstance(value, str) else None
