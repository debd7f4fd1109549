"""uv's lock file (``uv.lock``), walked from the project the way ``uv sync`` installs it.

The format is uv's (version 1; docs.astral.sh/uv/concepts/projects/layout/#the-lockfile): one
``[[package]]`` table per locked distribution, each with ``dependencies`` edges that may carry
a ``marker``, ``extra = [...]``, and, where a name is locked at several versions (a fork),
the ``version`` and ``source`` of the entry they mean.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.markers import Marker
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.model import Target
from readiness.sources._fields import marker_holds
from readiness.sources._locks import LockSource, check_declared
from readiness.sources._tomlfile import read_toml
from readiness.sources._walk import LockWalk
from readiness.sources.interface import Dependency, Provenance, SourceError

SUPPORTED_LOCK_VERSION = 1
"""The ``version`` of uv.lock this module reads (uv bumps ``revision`` for compatible changes)."""

_DEV_GROUP = canonicalize_name("dev")

# The user's own code: the project (source `.`) and workspace members. uv installs them from
# their source tree, so they are walked through but never installed from an index.
_PROJECT_SOURCES = frozenset({"editable", "virtual"})


@dataclass(frozen=True)
class _Edge:
    """A dependency of one lock entry on another."""

    name: NormalizedName
    """The name depended on."""

    version: str | None
    """The locked version meant, written when the name is locked at several."""

    source: Mapping[str, Any] | None
    """The source meant, written when one version is locked from several."""

    marker: Marker | None
    """Where the dependency applies; None for everywhere."""

    extras: frozenset[NormalizedName]
    """Extras of the depended-on entry that this edge turns on."""


@dataclass(frozen=True)
class _Entry:
    """One ``[[package]]`` table of the lock."""

    name: NormalizedName
    """The distribution's name."""

    version: Version | None
    """The locked version (uv may leave it out for a project with a dynamic version)."""

    source: Mapping[str, Any]
    """Where uv gets it: ``{registry = url}``, ``{editable = "."}``, ``{git = url}``, ..."""

    dependencies: tuple[_Edge, ...]
    """Its dependencies, always followed."""

    optional: Mapping[NormalizedName, tuple[_Edge, ...]]
    """Its extras, each with the dependencies it adds."""

    groups: Mapping[NormalizedName, tuple[_Edge, ...]]
    """Its dependency groups (``dev-dependencies`` in the lock), for a project entry."""

    declared_extras: frozenset[NormalizedName]
    """Every extra it declares, including extras that add nothing."""

    declared_groups: frozenset[NormalizedName]
    """Every dependency group it declares, including empty ones."""

    @property
    def is_project(self) -> bool:
        """True for the user's own code: the project or a workspace member."""
        return bool(_PROJECT_SOURCES & self.source.keys())

    @property
    def entry(self) -> str:
        """How the lock names it: ``package "anyio" 4.6.0``."""
        return f'package "{self.name}"' + (f" {self.version}" if self.version else "")


class UvLockSource(LockSource):
    """A ``uv.lock``: what ``uv sync`` installs for the interpreter, at the locked versions."""

    kind = label = "uv.lock"
    nothing_selected_hint = "check the extras and groups asked for, and the lock's markers"

    def select(self, target: Target) -> list[Dependency]:
        """Return what the project needs on ``target``, then the lock entries it does not need.

        Raises :class:`SourceError` for a lock that is malformed, of an unknown version, for
        another Python, or that needs a package from a source readiness cannot install.
        """
        document = self.read()
        self._check_version(document)
        self._check_python(document, target)
        entries = [
            self._entry(table, where) for where, table in self.fields.tables(document, "package")
        ]
        roots = self._roots(document, entries)
        return self._results(entries, self._walk(entries, roots, target))

    def _check_version(self, document: Mapping[str, Any]) -> None:
        version = document.get("version")
        if version != SUPPORTED_LOCK_VERSION:
            raise self.unsupported(
                version,
                f"version {SUPPORTED_LOCK_VERSION}",
                hint=f"update readiness, or lock with a uv that writes version "
                f"{SUPPORTED_LOCK_VERSION}",
            )

    def _check_python(self, document: Mapping[str, Any], target: Target) -> None:
        """Refuse a lock for other Pythons: ``uv sync`` refuses it too."""
        requires = document.get("requires-python")
        if requires is None:
            return
        try:
            allowed = SpecifierSet(self.fields.string(requires, "requires-python"))
        except ValueError as e:
            # InvalidSpecifier, or a version past Python's digit limit.
            raise self.fields.error(f"requires-python: {e}") from e
        self.check_python(target, lambda v: allowed.contains(v, prereleases=True), str(allowed))

    def _roots(self, document: Mapping[str, Any], entries: Sequence[_Entry]) -> list[_Entry]:
        """Return the entries ``uv sync`` starts from: the project at the lock's folder.

        In a workspace whose root is no project, ``uv sync`` installs every member, listed
        under ``[manifest] members``.
        """
        roots = [
            entry
            for entry in entries
            if entry.is_project and any(entry.source.get(kind) == "." for kind in _PROJECT_SOURCES)
        ]
        if roots:
            return roots
        manifest = document.get("manifest", {})
        members = {
            canonicalize_name(self.fields.string(member, "manifest.members"))
            for member in self.fields.array(manifest, "members", "[manifest]")
        }
        roots = [entry for entry in entries if entry.is_project and entry.name in members]
        if not roots:
            raise SourceError(
                "the lock holds no project (no package with source editable or virtual `.`)",
                path=self.path,
            )
        return roots

    def _walk(self, entries: Sequence[_Entry], roots: Sequence[_Entry], target: Target) -> LockWalk:
        """Follow every edge whose marker holds, from the roots' selected parts."""
        extras, groups = self._chosen_parts(roots)
        environment = dict(target.marker_environment)
        positions = {id(entry): position for position, entry in enumerate(entries)}
        walk = LockWalk()

        def follow(source: _Entry, edges: Sequence[_Edge]) -> None:
            for edge in edges:
                if edge.marker is not None and not self._holds(edge.marker, environment, source):
                    walk.skip(edge.name, str(edge.marker))
                    continue
                entry = self._resolve(edge, source, entries)
                parent = None if source.is_project else source.name
                walk.reach(positions[id(entry)], entry.name, parent, edge.extras)

        for root in roots:
            follow(root, root.dependencies)
            for extra in extras & root.optional.keys():
                follow(root, root.optional[extra])
            for group in groups & root.groups.keys():
                follow(root, root.groups[group])
        for position, part in walk.pending():
            entry = entries[position]
            follow(entry, entry.dependencies if part is None else entry.optional.get(part, ()))
        return walk

    def _chosen_parts(
        self, roots: Sequence[_Entry]
    ) -> tuple[frozenset[NormalizedName], frozenset[NormalizedName]]:
        """Return the extras and groups of the roots to install, as ``uv sync`` chooses them."""
        selection = self.selection
        declared_extras = frozenset().union(*(root.declared_extras for root in roots))
        declared_groups = frozenset().union(*(root.declared_groups for root in roots))
        asked_extras = {canonicalize_name(extra) for extra in selection.extras}
        asked_groups = {canonicalize_name(group) for group in selection.groups}
        for kind, asked, declared in (
            ("extra", asked_extras, declared_extras),
            ("dependency group", asked_groups, declared_groups),
        ):
            check_declared(asked, declared, kind, path=self.path, declarer="the lock's project")
        extras = declared_extras if selection.all_extras else frozenset(asked_extras)
        groups = set(declared_groups if selection.all_groups else self._default_groups(roots))
        groups |= asked_groups
        # uv: "--no-dev: an alias of --no-group dev", and --no-group wins over --all-groups.
        if selection.no_dev:
            groups.discard(_DEV_GROUP)
        return extras, frozenset(groups & declared_groups)

    def _default_groups(self, roots: Sequence[_Entry]) -> frozenset[NormalizedName]:
        """Return the groups ``uv sync`` installs unasked: ``dev``, or the project's choice.

        ``[tool.uv] default-groups`` lives in pyproject.toml, not in the lock
        (docs.astral.sh/uv/reference/settings/#default-groups).
        """
        if not self.pyproject.is_file():
            return frozenset({_DEV_GROUP})
        fields = self.project_fields
        tool = fields.table(read_toml(self.pyproject), "tool", "pyproject.toml")
        configured = fields.table(tool, "uv", "[tool]").get("default-groups")
        if configured is None:
            return frozenset({_DEV_GROUP})
        if configured == "all":
            return frozenset().union(*(root.declared_groups for root in roots))
        if not isinstance(configured, list) or not all(isinstance(g, str) for g in configured):
            raise SourceError(
                '[tool.uv] default-groups must be a list of group names or "all"',
                path=self.pyproject,
            )
        return frozenset(canonicalize_name(group) for group in configured)

    def _holds(self, marker: Marker, environment: dict[str, str], source: _Entry) -> bool:
        return marker_holds(marker, environment, path=self.path, entry=source.entry)

    def _resolve(self, edge: _Edge, source: _Entry, entries: Sequence[_Entry]) -> _Entry:
        """Return the one entry ``edge`` means; a fork names its version and source."""
        candidates = [
            entry
            for entry in entries
            if entry.name == edge.name
            and (edge.version is None or str(entry.version) == edge.version)
            and (edge.source is None or entry.source == edge.source)
        ]
        if len(candidates) != 1:
            which = f" {edge.version}" if edge.version else ""
            raise SourceError(
                f"malformed uv.lock: {source.entry} depends on `{edge.name}`{which}, which "
                f"matches {len(candidates)} package entries instead of one",
                path=self.path,
            )
        return candidates[0]

    def _results(self, entries: Sequence[_Entry], walk: LockWalk) -> list[Dependency]:
        chains = walk.chains()
        results: list[Dependency] = []
        for position, entry in enumerate(entries):
            state = walk.reached.get(position)
            if entry.is_project:
                continue
            if state is None:
                reason = walk.why_not(entry.name)
                results.append(self.skipped(entry.name, entry.entry, reason, entry.version))
                continue
            results.append(
                self.resolved(
                    entry.name,
                    entry.entry,
                    entry.version,
                    self._install_url(entry),
                    direct=state.direct,
                    extras=state.extras,
                    chain=chains.get(entry.name, ()),
                )
            )
        return results

    def _install_url(self, entry: _Entry) -> tuple[Provenance, str | None]:
        """Return where ``entry`` comes from, and what to install for a non-index source.

        uv writes ``{ registry = ... }``, ``{ git = "URL?rev=...#COMMIT" }``, ``{ url = ... }``,
        ``{ path = ... }`` or ``{ directory = ... }`` (uv's docs, "The uv.lock file"); a path is
        relative to the lock's folder.
        """
        source = entry.source
        if "registry" in source and entry.version is not None:
            return Provenance.INDEX, None
        if "git" in source:
            # The fragment is the exact commit; the query holds rev/tag/branch and subdirectory.
            git = self.fields.url(source["git"], f"{entry.entry} source.git")
            parts = urllib.parse.urlsplit(git)
            query = urllib.parse.parse_qs(parts.query)
            base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            pinned = parts.fragment or next(iter(query.get("rev", ())), "")
            url = f"git+{base}" + (f"@{pinned}" if pinned else "")
            if "subdirectory" in query:
                url += f"#subdirectory={query['subdirectory'][0]}"
            return Provenance.VCS, url
        if "url" in source:
            return Provenance.URL, self.fields.url(source["url"], f"{entry.entry} source.url")
        for key in ("path", "directory"):
            if key in source:
                local = self.fields.local_path(source[key], f"{entry.entry} source.{key}")
                return Provenance.PATH, local.as_uri()
        kind = ", ".join(sorted(source)) or "no source"
        raise SourceError(
            f"{entry.entry} comes from {kind}, which readiness does not know how to install",
            path=self.path,
        )

    # Reading the document, checking each value's type: a lock is input like any other.

    def _entry(self, table: Mapping[str, Any], where: str) -> _Entry:
        name = self.fields.name(table.get("name"), f"{where}.name")
        where = f'package "{name}"'
        version: Version | None = None
        if "version" in table:
            version = self.fields.version(table["version"], f"{where}.version")
        source = table.get("source", {})
        if not isinstance(source, dict):
            raise SourceError(f"malformed uv.lock: {where}.source is not a table", path=self.path)
        optional = self._edge_tables(table, "optional-dependencies", where)
        groups = self._edge_tables(table, "dev-dependencies", where)
        metadata = self.fields.table(table, "metadata", where)
        provides = self.fields.strings(metadata, "provides-extras", f"{where}.metadata")
        requires_dev = self.fields.table(metadata, "requires-dev", f"{where}.metadata")
        return _Entry(
            name=name,
            version=version,
            source=source,
            dependencies=self._edges(table, "dependencies", where),
            optional=optional,
            groups=groups,
            declared_extras=frozenset(optional)
            | frozenset(canonicalize_name(extra) for extra in provides),
            declared_groups=frozenset(groups)
            | frozenset(canonicalize_name(str(group)) for group in requires_dev),
        )

    def _edge_tables(
        self, table: Mapping[str, Any], key: str, where: str
    ) -> dict[NormalizedName, tuple[_Edge, ...]]:
        parts = table.get(key, {})
        if not isinstance(parts, dict):
            raise SourceError(f"malformed uv.lock: {where}.{key} is not a table", path=self.path)
        return {
            canonicalize_name(part): self._edges(parts, part, f"{where}.{key}") for part in parts
        }

    def _edges(self, table: Mapping[str, Any], key: str, where: str) -> tuple[_Edge, ...]:
        edges = []
        for edge in self.fields.array(table, key, where):
            if not isinstance(edge, dict):
                raise SourceError(
                    f"malformed uv.lock: {where}.{key} holds {edge!r}, not a table",
                    path=self.path,
                )
            name = self.fields.name(edge.get("name"), f"{where}.{key}.name")
            marker = None
            if "marker" in edge:
                marker = self.fields.marker(edge["marker"], f"{where}.{key}.marker")
            source = edge.get("source")
            version = edge.get("version")
            edges.append(
                _Edge(
                    name=name,
                    version=None
                    if version is None
                    else self.fields.string(version, f"{where}.version"),
                    source=source if isinstance(source, dict) else None,
                    marker=marker,
                    extras=frozenset(
                        canonicalize_name(self.fields.string(extra, f"{where}.{key}.extra"))
                        for extra in self.fields.array(edge, "extra", f"{where}.{key}")
                    ),
                )
            )
        return tuple(edges)
