"""PDM's lock file (``pdm.lock``), selected the way ``pdm sync`` selects from it.

Lock format 4 (pdm-project.org/latest/usage/lockfile/) with the ``inherit_metadata`` strategy,
pdm's default since 2.11: every ``[[package]]`` carries the ``groups`` that need it and the
``marker`` under which they do, so ``pdm sync`` installs a package when one of its groups is
selected and its marker holds, without resolving (pdm ``resolver/reporters`` and
``models/repositories/lock.py``). A package asked for with extras is listed again with
``extras = [...]``, whose ``dependencies`` add the extras' requirements.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.model import Target
from readiness.sources._chains import shortest_chains
from readiness.sources._fields import combine_markers, marker_holds, parse_marker
from readiness.sources._groups import expand_group
from readiness.sources._locks import LockSource
from readiness.sources._tomlfile import read_toml
from readiness.sources.interface import Dependency, Provenance, SourceError

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


class PdmLockSource(LockSource):
    """A ``pdm.lock``: what ``pdm sync`` installs for the interpreter."""

    kind = label = "pdm.lock"
    nothing_selected_hint = "check the groups asked for, and the lock's markers"

    def select(self, target: Target) -> list[Dependency]:
        """Return the packages the lock selects for ``target``, then those it leaves out.

        Raises :class:`SourceError` for a lock that is malformed, of an unknown version or
        strategy, for another Python, or that lacks a group asked for.
        """
        document = self.read()
        metadata = self.fields.table(document, "metadata", "the lock")
        self._check_version(metadata)
        self._check_targets(metadata, target)
        project = self._project()
        locked_groups = frozenset(
            canonicalize_name(str(group))
            for group in self.fields.array(metadata, "groups", "[metadata]")
        )
        groups = self._chosen_groups(locked_groups, project)
        environment = dict(target.marker_environment)
        packages = self._packages(document)
        selected = [
            package
            for package in packages
            if package.groups & groups and self._holds(package.marker, environment, package)
        ]
        direct, chains = self._graph(selected, project, groups, environment)
        chosen = {id(package) for package in selected}
        return [
            self._resolved(package, direct, chains)
            if id(package) in chosen
            else self.skipped(
                package.name, package.entry, self._why_not(package, groups), package.version
            )
            for package in packages
        ]

    def _check_version(self, metadata: Mapping[str, Any]) -> None:
        version = metadata.get("lock_version")
        try:
            major = Version(str(version)).major
        except ValueError:  # InvalidVersion, or a number past Python's digit limit
            major = None
        if major != SUPPORTED_LOCK_MAJOR:
            raise self.unsupported(
                version,
                f"version {SUPPORTED_LOCK_MAJOR}.x",
                hint=f"update readiness, or lock with a pdm that writes {SUPPORTED_LOCK_MAJOR}.x",
            )
        strategy = self.fields.array(metadata, "strategy", "[metadata]")
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
        targets = self.fields.array(metadata, "targets", "[metadata]")
        wanted = [
            t["requires_python"]
            for t in targets
            if isinstance(t, dict) and t.get("requires_python")
        ]
        if not wanted:
            return
        try:
            specifiers = [SpecifierSet(str(spec)) for spec in wanted]
        except ValueError as e:  # InvalidSpecifier, or a number past Python's digit limit
            raise self.fields.error(f"[metadata] targets: {e}") from e
        self.check_python(
            target,
            lambda version: any(s.contains(version, prereleases=True) for s in specifiers),
            " or ".join(map(str, wanted)),
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
        direct: frozenset[NormalizedName] | None,
        chains: Mapping[NormalizedName, tuple[NormalizedName, ...]],
    ) -> Dependency:
        is_direct = direct is None or package.name in direct
        return self.resolved(
            package.name,
            package.entry,
            package.version,
            self._provenance(package),
            direct=is_direct,
            extras=package.extras,
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
        fields = self.project_fields
        project = fields.table(document, "project", "pyproject.toml")
        pdm = fields.table(fields.table(document, "tool", "pyproject.toml"), "pdm", "[tool]")
        optional = fields.table(project, "optional-dependencies", "[project]")
        legacy_dev = fields.table(pdm, "dev-dependencies", "[tool.pdm]")
        pep735 = fields.table(document, "dependency-groups", "pyproject.toml")
        requirements: dict[NormalizedName, list[Requirement]] = {_DEFAULT_GROUP: []}
        lists = [(requirements[_DEFAULT_GROUP], project, "dependencies", "[project]")]
        for table, where in (
            (optional, "[project.optional-dependencies]"),
            (legacy_dev, "[tool.pdm.dev-dependencies]"),
        ):
            lists.extend(
                (requirements.setdefault(canonicalize_name(group), []), table, group, where)
                for group in table
            )
        for found, table, key, where in lists:
            found.extend(
                fields.requirement(text, f"{where} {key}")
                for text in fields.array(table, key, where)
                # An editable (`-e path`) is the user's own code, not a locked package.
                if not (isinstance(text, str) and text.startswith("-e"))
            )
        for group in pep735:
            requirements.setdefault(canonicalize_name(group), []).extend(
                expand_group(pep735, group, path=self.pyproject)
            )
        return _Project(
            optional_groups=frozenset(canonicalize_name(group) for group in optional),
            dev_groups=frozenset(canonicalize_name(group) for group in (*legacy_dev, *pep735)),
            requirements={group: tuple(found) for group, found in requirements.items()},
        )

    # Reading the lock, checking each value's type: a lock is input like any other.

    def _packages(self, document: Mapping[str, Any]) -> list[_Package]:
        """Return the packages, the tables of one name and version merged, in the lock's order."""
        merged: dict[tuple[NormalizedName, Version], list[Mapping[str, Any]]] = {}
        for where, table in self.fields.tables(document, "package"):
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
            extras |= {canonicalize_name(str(e)) for e in self.fields.array(table, "extras", where)}
            groups |= {canonicalize_name(str(g)) for g in self.fields.array(table, "groups", where)}
            marker = table.get("marker")
            markers.append(None if marker is None else str(marker))
            dependencies.extend(
                self.fields.requirement(text, where)
                for text in self.fields.array(table, "dependencies", where)
            )
        # The entries of one distribution share their marker; should they differ, either
        # holding installs it.
        unique = list(dict.fromkeys(markers))
        marker = (
            None
            if None in unique
            else combine_markers(
                [parse_marker(str(m), error=self.fields.error, where=where) for m in unique], "or"
            )
        )
        return _Package(
            name=name,
            version=version,
            extras=frozenset(extras),
            groups=frozenset(groups),
            marker=marker,
            dependencies=tuple(dependencies),
            table=tables[0],
        )
