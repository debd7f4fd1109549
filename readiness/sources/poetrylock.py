"""Poetry's lock file (``poetry.lock``), walked from the project the way ``poetry install`` does.

Lock versions 1.1 (poetry 1.1), 2.0 (poetry 1.3 to 1.8) and 2.1 (poetry 2) hold one
``[[package]]`` table per locked distribution, each with ``[package.dependencies]`` edges in
poetry's constraint syntax (``^1.2``, ``{version = "*", python = "<3.11", markers = ...}``)
and ``[package.extras]``. None of them records which packages the project itself asks for,
so the walk starts from the ``pyproject.toml`` beside the lock, as poetry's installer does
(poetry ``installation/installer.py`` solves the project's dependencies against the locked
repository). Lock 2.1 adds each package's ``groups`` and ``markers``, honoured as well.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.dependency_groups import resolve_dependency_groups
from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.sources._chains import shortest_chains
from readiness.sources._fields import LockFields, marker_holds
from readiness.sources._locks import one_per_name
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

SUPPORTED_LOCK_VERSIONS = ("1.1", "2.0", "2.1")
"""The ``[metadata] lock-version`` values this module reads."""

_MAIN_GROUP = canonicalize_name("main")
_DEV_GROUP = canonicalize_name("dev")

# Poetry's constraint syntax (python-poetry.org/docs/dependency-specification/): a union of
# `||`-separated alternatives, each a `,`- or space-separated list of terms.
_OPERATOR_SPACE = re.compile(r"(===|==|!=|<=|>=|~=|<|>|\^|~)\s+")
_BARE_VERSION = re.compile(r"^v?[0-9][0-9a-zA-Z.+!*-]*$")
# An entry of `[package.extras]`: `colorama (>=0.4.6)`, `pysocks (>=1.5) ; extra == "socks"`.
_EXTRA_ENTRY = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[(?P<extras>[^\]]*)\])?\s*"
    r"(?:\((?P<constraint>[^)]*)\))?\s*(?:;(?P<marker>.*))?$"
)


@dataclass(frozen=True)
class _Constraint:
    """A poetry version constraint: a union of specifier sets."""

    text: str
    """The constraint as written."""

    alternatives: tuple[SpecifierSet, ...]
    """The sets, any of which a version must satisfy."""

    def allows(self, version: Version) -> bool:
        """Tell whether ``version`` satisfies the constraint (pre-releases too: it is locked)."""
        return any(spec.contains(version, prereleases=True) for spec in self.alternatives)


@dataclass(frozen=True)
class _Requirement:
    """A dependency on a name: a project's, or a lock entry's edge."""

    name: NormalizedName
    """The name depended on."""

    constraint: _Constraint
    """The versions it accepts."""

    marker: Marker | None
    """Where it applies (``markers = ...`` or a PEP 508 marker); None for everywhere."""

    python: _Constraint | None
    """The Python versions it applies to (poetry's ``python = "<3.11"``)."""

    extras: frozenset[NormalizedName]
    """Extras of the depended-on package it turns on."""

    optional: bool
    """True when only an extra pulls it in."""


@dataclass(frozen=True)
class _Entry:
    """One ``[[package]]`` table of the lock."""

    name: NormalizedName
    """The distribution's name."""

    version: Version
    """The locked version."""

    dependencies: tuple[_Requirement, ...]
    """Its ``[package.dependencies]``, optional ones included."""

    extras: Mapping[NormalizedName, tuple[str, ...]]
    """Its ``[package.extras]``: each extra with the requirements it adds, as written."""

    source: Mapping[str, Any]
    """Its ``[package.source]`` (empty for the default index)."""

    groups: frozenset[NormalizedName]
    """The groups it belongs to (lock 2.1; empty before)."""

    markers: Mapping[NormalizedName | None, Marker]
    """Where it is installed (lock 2.1): by group, or under None for every group."""

    @property
    def entry(self) -> str:
        """How the lock names it: ``package "anyio" 4.6.0``."""
        return f'package "{self.name}" {self.version}'


@dataclass
class _Reached:
    """What the walk learned about an entry it reached."""

    direct: bool = False
    """Whether the project depends on it itself."""

    extras: set[NormalizedName] = field(default_factory=set)
    """Extras asked for on the edges that reached it."""


@dataclass(frozen=True)
class _Project:
    """What the walk starts from, read from the pyproject.toml beside the lock."""

    main: tuple[_Requirement, ...]
    """The project's dependencies (``[tool.poetry.dependencies]``, ``[project] dependencies``),
    optional ones included."""

    extras: Mapping[NormalizedName, tuple[_Requirement, ...]]
    """Each extra, with the requirements it adds."""

    groups: Mapping[NormalizedName, tuple[_Requirement, ...]]
    """Each dependency group other than main, with its requirements."""

    optional_groups: frozenset[NormalizedName]
    """The groups ``poetry install`` leaves out unless asked (``optional = true``)."""


class PoetryLockSource(DependencySource):
    """A ``poetry.lock``: what ``poetry install`` installs for the interpreter."""

    kind = "poetry.lock"
    complete = True

    def __init__(self, path: Path, selection: Selection) -> None:
        self.path = path
        self.fields = LockFields(path, "poetry.lock")
        self.selection = selection
        self.pyproject = path.parent / "pyproject.toml"

    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield what the project needs on ``target``, then the lock entries it does not need.

        Raises :class:`SourceError` for a lock that is malformed, of an unknown version, for
        another Python, without its pyproject.toml, out of date with it, that selects nothing,
        or that names an undeclared extra or group.
        """
        document = read_toml(self.path)
        self._check_version(document)
        self._check_python(document, target)
        entries = [
            self._entry(table, position)
            for position, table in enumerate(self._list(document, "package", "the lock"))
        ]
        project = self._project()
        walk = _Walk(self, entries, target)
        extras, groups = self._chosen_parts(project)
        for requirement in project.main:
            if not requirement.optional:
                walk.follow(None, requirement, "")
        for extra in sorted(extras):
            for requirement in project.extras.get(extra, ()):
                walk.follow(None, requirement, extra)
        for group in sorted(groups):
            for requirement in project.groups.get(group, ()):
                walk.follow(None, requirement, "")
        walk.run()
        yield from self._results(walk, extras, groups | {_MAIN_GROUP})

    def _check_version(self, document: Mapping[str, Any]) -> None:
        metadata = document.get("metadata", {})
        version = metadata.get("lock-version") if isinstance(metadata, dict) else None
        if version not in SUPPORTED_LOCK_VERSIONS:
            raise SourceError(
                f"poetry.lock version {version!r} is not supported: readiness reads versions "
                f"{', '.join(SUPPORTED_LOCK_VERSIONS)}",
                path=self.path,
                hint="update readiness, or lock with a poetry that writes one of those",
            )

    def _check_python(self, document: Mapping[str, Any], target: Target) -> None:
        """Refuse a lock for other Pythons: ``poetry install`` refuses the interpreter too."""
        requires = document["metadata"].get("python-versions")
        running = target.marker_environment.get("python_full_version")
        if requires is None or running is None:
            return
        allowed = self._constraint(requires, "[metadata] python-versions", python=True)
        if not allowed.allows(Version(running)):
            raise SourceError(
                f"the lock is for Python {allowed.text}, and the interpreter is Python {running}",
                path=self.path,
                hint="probe with an interpreter the project supports",
            )

    def _chosen_parts(
        self, project: _Project
    ) -> tuple[frozenset[NormalizedName], frozenset[NormalizedName]]:
        """Return the extras and the groups (besides main) to install, as poetry chooses them.

        ``poetry install`` installs every group not marked optional; ``--with`` adds optional
        ones, ``--all-groups`` all of them. ``no_dev`` is poetry's ``--without dev``, which
        wins over ``--with`` as it does in poetry (python-poetry.org/docs/managing-dependencies/
        #installing-group-dependencies); other groups (``test``, ``lint``) stay.
        """
        selection = self.selection
        asked_extras = {canonicalize_name(extra) for extra in selection.extras}
        asked_groups = {canonicalize_name(group) for group in selection.groups}
        declared_groups = frozenset(project.groups) | {_MAIN_GROUP}
        for kind, asked, declared in (
            ("extra", asked_extras, frozenset(project.extras)),
            ("dependency group", asked_groups, declared_groups),
        ):
            unknown = sorted(asked - declared)
            if unknown:
                raise SourceError(
                    f"the project declares no {kind} {', '.join(map(repr, unknown))}",
                    path=self.pyproject,
                    hint=f"the project declares: {', '.join(sorted(declared)) or 'none'}",
                )
        extras = frozenset(project.extras) if selection.all_extras else frozenset(asked_extras)
        if selection.all_groups:
            groups = set(project.groups)
        else:
            groups = set(project.groups) - project.optional_groups
        groups |= asked_groups
        if selection.no_dev:
            groups.discard(_DEV_GROUP)
        groups.discard(_MAIN_GROUP)
        return extras, frozenset(groups)

    def _results(
        self,
        walk: _Walk,
        extras: frozenset[NormalizedName],
        groups: frozenset[NormalizedName],
    ) -> Iterator[Dependency]:
        chains = shortest_chains(walk.roots, walk.edges)
        results: list[Dependency] = []
        for position, entry in enumerate(walk.entries):
            state = walk.reached.get(position)
            origin = Origin(path=self.path, entry=entry.entry)
            false_marker = (
                None if state is None else walk.false_package_marker(entry, extras, groups)
            )
            if state is not None and false_marker is None:
                results.append(self._resolved(entry, state, origin, chains.get(entry.name, ())))
                continue
            if false_marker is not None:
                reason = f"marker `{false_marker}` is false for this interpreter"
            else:
                reason = _reason(walk.false_markers.get(entry.name, []))
            results.append(
                SkippedDependency(
                    name=entry.name, origin=origin, reason=reason, version=entry.version
                )
            )
        yield from one_per_name(
            results,
            self.path,
            hint="check the extras and groups asked for, and the lock's markers",
        )

    def _resolved(
        self,
        entry: _Entry,
        state: _Reached,
        origin: Origin,
        chain: tuple[NormalizedName, ...],
    ) -> ResolvedDependency:
        provenance, url, editable = self._provenance(entry)
        return ResolvedDependency(
            name=entry.name,
            origin=origin,
            version=entry.version,
            direct=state.direct,
            extras=frozenset(state.extras),
            provenance=provenance,
            url=url,
            editable=editable,
            chain=() if state.direct else chain,
        )

    def _provenance(self, entry: _Entry) -> tuple[Provenance, str | None, bool]:
        """Tell where ``entry`` comes from, from its ``[package.source]``.

        Poetry writes ``type`` ``legacy`` (a simple index), ``git``, ``directory``, ``file``
        or ``url`` (poetry-core ``packages/package.py``, ``source_type``).
        """
        source = entry.source
        kind = source.get("type")
        if kind in (None, "legacy", "pypi"):
            return Provenance.INDEX, None, False
        url = source.get("url")
        if not isinstance(url, str):
            raise SourceError(
                f"malformed poetry.lock: {entry.entry}: [package.source] has no url",
                path=self.path,
            )
        if kind == "git":
            url = self.fields.url(url, f"{entry.entry} [package.source] url")
            revision = source.get("resolved_reference") or source.get("reference")
            vcs = f"git+{url}" + (f"@{revision}" if revision else "")
            subdirectory = source.get("subdirectory")
            if subdirectory:
                vcs += f"#subdirectory={subdirectory}"
            return Provenance.VCS, vcs, False
        if kind in ("directory", "file"):
            # Relative paths are relative to the project, which is the lock's folder.
            local = self.fields.local_path(url, f"{entry.entry} [package.source] url")
            return (
                Provenance.PATH,
                local.as_uri(),
                kind == "directory" and bool(source.get("develop")),
            )
        if kind == "url":
            return Provenance.URL, url, False
        raise SourceError(
            f"{entry.entry} comes from a {kind} source: not supported yet",
            path=self.path,
        )

    # The project: the roots of the walk.

    def _project(self) -> _Project:
        if not self.pyproject.is_file():
            raise SourceError(
                "poetry.lock needs the pyproject.toml beside it, which says what the project "
                "depends on; there is none",
                path=self.path,
                hint="scan the project's folder, or the lock where poetry wrote it",
            )
        document = read_toml(self.pyproject)
        tool = document.get("tool", {})
        poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
        project = document.get("project", {})
        if not isinstance(poetry, dict) or not isinstance(project, dict):
            raise SourceError("[tool.poetry] and [project] must be tables", path=self.pyproject)
        main: list[_Requirement] = []
        # Poetry 2 reads PEP 621 `[project] dependencies` and `[tool.poetry.dependencies]`
        # both; where a name is in both, the former says what it is, the latter only enriches
        # it (python-poetry.org/docs/pyproject/#dependencies-and-dependency-groups).
        for text in self._pyproject_list(project, "dependencies", "[project]"):
            main.append(self._pep508(text, "[project] dependencies"))
        listed = {requirement.name for requirement in main}
        poetry_main = self._table(poetry, "dependencies", "[tool.poetry]", self.pyproject)
        main.extend(
            requirement
            for requirement in self._requirements(
                {k: v for k, v in poetry_main.items() if k != "python"},
                "[tool.poetry.dependencies]",
                self.pyproject,
            )
            if requirement.name not in listed
        )
        extras: dict[NormalizedName, list[_Requirement]] = {}
        by_name = {requirement.name: requirement for requirement in main}
        for extra, names in self._table(poetry, "extras", "[tool.poetry]", self.pyproject).items():
            if not isinstance(names, list):
                raise SourceError(
                    f"[tool.poetry.extras] {extra} is not a list", path=self.pyproject
                )
            chosen = extras.setdefault(canonicalize_name(extra), [])
            for name in names:
                requirement = by_name.get(canonicalize_name(str(name)))
                if requirement is not None:
                    chosen.append(requirement)
        optional = self._table(project, "optional-dependencies", "[project]", self.pyproject)
        for extra in optional:
            where = f"[project.optional-dependencies] {extra}"
            chosen = extras.setdefault(canonicalize_name(extra), [])
            chosen.extend(
                self._pep508(text, where) for text in self._pyproject_list(optional, extra, where)
            )
        groups, optional_groups = self._groups(document, poetry)
        return _Project(
            main=tuple(main),
            extras={name: tuple(requirements) for name, requirements in extras.items()},
            groups=groups,
            optional_groups=optional_groups,
        )

    def _groups(
        self, document: Mapping[str, Any], poetry: Mapping[str, Any]
    ) -> tuple[dict[NormalizedName, tuple[_Requirement, ...]], frozenset[NormalizedName]]:
        """Read the groups: poetry's own, the legacy dev-dependencies, and PEP 735's."""
        groups: dict[NormalizedName, list[_Requirement]] = {}
        optional: set[NormalizedName] = set()
        legacy = self._table(poetry, "dev-dependencies", "[tool.poetry]", self.pyproject)
        # Poetry 1.2+ reads the old table as the group "dev" (poetry 1.2 changelog).
        groups.setdefault(_DEV_GROUP, []).extend(
            self._requirements(legacy, "[tool.poetry.dev-dependencies]", self.pyproject)
        )
        for name, table in self._table(poetry, "group", "[tool.poetry]", self.pyproject).items():
            where = f"[tool.poetry.group.{name}]"
            if not isinstance(table, dict):
                raise SourceError(f"{where} is not a table", path=self.pyproject)
            group = canonicalize_name(name)
            if table.get("optional") is True:
                optional.add(group)
            groups.setdefault(group, []).extend(
                self._requirements(
                    self._table(table, "dependencies", where, self.pyproject),
                    f"{where}.dependencies",
                    self.pyproject,
                )
            )
        # Poetry 2.2 reads PEP 735 `[dependency-groups]` too (poetry 2.2.0 changelog).
        pep735 = self._table(document, "dependency-groups", "the document", self.pyproject)
        for name in pep735:
            groups.setdefault(canonicalize_name(name), []).extend(
                self._pep508(text, f"[dependency-groups] {name}")
                for text in _expand_group(pep735, name, self.pyproject)
            )
        if not groups[_DEV_GROUP] and "dev-dependencies" not in poetry:
            del groups[_DEV_GROUP]
        return {name: tuple(requirements) for name, requirements in groups.items()}, frozenset(
            optional
        )

    # Reading requirements in poetry's syntax and in PEP 508's.

    def _requirements(self, table: Mapping[str, Any], where: str, path: Path) -> list[_Requirement]:
        requirements = []
        for name, value in table.items():
            for alternative in value if isinstance(value, list) else [value]:
                requirements.append(self._requirement(name, alternative, f"{where} {name}", path))
        return requirements

    def _requirement(self, name: str, value: object, where: str, path: Path) -> _Requirement:
        if isinstance(value, str):
            value = {"version": value}
        if not isinstance(value, dict):
            raise SourceError(f"{where} is neither a constraint nor a table", path=path)
        # A git, path or url dependency has no version constraint: any locked version fits.
        version = value.get("version", "*")
        marker = None
        if "markers" in value:
            try:
                marker = Marker(str(value["markers"]))
            except InvalidMarker as e:
                raise SourceError(f"{where}: {e}", path=path) from e
        python = value.get("python")
        return _Requirement(
            name=canonicalize_name(name),
            constraint=self._constraint(version, where, path=path),
            marker=marker,
            python=None
            if python is None
            else self._constraint(python, where, python=True, path=path),
            extras=frozenset(
                canonicalize_name(extra)
                for extra in LockFields(path, path.name).strings(value, "extras", where)
            ),
            optional=value.get("optional") is True,
        )

    def _pep508(self, text: object, where: str) -> _Requirement:
        try:
            requirement = Requirement(str(text))
        except InvalidRequirement as e:
            raise SourceError(f"{where}: {e}", path=self.pyproject) from e
        return _Requirement(
            name=canonicalize_name(requirement.name),
            constraint=_Constraint(str(requirement.specifier), (requirement.specifier,)),
            marker=requirement.marker,
            python=None,
            extras=frozenset(canonicalize_name(extra) for extra in requirement.extras),
            optional=False,
        )

    def _extra_requirement(self, entry: _Entry, text: str) -> _Requirement:
        """Read an entry of ``[package.extras]`` that names no ``[package.dependencies]`` edge."""
        found = _EXTRA_ENTRY.match(text)
        if found is None:
            raise SourceError(
                f"malformed poetry.lock: {entry.entry}: extra requirement {text!r}", path=self.path
            )
        marker = None
        if found["marker"]:
            try:
                marker = Marker(found["marker"].strip())
            except InvalidMarker as e:
                raise SourceError(
                    f"malformed poetry.lock: {entry.entry}: {e}", path=self.path
                ) from e
        extras = found["extras"] or ""
        return _Requirement(
            name=canonicalize_name(found["name"]),
            constraint=self._constraint(found["constraint"] or "*", entry.entry),
            marker=marker,
            python=None,
            extras=frozenset(canonicalize_name(e) for e in extras.split(",") if e.strip()),
            optional=True,
        )

    def _constraint(
        self, text: object, where: str, *, python: bool = False, path: Path | None = None
    ) -> _Constraint:
        if not isinstance(text, str):
            raise SourceError(
                f"{where}: constraint {text!r} is not a string", path=path or self.path
            )
        try:
            return _Constraint(text, _parse_constraint(text, python=python))
        except (InvalidSpecifier, ValueError) as e:
            raise SourceError(
                f"{where}: cannot read the version constraint {text!r}: {e}", path=path or self.path
            ) from e

    # Reading the lock, checking each value's type: a lock is input like any other.

    def _entry(self, table: object, position: int) -> _Entry:
        where = f"package[{position}]"
        if not isinstance(table, dict):
            raise SourceError(f"malformed poetry.lock: {where} is not a table", path=self.path)
        name = self.fields.name(table.get("name"), f"{where}.name")
        version = self.fields.string(table.get("version"), f"{where}.version")
        where = f'package "{name}" {version}'
        parsed = self.fields.version(version, where)
        extras = self._table(table, "extras", where, self.path)
        source = self._table(table, "source", where, self.path)
        return _Entry(
            name=name,
            version=parsed,
            dependencies=tuple(
                self._requirements(
                    self._table(table, "dependencies", where, self.path), where, self.path
                )
            ),
            extras={
                canonicalize_name(extra): tuple(
                    str(item) for item in self._list(extras, extra, where)
                )
                for extra in extras
            },
            source=source,
            groups=frozenset(
                canonicalize_name(str(group)) for group in self._list(table, "groups", where)
            ),
            markers=self._package_markers(table.get("markers"), where),
        )

    def _package_markers(self, value: object, where: str) -> dict[NormalizedName | None, Marker]:
        """Read lock 2.1's ``markers``: one string for every group, or a table by group.

        A group missing from the table has no marker: the package is needed there everywhere.
        """
        if value is None:
            return {}
        texts: dict[NormalizedName | None, object] = (
            {canonicalize_name(group): text for group, text in value.items()}
            if isinstance(value, dict)
            else {None: value}
        )
        markers: dict[NormalizedName | None, Marker] = {}
        for group, text in texts.items():
            try:
                markers[group] = Marker(str(text))
            except InvalidMarker as e:
                raise SourceError(f"malformed poetry.lock: {where}: {e}", path=self.path) from e
        return markers

    def _table(self, table: Mapping[str, Any], key: str, where: str, path: Path) -> dict[str, Any]:
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise SourceError(f"{where}: `{key}` is not a table", path=path)
        return value

    def _list(self, table: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = table.get(key, [])
        if not isinstance(value, list):
            raise SourceError(
                f"malformed poetry.lock: {where}: `{key}` is not a list", path=self.path
            )
        return value

    def _pyproject_list(self, table: Mapping[str, Any], key: str, where: str) -> list[Any]:
        value = table.get(key, [])
        if not isinstance(value, list):
            raise SourceError(f"{where}: `{key}` is not a list", path=self.pyproject)
        return value


class _Walk:
    """The walk from the project's requirements along the lock's edges whose markers hold."""

    def __init__(self, source: PoetryLockSource, entries: Sequence[_Entry], target: Target) -> None:
        self.source = source
        self.entries = entries
        self.environment = dict(target.marker_environment)
        self.python = Version(self.environment.get("python_full_version", "0"))
        self.reached: dict[int, _Reached] = {}
        """The entries reached, by position."""
        self.false_markers: dict[NormalizedName, list[str]] = {}
        """For names an edge did not follow because its marker is false: those markers."""
        self.roots: set[NormalizedName] = set()
        """The names the project depends on itself."""
        self.edges: dict[NormalizedName, set[NormalizedName]] = {}
        """The edges followed, from a name to the names it pulled in."""
        self._queue: deque[tuple[int, NormalizedName | None]] = deque()
        self._seen: set[tuple[int, NormalizedName | None]] = set()

    def follow(self, parent: _Entry | None, requirement: _Requirement, extra: str) -> None:
        """Follow one requirement of the project (``parent`` None) or of a lock entry."""
        if not self._holds(requirement, extra, parent):
            return
        position = self._resolve(requirement, parent)
        entry = self.entries[position]
        state = self.reached.setdefault(position, _Reached())
        if parent is None:
            state.direct = True
            self.roots.add(entry.name)
        else:
            self.edges.setdefault(parent.name, set()).add(entry.name)
        state.extras |= requirement.extras
        for part in (None, *sorted(requirement.extras)):
            if (position, part) not in self._seen:
                self._seen.add((position, part))
                self._queue.append((position, part))

    def run(self) -> None:
        """Follow every edge from what :meth:`follow` reached, until nothing new is reached."""
        while self._queue:
            position, extra = self._queue.popleft()
            entry = self.entries[position]
            if extra is None:
                for requirement in entry.dependencies:
                    if not requirement.optional:
                        self.follow(entry, requirement, "")
                continue
            for text in entry.extras.get(extra, ()):
                found = _EXTRA_ENTRY.match(text)
                name = canonicalize_name(found["name"]) if found else None
                # The edge in [package.dependencies] carries the constraint and markers; lock
                # 1.1 may list an extra's requirement only in [package.extras].
                edges = [r for r in entry.dependencies if r.name == name]
                for requirement in edges or [self.source._extra_requirement(entry, text)]:
                    self.follow(entry, requirement, extra)

    def false_package_marker(
        self,
        entry: _Entry,
        extras: frozenset[NormalizedName],
        groups: frozenset[NormalizedName],
    ) -> Marker | None:
        """Return lock 2.1's marker of ``entry`` when it is false for every selected group."""
        if not entry.markers:
            return None
        chosen = (entry.groups & groups) or entry.groups or {_MAIN_GROUP}
        markers = []
        for group in sorted(chosen):
            marker = entry.markers.get(group, entry.markers.get(None))
            if marker is None:
                return None
            markers.append(marker)
        for marker in markers:
            if any(self._evaluate(marker, extra, entry) for extra in ("", *sorted(extras))):
                return None
        return markers[0]

    def _holds(self, requirement: _Requirement, extra: str, parent: _Entry | None) -> bool:
        reasons = []
        if requirement.python is not None and not requirement.python.allows(self.python):
            reasons.append(f'python = "{requirement.python.text}"')
        if requirement.marker is not None and not self._evaluate(requirement.marker, extra, parent):
            reasons.append(str(requirement.marker))
        for reason in reasons:
            self.false_markers.setdefault(requirement.name, []).append(reason)
        return not reasons

    def _evaluate(self, marker: Marker, extra: str, where: _Entry | None) -> bool:
        return marker_holds(
            marker,
            {**self.environment, "extra": extra},
            path=self.source.path,
            entry=where.entry if where else "the project",
        )

    def _resolve(self, requirement: _Requirement, parent: _Entry | None) -> int:
        """Return the position of the one entry ``requirement`` means.

        A name locked at several versions (a fork) is told apart by the requirement's
        constraint, then by lock 2.1's package markers.
        """
        candidates = [
            position
            for position, entry in enumerate(self.entries)
            if entry.name == requirement.name and requirement.constraint.allows(entry.version)
        ]
        if len(candidates) > 1:
            candidates = [
                position
                for position in candidates
                if self.false_package_marker(
                    self.entries[position], frozenset(), self.entries[position].groups
                )
                is None
            ] or candidates
        who = parent.entry if parent is not None else "the project"
        if not candidates:
            raise SourceError(
                f"{who} depends on `{requirement.name}` {requirement.constraint.text}, which no "
                "locked package satisfies: the lock is out of date with pyproject.toml",
                path=self.source.path,
                hint="run `poetry lock` again",
            )
        if len(candidates) > 1:
            raise SourceError(
                f"malformed poetry.lock: {who} depends on `{requirement.name}`, which matches "
                f"{len(candidates)} package entries instead of one",
                path=self.source.path,
            )
        return candidates[0]


def _parse_constraint(text: str, *, python: bool) -> tuple[SpecifierSet, ...]:
    """Translate a poetry constraint into PEP 440 specifier sets, one per ``||`` alternative.

    ``^1.2.3`` is ``>=1.2.3,<2.0.0`` and ``~1.2.3`` is ``>=1.2.3,<1.3.0`` (poetry-core
    ``constraints/version/parser.py``); ``1.2`` alone is ``==1.2``, except for Python, where
    poetry reads ``python = "3.8"`` as the whole 3.8 series (``python_version == "3.8"``).
    """
    alternatives = []
    for alternative in re.split(r"\|\|?", text):
        terms = _OPERATOR_SPACE.sub(r"\1", alternative.strip())
        specifiers = []
        for term in filter(None, re.split(r"[,\s]+", terms)):
            specifiers.extend(_term(term, python=python))
        alternatives.append(SpecifierSet(",".join(specifiers)))
    return tuple(alternatives)


def _term(term: str, *, python: bool) -> list[str]:
    if term == "*":
        return []
    if term[0] in "^~" and not term.startswith("~="):
        lower = term[1:]
        release = [int(part) for part in lower.split(".") if part.isdigit()]
        if not release:
            raise ValueError(f"no version in {term!r}")
        if term[0] == "^":
            # The first non-zero part is the one that may not change.
            first = next((i for i, part in enumerate(release) if part), len(release) - 1)
            upper = [*release[:first], release[first] + 1]
        else:
            upper = [release[0], release[1] + 1] if len(release) > 1 else [release[0] + 1]
        return [f">={lower}", f"<{'.'.join(map(str, upper))}"]
    if _BARE_VERSION.match(term):
        if python and "*" not in term and term.count(".") == 1:
            return [f"=={term}.*"]
        return [f"=={term}"]
    return [term]


def _expand_group(groups: Mapping[str, Any], name: str, path: Path) -> list[str]:
    """Return a PEP 735 group's requirements, its ``{include-group = ...}`` expanded.

    ``packaging.dependency_groups`` does the expansion and finds cycles and malformed
    entries; each of its errors becomes one naming the file.
    """
    try:
        return list(resolve_dependency_groups(groups, name))
    except ExceptionGroup as e:
        # packaging gathers what is wrong with a group: a cycle, a value of the wrong type.
        reasons = "; ".join(str(error) for error in e.exceptions)
        raise SourceError(f"[dependency-groups] {name}: {reasons}", path=path) from e
    except (ValueError, TypeError, LookupError) as e:
        raise SourceError(f"[dependency-groups] {name}: {e}", path=path) from e


def _reason(markers: Sequence[str]) -> str:
    unique = list(dict.fromkeys(markers))
    if len(unique) == 1:
        return f"marker `{unique[0]}` is false for this interpreter"
    if unique:
        return f"markers {', '.join(f'`{m}`' for m in unique)} are false for this interpreter"
    return "not needed on this interpreter with the selected extras and groups"
