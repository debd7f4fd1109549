"""A project's ``pyproject.toml``, its declared dependencies resolved by the installer.

Read: ``[project] dependencies`` and ``optional-dependencies`` (PEP 621, the extras the
selection asks for), ``[dependency-groups]`` (PEP 735, ``dev`` included by default as uv
does), and Poetry's ``[tool.poetry.dependencies]`` and ``[tool.poetry.group.<g>.dependencies]``
(poetry's constraint syntax turned into PEP 440). Every requirement then goes to a
:class:`~readiness.sources.resolve.Resolver` for the target: the file pins nothing itself.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness import _documents
from readiness.model import IndexOptions, Target
from readiness.sources._fields import LockFields, combine_markers, parse_marker, parse_requirement
from readiness.sources._groups import expand_group
from readiness.sources._tomlfile import LineLocator
from readiness.sources.interface import Dependency, DependencySource, Origin, Selection, SourceError
from readiness.sources.resolve import RequirementLine, Resolver, collect_resolved

_DEV_GROUP = canonicalize_name("dev")

_LOCK_HINT = "lock the project (`uv lock`, `poetry lock`) and scan the lock file instead"


class PyprojectSource(DependencySource):
    """A ``pyproject.toml``: the dependencies it declares, resolved for the interpreter."""

    kind = "pyproject"
    complete = True

    def __init__(self, path: Path, selection: Selection, resolver: Resolver) -> None:
        self.path = path
        self.selection = selection
        self.resolver = resolver

    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield the resolved set for ``target``, each direct one at its pyproject.toml line.

        Raises :class:`SourceError` for malformed TOML, dynamic dependencies, an unknown
        extra or group, an include-group cycle, an invalid requirement, and requirements the
        resolver cannot satisfy.
        """
        lines = self.requirement_lines()
        yield from collect_resolved(lines, target, IndexOptions(), self.resolver)

    def requirement_lines(self) -> list[RequirementLine]:
        """Return every requirement the selection asks for, each with its line."""
        text, document = _documents.read_toml(self.path, error=SourceError)
        reader = _ProjectReader(self.path, text, document, self.selection)
        return reader.lines()


class _ProjectReader:
    """Reads the selected requirements of one pyproject.toml."""

    def __init__(
        self, path: Path, text: str, document: Mapping[str, Any], selection: Selection
    ) -> None:
        self.path = path
        self.document = document
        self.selection = selection
        self.locate = LineLocator(text)
        self.fields = LockFields(path, "pyproject.toml")
        tool = self.fields.table(document, "tool", "pyproject.toml")
        self.poetry: Mapping[str, Any] = self.fields.table(tool, "poetry", "[tool]")
        self.project: Mapping[str, Any] = self.fields.table(document, "project", "pyproject.toml")
        name = self.project.get("name") or self.poetry.get("name")
        self.name = canonicalize_name(name) if isinstance(name, str) else None

    def lines(self) -> list[RequirementLine]:
        """Return the selected requirements, in file order per section."""
        result = self._project_lines()
        result += self._group_lines()
        if self.poetry:
            result += self._poetry_lines()
        return result

    def error(self, message: str, line: int | None = None, hint: str | None = None) -> SourceError:
        """Return a :class:`SourceError` at ``line`` of this file."""
        return SourceError(message, path=self.path, line=line, hint=hint)

    # [project]

    def _project_lines(self) -> list[RequirementLine]:
        project = self.project
        if not project:
            return []
        start = self.locate.header(r"^\s*\[project\]")
        dynamic = project.get("dynamic", [])
        if isinstance(dynamic, list) and "dependencies" in dynamic:
            raise self.error(
                'the dependencies are dynamic (`dynamic = ["dependencies"]`): only the build '
                "backend knows them",
                self.locate.key("dynamic", start),
                hint=_LOCK_HINT,
            )
        result = self._strings(project.get("dependencies", []), "[project] dependencies", start)
        optional = self.fields.table(project, "optional-dependencies", "[project]")
        extras = {canonicalize_name(extra): value for extra, value in optional.items()}
        poetry_extras = self.fields.table(self.poetry, "extras", "[tool.poetry]")
        known = set(extras) | {canonicalize_name(extra) for extra in poetry_extras}
        wanted = set(extras) if self.selection.all_extras else self._wanted_extras(known)
        if (
            wanted & set(extras)
            and isinstance(dynamic, list)
            and "optional-dependencies" in dynamic
        ):
            raise self.error(
                "the optional dependencies are dynamic: only the build backend knows them",
                self.locate.key("dynamic", start),
                hint=_LOCK_HINT,
            )
        optional_start = self.locate.header(r"^\s*\[project\.optional-dependencies\]") or start
        for extra in sorted(wanted & set(extras)):
            result += self._strings(
                extras[extra], f"[project.optional-dependencies] {extra}", optional_start
            )
        return self._expand_self(result, extras, optional_start, wanted)

    def _wanted_extras(self, known: set[NormalizedName]) -> set[NormalizedName]:
        wanted = {canonicalize_name(extra) for extra in self.selection.extras}
        self._refuse_unknown("extra", wanted, known, r"^\s*\[project\.optional-dependencies\]")
        return wanted

    def _refuse_unknown(
        self, kind: str, asked: set[NormalizedName], known: set[NormalizedName], header: str
    ) -> None:
        """Refuse an extra or group (``kind``) asked for that the file does not declare."""
        unknown = sorted(asked - known)
        if unknown:
            raise self.error(
                f"unknown {kind} `{unknown[0]}`; the file declares "
                f"{', '.join(sorted(known)) or 'none'}",
                self.locate.header(header) + 1 or None,
            )

    def _expand_self(
        self,
        lines: list[RequirementLine],
        extras: Mapping[NormalizedName, Any],
        start: int,
        included: set[NormalizedName],
    ) -> list[RequirementLine]:
        """Replace the project's own name (``app[cli]`` in an extra) by those extras' lines."""
        result: list[RequirementLine] = []
        seen = set(included)
        pending = list(lines)
        while pending:
            line = pending.pop(0)
            if self.name is None or line.name != self.name or line.constraint:
                result.append(line)
                continue
            for extra in sorted(line.extras - seen):
                seen.add(extra)
                if extra not in extras:
                    raise self.error(
                        f"`{self.name}[{extra}]` names an extra the project does not declare",
                        line.origin.line,
                    )
                where = f"[project.optional-dependencies] {extra}"
                pending += self._strings(extras[extra], where, start)
        return result

    # [dependency-groups] (PEP 735)

    def _group_lines(self) -> list[RequirementLine]:
        raw = self.fields.table(self.document, "dependency-groups", "pyproject.toml")
        declared = {canonicalize_name(name) for name in raw}
        chosen = self._chosen_groups(declared, defaults={_DEV_GROUP} & declared)
        start = self.locate.header(r"^\s*\[dependency-groups\]")
        # packaging gives the requirements, not their text: each is found again as written.
        written: dict[str, str] = {}
        for entries in raw.values():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, str):
                    with contextlib.suppress(InvalidRequirement):
                        written.setdefault(str(Requirement(entry)), entry)
        result: list[RequirementLine] = []
        for group in sorted(chosen & declared):
            requirements = expand_group(
                raw,
                group,
                path=self.path,
                line=start + 1,
                line_of=lambda included: self.locate.string(included, start),
            )
            texts = [
                written.get(str(requirement), str(requirement)) for requirement in requirements
            ]
            result += self._strings(texts, f"dependency group `{group}`", start)
        return result

    def _chosen_groups(
        self, declared: set[NormalizedName], defaults: set[NormalizedName]
    ) -> set[NormalizedName]:
        selection = self.selection
        known = declared | self._poetry_group_names()
        asked = {canonicalize_name(group) for group in selection.groups}
        self._refuse_unknown("dependency group", asked, known, r"^\s*\[dependency-groups\]")
        chosen = set(defaults) | asked
        if selection.all_groups:
            chosen |= declared
        # As uv's --no-dev ("an alias of --no-group dev"): it wins over --group, --all-groups.
        if selection.no_dev:
            chosen.discard(_DEV_GROUP)
        return chosen

    # [tool.poetry]

    def _poetry_group_names(self) -> set[NormalizedName]:
        groups = self.fields.table(self.poetry, "group", "[tool.poetry]")
        names = {canonicalize_name(group) for group in groups}
        if "dev-dependencies" in self.poetry:
            names.add(_DEV_GROUP)
        return names

    def _poetry_lines(self) -> list[RequirementLine]:
        poetry = self.poetry
        extras = self.fields.table(poetry, "extras", "[tool.poetry]")
        for extra, names in extras.items():
            if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
                raise self.error(f"[tool.poetry.extras] {extra} is not a list of names")
        if not self.project:
            self._wanted_extras({canonicalize_name(extra) for extra in extras})
        wanted_extras = (
            set(extras)
            if self.selection.all_extras
            else {e for e in extras if canonicalize_name(e) in self._selected_extras()}
        )
        optional_wanted = {
            canonicalize_name(name) for extra in wanted_extras for name in extras[extra]
        }
        result = self._poetry_table(
            poetry.get("dependencies", {}),
            r"^\s*\[tool\.poetry\.dependencies\]",
            optional_wanted,
        )
        groups = self.fields.table(poetry, "group", "[tool.poetry]")
        tables: dict[NormalizedName, tuple[Any, str, bool]] = {}
        for name in groups:
            group = self.fields.table(groups, name, "[tool.poetry.group]")
            header = rf"^\s*\[tool\.poetry\.group\.{re.escape(name)}\.dependencies\]"
            tables[canonicalize_name(name)] = (
                group.get("dependencies", {}),
                header,
                group.get("optional") is True,
            )
        if "dev-dependencies" in poetry:
            header = r"^\s*\[tool\.poetry\.dev-dependencies\]"
            tables.setdefault(_DEV_GROUP, (poetry["dev-dependencies"], header, False))
        # Poetry installs every group not marked optional (poetry's docs, "Dependency groups").
        defaults = {name for name, (_, _, optional) in tables.items() if not optional}
        chosen = self._chosen_groups(set(tables), defaults)
        for name in sorted(chosen & set(tables)):
            table, header, _ = tables[name]
            result += self._poetry_table(table, header, set())
        return result

    def _selected_extras(self) -> set[NormalizedName]:
        return {canonicalize_name(extra) for extra in self.selection.extras}

    def _poetry_table(
        self, table: Any, header: str, optional_wanted: set[NormalizedName]
    ) -> list[RequirementLine]:
        if not isinstance(table, dict):
            raise self.error("a poetry dependency table is not a table")
        start = self.locate.header(header)
        result: list[RequirementLine] = []
        for key, value in table.items():
            if key == "python":
                continue  # The project's own Python requirement, not a distribution.
            line = self.locate.key(key, start)
            for spec in value if isinstance(value, list) else [value]:
                requirement = self._poetry_requirement(key, spec, line)
                if requirement is None:
                    continue
                is_optional = isinstance(spec, dict) and spec.get("optional") is True
                if is_optional and canonicalize_name(key) not in optional_wanted:
                    continue
                result.append(requirement)
        return result

    def _poetry_requirement(self, name: str, spec: Any, line: int | None) -> RequirementLine | None:
        origin = Origin(path=self.path, line=line)
        if isinstance(spec, str):
            spec = {"version": spec}
        if not isinstance(spec, dict):
            raise self.error(
                f"poetry dependency `{name}` is {spec!r}; expected a string or table", line
            )
        where = f"poetry dependency `{name}`"
        extras = spec.get("extras", [])
        if not isinstance(extras, list) or not all(isinstance(e, str) for e in extras):
            raise self.error(f"{where}: extras is {extras!r}; expected a list of names", line)
        extras_text = f"[{','.join(extras)}]" if extras else ""
        markers: list[Marker] = []
        if "python" in spec:
            try:
                python = poetry_python_marker(str(spec["python"]))
            except ValueError as e:
                raise self.error(f"{where}: {e}", line) from e
            markers.append(parse_marker(python, error=partial(self.error, line=line), where=where))
        if "markers" in spec:
            written = str(spec["markers"])
            markers.append(parse_marker(written, error=partial(self.error, line=line), where=where))
        marker = combine_markers(markers, "and")
        if "path" in spec:
            path = Path(os.path.normpath((self.path.parent / str(spec["path"])).absolute()))
            if spec.get("develop") is True:
                return RequirementLine(
                    text=str(path),
                    origin=origin,
                    name=canonicalize_name(name),
                    marker=marker,
                    editable=True,
                    url=path.as_uri(),
                )
            text = f"{name}{extras_text} @ {path.as_uri()}"
        elif "git" in spec:
            revision = spec.get("rev") or spec.get("tag") or spec.get("branch")
            url = f"git+{spec['git']}" + (f"@{revision}" if revision else "")
            if spec.get("subdirectory"):
                url += f"#subdirectory={spec['subdirectory']}"
            text = f"{name}{extras_text} @ {url}"
        elif "url" in spec:
            text = f"{name}{extras_text} @ {spec['url']}"
        else:
            try:
                text = f"{name}{extras_text}{poetry_constraint(str(spec.get('version', '*')))}"
            except ValueError as e:
                raise self.error(f"poetry dependency `{name}`: {e}", line) from e
        return self._requirement(text, origin, marker=marker)

    # Requirement strings.

    def _strings(self, values: Any, where: str, start: int) -> list[RequirementLine]:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.error(f"{where} is not a list of requirement strings", start + 1)
        result = []
        for value in values:
            origin = Origin(path=self.path, line=self.locate.string(value, start))
            result.append(self._requirement(value, origin))
        return result

    def _requirement(
        self, text: str, origin: Origin, *, marker: Marker | None = None
    ) -> RequirementLine:
        requirement = parse_requirement(text, error=partial(self.error, line=origin.line))
        own, requirement.marker = requirement.marker, None
        return RequirementLine(
            text=str(requirement),
            origin=origin,
            name=canonicalize_name(requirement.name),
            marker=combine_markers([m for m in (own, marker) if m is not None], "and"),
            extras=frozenset(canonicalize_name(extra) for extra in requirement.extras),
            url=requirement.url or None,
        )


POETRY_OPERATOR = re.compile(r"^(?P<op>\^|~=|~|===|==|!=|>=|<=|>|<|=)?\s*(?P<version>.*)$")
"""One constraint of Poetry's syntax (python-poetry.org/docs/dependency-specification/):
its operator, if any, and its version."""


def poetry_constraint(text: str) -> str:
    """Return poetry's constraint ``text`` as a PEP 440 specifier: ``^1.2`` -> ``>=1.2,<2``.

    Raises :class:`ValueError` for a constraint PEP 440 cannot say (``1.0 || 2.0``).
    """
    text = text.strip()
    if "||" in text or "|" in text:
        raise ValueError(f"`{text}`: an `or` of constraints has no PEP 440 spelling")
    if text in {"", "*"}:
        return ""
    # Poetry joins constraints by commas or by spaces; an operator may be spaced from its version.
    parts = re.findall(r"(?:\^|~=|~|===|==|!=|>=|<=|>|<|=)\s*[^\s,]+|[^\s,]+", text)
    specifiers = [_one_poetry_constraint(part.strip()) for part in parts if part.strip(", ")]
    joined = ",".join(spec for spec in specifiers if spec)
    try:
        SpecifierSet(joined)
    except InvalidSpecifier as e:
        raise ValueError(f"`{text}` is not a version constraint: {e}") from e
    return joined


def _one_poetry_constraint(part: str) -> str:
    found = POETRY_OPERATOR.match(part)
    assert found is not None  # noqa: S101 -- every string matches: both groups are optional
    operator, written = found["op"] or "", found["version"].strip()
    if written == "*":
        return ""
    if operator in {"^", "~"}:
        try:
            release = list(Version(written).release)
        except InvalidVersion as e:
            raise ValueError(f"`{part}`: `{written}` is not a version") from e
        if operator == "^":
            # The first non-zero part may not change; all zeros: the last given part may not.
            nonzero = next((i for i, n in enumerate(release) if n), len(release) - 1)
            upper = [*release[:nonzero], release[nonzero] + 1]
        else:
            upper = [release[0] + 1] if len(release) == 1 else [release[0], release[1] + 1]
        return f">={written},<{'.'.join(map(str, upper))}"
    if operator in {"", "="}:
        return f"=={written}"
    return f"{operator}{written}"


def poetry_python_marker(text: str) -> str:
    """Return poetry's ``python = "^3.9"`` restriction as a PEP 508 marker."""
    specifiers = poetry_constraint(text)
    if not specifiers:
        return 'python_version >= "0"'
    clauses = [
        f'python_full_version {spec.operator} "{spec.version}"'
        if not spec.version.endswith(".*")
        else f'python_version {spec.operator} "{spec.version}"'
        for spec in SpecifierSet(specifiers)
    ]
    return "(" + " and ".join(sorted(clauses)) + ")"
