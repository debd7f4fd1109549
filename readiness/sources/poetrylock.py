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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.model import Target
from readiness.sources._fields import LockFields, marker_holds, parse_marker
from readiness.sources._groups import expand_group
from readiness.sources._locks import LockSource, check_declared, false_markers_reason
from readiness.sources._tomlfile import read_toml
from readiness.sources._walk import LockWalk, Reached
from readiness.sources.interface import Dependency, Provenance, SourceError

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


class PoetryLockSource(LockSource):
    """A ``poetry.lock``: what ``poetry install`` installs for the interpreter."""

    kind = label = "poetry.lock"
    nothing_selected_hint = "check the extras and groups asked for, and the lock's markers"

    def select(self, target: Target) -> list[Dependency]:
        """Return what the project needs on ``target``, then the lock entries it does not need.

        Raises :class:`SourceError` for a lock that is malformed, of an unknown version, for
        another Python, without its pyproject.toml, out of date with it, or that names an
        undeclared extra or group.
        """
        document = self.read()
        self._check_version(document)
        self._check_python(document, target)
        entries = [
            self._entry(table, where) for where, table in self.fields.tables(document, "package")
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
        return self._results(walk, extras, groups | {_MAIN_GROUP})

    def _check_version(self, document: Mapping[str, Any]) -> None:
        metadata = document.get("metadata", {})
        version = metadata.get("lock-version") if isinstance(metadata, dict) else None
        if version not in SUPPORTED_LOCK_VERSIONS:
            raise self.unsupported(
                version,
                f"versions {', '.join(SUPPORTED_LOCK_VERSIONS)}",
                hint="update readiness, or lock with a poetry that writes one of those",
            )

    def _check_python(self, document: Mapping[str, Any], target: Target) -> None:
        """Refuse a lock for other Pythons: ``poetry install`` refuses the interpreter too."""
        requires = document["metadata"].get("python-versions")
        if requires is None:
            return
        allowed = self._constraint(requires, "[metadata] python-versions", python=True)
        self.check_python(target, allowed.allows, allowed.text)

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
            check_declared(asked, declared, kind, path=self.pyproject)
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
    ) -> list[Dependency]:
        chains = walk.chains()
        results: list[Dependency] = []
        for position, entry in enumerate(walk.entries):
            state = walk.reached.get(position)
            false_marker = (
                None if state is None else walk.false_package_marker(entry, extras, groups)
            )
            if state is not None and false_marker is None:
                results.append(self._resolved(entry, state, chains.get(entry.name, ())))
                continue
            if false_marker is not None:
                reason = false_markers_reason([str(false_marker)])
            else:
                reason = walk.why_not(entry.name)
            results.append(self.skipped(entry.name, entry.entry, reason, entry.version))
        return results

    def _resolved(
        self,
        entry: _Entry,
        state: Reached,
        chain: tuple[NormalizedName, ...],
    ) -> Dependency:
        provenance, url, editable = self._provenance(entry)
        return self.resolved(
            entry.name,
            entry.entry,
            entry.version,
            (provenance, url),
            direct=state.direct,
            extras=state.extras,
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
        fields = self.project_fields
        poetry = fields.table(fields.table(document, "tool", "pyproject.toml"), "poetry", "[tool]")
        project = fields.table(document, "project", "pyproject.toml")
        main: list[_Requirement] = []
        # Poetry 2 reads PEP 621 `[project] dependencies` and `[tool.poetry.dependencies]`
        # both; where a name is in both, the former says what it is, the latter only enriches
        # it (python-poetry.org/docs/pyproject/#dependencies-and-dependency-groups).
        for text in fields.array(project, "dependencies", "[project]"):
            main.append(self._pep508(text, "[project] dependencies"))
        listed = {requirement.name for requirement in main}
        poetry_main = fields.table(poetry, "dependencies", "[tool.poetry]")
        main.extend(
            requirement
            for requirement in self._requirements(
                {k: v for k, v in poetry_main.items() if k != "python"},
                "[tool.poetry.dependencies]",
                fields,
            )
            if requirement.name not in listed
        )
        extras: dict[NormalizedName, list[_Requirement]] = {}
        by_name = {requirement.name: requirement for requirement in main}
        poetry_extras = fields.table(poetry, "extras", "[tool.poetry]")
        for extra in poetry_extras:
            chosen = extras.setdefault(canonicalize_name(extra), [])
            for name in fields.array(poetry_extras, extra, "[tool.poetry.extras]"):
                requirement = by_name.get(canonicalize_name(str(name)))
                if requirement is not None:
                    chosen.append(requirement)
        optional = fields.table(project, "optional-dependencies", "[project]")
        for extra in optional:
            where = f"[project.optional-dependencies] {extra}"
            chosen = extras.setdefault(canonicalize_name(extra), [])
            chosen.extend(
                self._pep508(text, where) for text in fields.array(optional, extra, where)
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
        fields = self.project_fields
        legacy = fields.table(poetry, "dev-dependencies", "[tool.poetry]")
        # Poetry 1.2+ reads the old table as the group "dev" (poetry 1.2 changelog).
        groups.setdefault(_DEV_GROUP, []).extend(
            self._requirements(legacy, "[tool.poetry.dev-dependencies]", fields)
        )
        poetry_groups = fields.table(poetry, "group", "[tool.poetry]")
        for name in poetry_groups:
            table = fields.table(poetry_groups, name, "[tool.poetry.group]")
            where = f"[tool.poetry.group.{name}]"
            group = canonicalize_name(name)
            if table.get("optional") is True:
                optional.add(group)
            groups.setdefault(group, []).extend(
                self._requirements(
                    fields.table(table, "dependencies", where), f"{where}.dependencies", fields
                )
            )
        # Poetry 2.2 reads PEP 735 `[dependency-groups]` too (poetry 2.2.0 changelog).
        pep735 = fields.table(document, "dependency-groups", "pyproject.toml")
        for name in pep735:
            groups.setdefault(canonicalize_name(name), []).extend(
                _from_pep508(requirement)
                for requirement in expand_group(pep735, name, path=self.pyproject)
            )
        if not groups[_DEV_GROUP] and "dev-dependencies" not in poetry:
            del groups[_DEV_GROUP]
        return {name: tuple(requirements) for name, requirements in groups.items()}, frozenset(
            optional
        )

    # Reading requirements in poetry's syntax and in PEP 508's.

    def _requirements(
        self, table: Mapping[str, Any], where: str, fields: LockFields
    ) -> list[_Requirement]:
        """Read a table of requirements in poetry's syntax, of the lock or of the project."""
        requirements = []
        for name, value in table.items():
            for alternative in value if isinstance(value, list) else [value]:
                requirements.append(self._requirement(name, alternative, f"{where} {name}", fields))
        return requirements

    def _requirement(
        self, name: str, value: object, where: str, fields: LockFields
    ) -> _Requirement:
        if isinstance(value, str):
            value = {"version": value}
        if not isinstance(value, dict):
            raise SourceError(f"{where} is neither a constraint nor a table", path=fields.path)
        # A git, path or url dependency has no version constraint: any locked version fits.
        version = value.get("version", "*")
        marker = None
        if "markers" in value:
            marker = parse_marker(str(value["markers"]), error=fields.error, where=where)
        python = value.get("python")
        return _Requirement(
            name=canonicalize_name(name),
            constraint=self._constraint(version, where, path=fields.path),
            marker=marker,
            python=None
            if python is None
            else self._constraint(python, where, python=True, path=fields.path),
            extras=frozenset(
                canonicalize_name(extra) for extra in fields.strings(value, "extras", where)
            ),
            optional=value.get("optional") is True,
        )

    def _pep508(self, text: object, where: str) -> _Requirement:
        return _from_pep508(self.project_fields.requirement(text, where))

    def _extra_requirement(self, entry: _Entry, text: str) -> _Requirement:
        """Read an entry of ``[package.extras]`` that names no ``[package.dependencies]`` edge."""
        found = _EXTRA_ENTRY.match(text)
        if found is None:
            raise SourceError(
                f"malformed poetry.lock: {entry.entry}: extra requirement {text!r}", path=self.path
            )
        marker = None
        if found["marker"]:
            marker = parse_marker(found["marker"], error=self.fields.error, where=entry.entry)
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

    def _entry(self, table: Mapping[str, Any], where: str) -> _Entry:
        name = self.fields.name(table.get("name"), f"{where}.name")
        version = self.fields.string(table.get("version"), f"{where}.version")
        where = f'package "{name}" {version}'
        parsed = self.fields.version(version, where)
        extras = self.fields.table(table, "extras", where)
        source = self.fields.table(table, "source", where)
        return _Entry(
            name=name,
            version=parsed,
            dependencies=tuple(
                self._requirements(
                    self.fields.table(table, "dependencies", where), where, self.fields
                )
            ),
            extras={
                canonicalize_name(extra): tuple(
                    str(item) for item in self.fields.array(extras, extra, where)
                )
                for extra in extras
            },
            source=source,
            groups=frozenset(
                canonicalize_name(str(group)) for group in self.fields.array(table, "groups", where)
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
            markers[group] = parse_marker(str(text), error=self.fields.error, where=where)
        return markers


class _Walk(LockWalk):
    """The walk from the project's requirements along the lock's edges whose markers hold."""

    def __init__(self, source: PoetryLockSource, entries: Sequence[_Entry], target: Target) -> None:
        super().__init__()
        self.source = source
        self.entries = entries
        self.environment = dict(target.marker_environment)
        self.python = Version(self.environment.get("python_full_version", "0"))

    def follow(self, parent: _Entry | None, requirement: _Requirement, extra: str) -> None:
        """Follow one requirement of the project (``parent`` None) or of a lock entry."""
        if not self._holds(requirement, extra, parent):
            return
        position = self._resolve(requirement, parent)
        parent_name = parent.name if parent is not None else None
        self.reach(position, self.entries[position].name, parent_name, requirement.extras)

    def run(self) -> None:
        """Follow every edge from what :meth:`follow` reached, until nothing new is reached."""
        for position, extra in self.pending():
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
            if any(self._holds_with(marker, extra, entry) for extra in ("", *sorted(extras))):
                return None
        return markers[0]

    def _holds(self, requirement: _Requirement, extra: str, parent: _Entry | None) -> bool:
        reasons = []
        if requirement.python is not None and not requirement.python.allows(self.python):
            reasons.append(f'python = "{requirement.python.text}"')
        if requirement.marker is not None and not self._holds_with(
            requirement.marker, extra, parent
        ):
            reasons.append(str(requirement.marker))
        for reason in reasons:
            self.skip(requirement.name, reason)
        return not reasons

    def _holds_with(self, marker: Marker, extra: str, where: _Entry | None) -> bool:
        entry = where.entry if where else "the project"
        return marker_holds(
            marker, self.environment, path=self.source.path, entry=entry, extra=extra
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


def _from_pep508(requirement: Requirement) -> _Requirement:
    """Return a PEP 508 requirement of the project as the walk follows it."""
    return _Requirement(
        name=canonicalize_name(requirement.name),
        constraint=_Constraint(str(requirement.specifier), (requirement.specifier,)),
        marker=requirement.marker,
        python=None,
        extras=frozenset(canonicalize_name(extra) for extra in requirement.extras),
        optional=False,
    )
