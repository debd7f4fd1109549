"""What every lock reader shares: its set-up, its checks, and one result per name.

A lock format is one module with one :class:`LockSource` subclass that says only what is
particular to it: how the lock is read and which of its entries the tool installs for the
target (:meth:`LockSource.select`). Reading the file, the typed access to its values, the
refusals every tool words alike (an unknown lock version, another Python, an extra or group
the project does not declare) and the one result per name are here.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.model import Target
from readiness.sources._fields import LockFields
from readiness.sources._tomlfile import read_toml
from readiness.sources.interface import (
    Dependency,
    DependencySource,
    Origin,
    Provenance,
    ResolvedDependency,
    Selection,
    SkippedDependency,
    SourceError,
)
from readiness.sources.resolve import UNKNOWN_VERSION


class LockSource(DependencySource):
    """A lock file: what its tool installs for the target interpreter, at the locked versions."""

    complete = True

    label: ClassVar[str]
    """How messages name the file: ``uv.lock``, ``pylock.toml``."""

    nothing_selected_hint: ClassVar[str]
    """What to check when the lock selects nothing for the interpreter."""

    def __init__(self, path: Path, selection: Selection) -> None:
        self.path = path
        self.selection = selection
        """The extras and groups asked for."""
        self.fields = LockFields(path, self.label)
        """The lock's values, each read checked."""
        self.pyproject = path.parent / "pyproject.toml"
        """The project beside the lock, where a tool keeps what its lock does not say."""
        self.project_fields = LockFields(self.pyproject, "pyproject.toml")
        """The project's values, each read checked."""

    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield what the lock installs on ``target``, then the entries it leaves out.

        One result per name, in the lock's order. Raises :class:`SourceError` for a lock
        that is malformed, of a version readiness does not read, for another Python, that
        selects nothing for ``target``, or that lacks an extra or group asked for.
        """
        yield from one_per_name(self.select(target), self.path, hint=self.nothing_selected_hint)

    def inputs(self) -> tuple[Path, ...]:
        """Return every file :meth:`collect` may read, there or not: the lock, the project.

        With the target and the selection, their bytes decide all it yields
        (:mod:`readiness.sources.kept` keeps it under them).
        """
        return (self.path, self.pyproject)

    @abstractmethod
    def select(self, target: Target) -> Sequence[Dependency]:
        """Return every entry of the lock, resolved for ``target`` or skipped with its reason.

        Raises :class:`SourceError` for input that is not valid, naming the file.
        """

    def read(self) -> dict[str, Any]:
        """Return the lock's TOML document (see :mod:`readiness._documents` for the limits)."""
        return read_toml(self.path)

    def origin(self, entry: str) -> Origin:
        """Return where the lock declares ``entry`` (``package "anyio" 4.6.0``)."""
        return Origin(path=self.path, entry=entry)

    def resolved(
        self,
        name: NormalizedName,
        entry: str,
        version: Version | None,
        source: tuple[Provenance, str | None],
        *,
        direct: bool = True,
        extras: Iterable[str] = (),
        editable: bool = False,
        chain: tuple[NormalizedName, ...] = (),
    ) -> ResolvedDependency:
        """Return the lock entry ``entry``, installed at ``version`` from ``source``.

        ``source`` is where it comes from and, but for an index, the URL to install. A lock
        may leave the version out (uv, for a project with a dynamic version): it is then
        :data:`~readiness.sources.resolve.UNKNOWN_VERSION`.
        """
        provenance, url = source
        return ResolvedDependency(
            name=name,
            origin=self.origin(entry),
            version=UNKNOWN_VERSION if version is None else version,
            direct=direct,
            extras=frozenset(extras),
            provenance=provenance,
            url=url,
            editable=editable,
            chain=chain,
        )

    def skipped(
        self, name: NormalizedName, entry: str, reason: str, version: Version | None
    ) -> SkippedDependency:
        """Return the lock entry ``entry``, not installed on this interpreter for ``reason``."""
        return SkippedDependency(
            name=name, origin=self.origin(entry), reason=reason, version=version
        )

    def unsupported(
        self, found: object, reads: str, *, hint: str, field: str = "version"
    ) -> SourceError:
        """Return the error for a lock whose ``field`` is ``found``; readiness ``reads`` others."""
        return SourceError(
            f"{self.label} {field} {found!r} is not supported: readiness reads {reads}",
            path=self.path,
            hint=hint,
        )

    def check_python(
        self,
        target: Target,
        allows: Callable[[Version], bool],
        described: str,
        *,
        hint: str = "probe with an interpreter the project supports",
    ) -> None:
        """Refuse a lock for other Pythons, as its tool refuses the interpreter.

        ``allows`` tells whether the lock fits a Python version; ``described`` says which
        versions it fits. A target that reports no version is not refused.
        """
        running = target.marker_environment.get("python_full_version")
        if running is not None and not allows(Version(running)):
            raise SourceError(
                f"the lock is for Python {described}, and the interpreter is Python {running}",
                path=self.path,
                hint=hint,
            )


def check_declared(
    asked: Collection[NormalizedName],
    declared: Collection[NormalizedName],
    kind: str,
    *,
    path: Path,
    declarer: str = "the project",
) -> None:
    """Refuse an extra or group (``kind``) asked for that ``declarer`` does not declare."""
    unknown = sorted(set(asked) - set(declared))
    if unknown:
        raise SourceError(
            f"the project declares no {kind} {', '.join(map(repr, unknown))}",
            path=path,
            hint=f"{declarer} declares: {', '.join(sorted(declared)) or 'none'}",
        )


def false_markers_reason(markers: Sequence[str]) -> str:
    """Say why a locked name is not installed: the markers of the edges not followed to it."""
    unique = list(dict.fromkeys(markers))
    if len(unique) == 1:
        return f"marker `{unique[0]}` is false for this interpreter"
    if unique:
        return f"markers {', '.join(f'`{m}`' for m in unique)} are false for this interpreter"
    return "not needed on this interpreter with the selected extras and groups"


def one_per_name(results: Sequence[Dependency], path: Path, *, hint: str) -> Iterator[Dependency]:
    """Yield one result per name, in the lock's order; refuse a lock that selects nothing.

    The version of a fork that this interpreter does not take is not reported skipped beside
    the one it takes, nor is a name skipped twice. ``hint`` says what to check when the lock
    selects nothing.
    """
    resolved = {dep.name for dep in results if isinstance(dep, ResolvedDependency)}
    if not resolved:
        raise SourceError("the lock selects no package for this interpreter", path=path, hint=hint)
    reported: set[NormalizedName] = set()
    for dependency in results:
        if dependency.name in reported or (
            isinstance(dependency, SkippedDependency) and dependency.name in resolved
        ):
            continue
        reported.add(dependency.name)
        yield dependency
