"""PDM's lock file (``pdm.lock``), selected the way ``pdm sync`` selects from it.

Lock format 4 (pdm-project.org/latest/usage/lockfile/) with the ``inherit_metadata`` strategy,
pdm's default since 2.11: every ``[[package]]`` carries the ``groups`` that need it and the
``marker`` under which they do, so ``pdm sync`` installs a package when one of its groups is
selected and its marker holds, without resolving (pdm ``resolver/reporters`` and
``models/repositories/lock.py``). A package asked for with extras is listed again with
``extras = [...]``, whose ``dependencies`` add the extras' requirements.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.sources._chains import shortest_chains
from readiness.sources._fields import LockFields, marker_holds
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
    Target,
)

SUPPORTED_LOCK_MAJOR = 4
"""The major ``lock_version`` this module reads (pdm bumps the minor for compatible changes)."""

_DEFAULT_GROUP = canonicalize_name("default")


@dataclass(frozen=True)
class _Package:
    """One distribution of the lock: its ``[[package]]`` tables merged (one per extras set)."""

    name: NormalizedName
    """The distribution's name."""

    version: Version
    """The locked version."""

    extras: frozenset[NormalizedName]
    """The extras it is locked with."""

    groups: frozenset[NormalizedName]
    """The groups that need it."""

    marker: Marker | None
    """Where they need it; None for everywhere."""

    dependencies: tuple[Requirement, ...]
    """What it depends on, its extras' requirements included."""

    table: Mapping[str, Any]
    """Its first table, for where it comes from (``git``, ``path``, ``url``, ``editable``)."""

    @property
    def entry(self) -> str:
        """How the lock names it: ``package "anyio" 4.6.0``."""
        return f'package "{self.name}" {self.version}'


@dataclass(frozen=True)
class _Project:
    """What pyproject.toml says about the groups, for selecting them as pdm does."""

    optional_groups: frozenset[NormalizedName]
    """The extras (``[project.optional-dependencies]``), which pdm treats as groups."""

    dev_groups: frozenset[NormalizedName]
    """The development groups (``[dependency-groups]``, ``[tool.pdm.dev-dependencies]``)."""

    requirements: Mapping[NormalizedName, tuple[Requirement, ...]]
    """Each group's requirements, ``default`` for ``[project] dependencies``."""


class PdmLockSource(DependencySource):
    """A ``pdm.lock``: what ``pdm sync`` installs for the interpreter."""

    kind = "pdm.lock"
    complete = True

    def __init__(self, path: Path, selection: Selection) -> None:
        self.path = path
        self.fields = LockFields(path, "pdm.lock")
        self.selection = selection
        self.pyproject = path.parent / "pyproject.toml"

    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield the packages the lock selects for ``target``, then those it leaves out.

        Raises :class:`SourceError` for a lock that is malformed, of an unknown version or
        strategy, for another Python, that selects nothing, or that lacks a group asked for.
        """
        document = read_toml(self.path)
        metadata = self._table(document, "metadata", "the lock")
        self._check_version(metadata)
        self._check_targets(metadata, target)
        project = self._project()
        locked_groups = frozenset(
            canonicalize_name(str(group)) for group in self._list(metadata, "groups", "[metadata]")
        )
        groups = self._chosen_groups(locked_groups, project)
        environment = dict(target.marker_environment)
        packages = self._packages(document)
        selected = [
            package
            for package in packages
            if package.groups & groups and self._holds(package.marker, environment, package)
        ]
        if not selected:
            raise SourceError(
                "the lock selects no package for this interpreter",
                path=self.path,
                hint="check the groups asked for, and the lock's markers",
            )
        direct, chains = self._graph(selected, project, groups, environment)
        chosen = {id(package) for package in selected}
        taken = {package.name for package in selected}
        for package in packages:
            origin = Origin(path=self.path, entry=package.entry)
            if id(package) in chosen:
                yield self._resolved(package, origin, direct, chains)
            elif package.name not in taken:
                # A fork's other version is not reported beside the one taken.
                taken.add(package.name)
                yield SkippedDependency(
                    name=package.name,
                    origin=origin,
                    reason=self._why_not(package, groups),
                    version=package.version,
                )

    def _check_version(self, metadata: Mapping[str, Any]) -> None:
        version = metadata.get("lock_version")
        try:
            major = Version(str(version)).major
        except ValueError:  # InvalidVersion, or a number past Python's digit limit
            major = None
        if major != SUPPORTED_LOCK_MAJOR:
            raise SourceError(
                f"pdm.lock version {version!r} is not supported: readiness reads version "
                f"{SUPPORTED_LOCK_MAJOR}.x",
                path=self.path,
                hint=f"update readiness, or lock with a pdm that writes {SUPPORTED_LOCK_MAJOR}.x",
            )
        strategy = self._list(metadata, "strategy", "[metadata]")
        if "inherit_metadata" not in strategy:
            raise SourceError(
                "pdm.lock without the inherit_metadata strategy: not supported yet (its packages "
                "carry no groups and markers)",
                path=self.path,
                hint="re-lock with `pdm lock --strategy inherit_metadata` (pdm 2.11 and later "
                "do by default)",
            )

    def _check_targets(self, metadata: Mapping[str, Any], target: Target) -> None:
        """Refuse a lock none of whose targets is this Python, as ``pdm sync`` does."""
        running = target.marker_environment.get("python_full_version")
        targets = self._list(metadata, "targets", "[metadata]")
        wanted = [
            t["requires_python"]
            for t in targets
            if isinstance(t, dict) and t.get("requires_python")
        ]
        if running is None or not wanted:
            return
        try:
            fits = any(
                SpecifierSet(str(spec)).contains(Version(running), prereleases=True)
                for spec in wanted
            )
        except ValueError as e:  # InvalidSpecifier, or a number past Python's digit limit
            raise SourceError(f"malformed pdm.lock: [metadata] targets: {e}", path=self.path) from e
        if not fits:
            raise SourceError(
                f"the lock is for Python {' or '.join(map(str, wanted))}, and the interpreter is "
                f"Python {running}",
                path=self.path,
                hint="probe with an interpreter the lock targets, or `pdm lock --append` one",
            )

    def _chosen_groups(
        self, locked: frozenset[NormalizedName], project: _Project | None
    ) -> frozenset[NormalizedName]:
        """Return the groups to install, as ``pdm sync`` chooses them (pdm ``cli/filters.py``).

        Unasked, pdm installs every group the lock holds. Asked, it installs ``default``, the
        groups and extras named, and every dev group unless ``--prod`` (``no_dev``); PDM has
        one namespace for extras and groups, so both kinds of name select a group.
        """
        selection = self.selection
        asked = {canonicalize_name(name) for name in selection.extras | selection.groups}
        unset = not (asked or selection.all_extras or selection.all_groups or selection.no_dev)
        if unset:
            return locked
        optional = project.optional_groups if project else frozenset()
        dev = project.dev_groups if project else locked - {_DEFAULT_GROUP} - optional
        groups = {_DEFAULT_GROUP, *asked}
        if selection.all_extras:
            groups |= optional
        if selection.all_groups or not selection.no_dev:
            groups |= dev
        # --prod leaves out the dev groups; one named explicitly stays (pdm refuses the mix).
        if selection.no_dev:
            groups -= dev - asked
        unknown = sorted(asked - locked)
        if unknown:
            raise SourceError(
                f"the lock holds no group {', '.join(map(repr, unknown))}",
                path=self.path,
                hint=f"the lock holds: {', '.join(sorted(locked)) or 'none'}; lock them with "
                "`pdm lock -G <group>`",
            )
        return frozenset(groups & locked)

    def _graph(
        self,
        selected: Sequence[_Package],
        project: _Project | None,
        groups: frozenset[NormalizedName],
        environment: Mapping[str, str],
    ) -> tuple[frozenset[NormalizedName] | None, dict[NormalizedName, tuple[NormalizedName, ...]]]:
        """Return the names the project asks for itself, and each transitive one's chain.

        Without a pyproject.toml the lock does not tell which packages are direct: None.
        """
        if project is None:
            return None, {}
        names = {package.name for package in selected}
        direct = frozenset(
            canonicalize_name(requirement.name)
            for group in groups
            for requirement in project.requirements.get(group, ())
            if canonicalize_name(requirement.name) in names
            and (
                requirement.marker is None
                or marker_holds(requirement.marker, environment, path=self.pyproject)
            )
        )
        edges: dict[NormalizedName, set[NormalizedName]] = {}
        for package in selected:
            for requirement in package.dependencies:
                child = canonicalize_name(requirement.name)
                if child == package.name or child not in names:
                    continue
                if requirement.marker is None or self._holds(
                    requirement.marker, environment, package
                ):
                    edges.setdefault(package.name, set()).add(child)
        return direct, shortest_chains(direct, edges)

    def _resolved(
        self,
        package: _Package,
        origin: Origin,
        direct: frozenset[NormalizedName] | None,
        chains: Mapping[NormalizedName, tuple[NormalizedName, ...]],
    ) -> ResolvedDependency:
        provenance, url = self._provenance(package)
        is_direct = direct is None or package.name in direct
        return ResolvedDependency(
            name=package.name,
            origin=origin,
            version=package.version,
            direct=is_direct,
            extras=package.extras,
            provenance=provenance,
            url=url,
            editable=package.table.get("editable") is True,
            chain=() if is_direct else chains.get(package.name, ()),
        )

    def _provenance(self, package: _Package) -> tuple[Provenance, str | None]:
        """Tell where a package comes from: pdm writes ``git``, ``path`` or ``url`` keys."""
        table = package.table
        if "git" in table:
            git = self.fields.url(table["git"], f"{package.entry} git")
            revision = table.get("revision") or table.get("ref")
            url = f"git+{git}" + (f"@{revision}" if revision else "")
            if table.get("subdirectory"):
                url += f"#subdirectory={table['subdirectory']}"
            return Provenance.VCS, url
        if "path" in table:
            # pdm writes paths relative to the project root, the lock's folder.
            local = self.fields.local_path(table["path"], f"{package.entry} path")
            return Provenance.PATH, local.as_uri()
        if "url" in table:
            url = self.fields.url(table["url"], f"{package.entry} url")
            return (Provenance.PATH if url.startswith("file:") else Provenance.URL), url
        return Provenance.INDEX, None

    def _why_not(self, package: _Package, groups: frozenset[NormalizedName]) -> str:
        if not package.groups & groups:
            return f"only in group(s) {', '.join(sorted(package.groups)) or 'none'}, not selected"
        return f"marker `{package.marker}` is false for this interpreter"

    def _holds(
        self, marker: Marker | None, environment: Mapping[str, str], package: _Package
    ) -> bool:
        if marker is None:
            return True
        return marker_holds(marker, environment, path=self.path, entry=package.entry)

    # The project beside the lock.

    def _project(self) -> _Project | None:
        if not self.pyproject.is_file():
            return None
        document = read_toml(self.pyproject)
        project = self._table(document, "project", "pyproject.toml", self.pyproject)
        tool = self._table(document, "tool", "pyproject.toml", self.pyproject)
        pdm = self._table(tool, "pdm", "[tool]", self.pyproject)
        optional = self._table(project, "optional-dependencies", "[project]", self.pyproject)
        legacy_dev = self._table(pdm, "dev-dependencies", "[tool.pdm]", self.pyproject)
        pep735 = self._table(document, "dependency-groups", "pyproject.toml", self.pyproject)
        texts: dict[NormalizedName, list[object]] = {
            _DEFAULT_GROUP: list(self._list(project, "dependencies", "[project]", self.pyproject))
        }
        for table in (optional, legacy_dev, pep735):
            for group, items in table.items():
                if not isinstance(items, list):
                    raise SourceError(f"group {group!r} is not a list", path=self.pyproject)
                # `{include-group = ...}` only adds names already in another group's list.
                texts.setdefault(canonicalize_name(group), []).extend(
                    item for item in items if isinstance(item, str) and not item.startswith("-e")
                )
        requirements: dict[NormalizedName, tuple[Requirement, ...]] = {}
        for group, items in texts.items():
            try:
                requirements[group] = tuple(Requirement(str(item)) for item in items)
            except InvalidRequirement as e:
                raise SourceError(f"group {group!r}: {e}", path=self.pyproject) from e
        return _Project(
            optional_groups=frozenset(canonicalize_name(group) for group in optional),
            dev_groups=frozenset(canonicalize_name(group) for group in (*legacy_dev, *pep735)),
            requirements=requirements,
        )

    # Reading the lock, checking each value's type: a lock is input like any other.

    def _packages(self, document: Mapping[str, Any]) -> list[_Package]:
        """Return the packages, the tables of one name and version merged, in the lock's order."""
        merged: dict[tuple[NormalizedName, Version], list[Mapping[str, Any]]] = {}
        for position, table in enumerate(self._list(document, "package", "the lock")):
            if not isinstance(table, dict):
                raise SourceError(
                    f"malformed pdm.lock: package[{position}] is not a table", path=self.path
                )
            where = f"package[{position}]"
            key = (
                self.fields.name(table.get("name"), f"{where}.name"),
                self.fields.version(table.get("version"), f"{where}.version"),
            )
            merged.setdefault(key, []).append(table)
        return [self._package(name, version, tables) for (name, version), tables in merged.items()]

    def _package(
        self, name: NormalizedName, version: Version, tables: Sequence[Mapping[str, Any]]
    ) -> _Package:
        where = f'package "{name}" {version}'
        extras: set[NormalizedName] = set()
        groups: set[NormalizedName] = set()
        markers: list[str | None] = []
        dependencies: list[Requirement] = []
        for table in tables:
            extras |= {canonicalize_name(str(e)) for e in self._list(table, "extras", where)}
            groups |= {canonicalize_name(str(g)) for g in self._list(table, "groups", where)}
            marker = table.get("marker")
            markers.append(None if marker is None else str(marker))
            for text in self._list(table, "dependencies", where):
                try:
                    dependencies.append(Requirement(str(text)))
                except InvalidRequirement as e:
                    raise SourceError(f"malformed pdm.lock: {where}: {e}", path=self.path) from e
        # The entries of one distribution share their marker; should they differ, either
        # holding installs it.
        unique = list(dict.fromkeys(markers))
        try:
            marker = (
                None
                if None in unique
                else Marker(
                    " or ".join(f"({m})" for m in unique) if len(unique) > 1 else unique[0] or ""
                )
            )
        except InvalidMarker as e:
            raise SourceError(f"malformed pdm.lock: {where}: {e}", path=self.path) from e
        return _Package(
            name=name,
            version=version,
            extras=frozenset(extras),
            groups=frozenset(groups),
            marker=marker,
            dependencies=tuple(dependencies),
            table=tables[0],
        )

    def _table(
        self, table: Mapping[str, Any], key: str, where: str, path: Path | None = None
    ) -> dict[str, Any]:
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise SourceError(f"malformed {where}: `{key}` is not a table", path=path or self.path)
        return value

    def _list(
        self, table: Mapping[str, Any], key: str, where: str, path: Path | None = None
    ) -> list[Any]:
        value = table.get(key, [])
        if not isinstance(value, list):
            raise SourceError(f"malformed {where}: `{key}` is not a list", path=path or self.path)
        return value
