"""Pipenv's lock file (``Pipfile.lock``): the ``default`` packages, and others as asked.

The format is pipfile-spec 6 (github.com/pypa/pipfile): JSON with a ``_meta`` object and one
object per category, ``default`` for ``[packages]``, ``develop`` for ``[dev-packages]``, and
pipenv's custom categories under their own names. Each entry pins ``"version": "==x"`` or
names a ``git``, ``path`` or ``file`` source, with optional ``markers`` and ``extras``. The
lock holds no dependency graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness._documents import read_json
from readiness.model import Target
from readiness.sources._fields import marker_holds
from readiness.sources._locks import LockSource
from readiness.sources._tomlfile import read_toml
from readiness.sources.interface import Dependency, Provenance, SourceError

SUPPORTED_PIPFILE_SPEC = 6
"""The ``_meta.pipfile-spec`` this module reads (every pipenv since 2018 writes 6)."""

_DEFAULT = "default"
_DEVELOP = "develop"
_DEV_GROUP = canonicalize_name("dev")
# Pipfile categories beside the packages: `_meta`, and none other in spec 6.
_NOT_CATEGORIES = frozenset({"_meta"})
# The Pipfile's names for the lock's two standard categories (pipenv `utils/dependencies.py`,
# get_lockfile_section_using_pipfile_category).
_PIPFILE_CATEGORY = {_DEFAULT: "packages", _DEVELOP: "dev-packages"}


class PipfileLockSource(LockSource):
    """A ``Pipfile.lock``: what ``pipenv sync`` installs for the interpreter."""

    kind = label = "Pipfile.lock"
    nothing_selected_hint = "check the lock's markers and the categories asked for (`--group dev`)"

    def select(self, target: Target) -> list[Dependency]:
        """Return the entries of the selected categories, resolved or skipped by their markers.

        Raises :class:`SourceError` for a file that is not JSON or not a pipfile-spec 6 lock,
        a category asked for that it lacks, or a git or path entry with no version.
        """
        document = self.read()
        categories = self._categories(document)
        declared = self._declared()
        environment = dict(target.marker_environment)
        results: list[Dependency] = []
        seen: set[NormalizedName] = set()
        for category in categories:
            entries = self.fields.table(document, category, "the lock")
            for name, entry in entries.items():
                dependency = self._dependency(name, entry, category, environment, declared)
                # The project itself (`-e .`) is the user's code, not a dependency; a name in
                # two categories is reported once, from the first selected.
                if dependency is None or dependency.name in seen:
                    continue
                seen.add(dependency.name)
                results.append(dependency)
        return results

    def read(self) -> dict[str, Any]:
        """Return the lock's JSON document, if it is a pipfile-spec 6 lock."""
        document = read_json(self.path, error=SourceError)
        if not isinstance(document, dict):
            raise self.fields.error("not a JSON object")
        meta = document.get("_meta")
        spec = meta.get("pipfile-spec") if isinstance(meta, dict) else None
        if spec != SUPPORTED_PIPFILE_SPEC:
            raise self.unsupported(
                spec,
                f"pipfile-spec {SUPPORTED_PIPFILE_SPEC}",
                field="pipfile-spec",
                hint="update readiness, or lock with a pipenv that writes pipfile-spec 6",
            )
        return document

    def _categories(self, document: Mapping[str, Any]) -> list[str]:
        """Return the categories to install: ``default``, and ``develop`` as ``pipenv --dev``.

        ``--group dev`` (or ``all_groups``) selects ``develop``; another group name selects
        pipenv's custom category of that name. ``no_dev`` changes nothing: pipenv installs
        no dev packages unless asked.
        """
        present = [key for key in document if key not in _NOT_CATEGORIES]
        by_name = {canonicalize_name(key): key for key in present}
        by_name.setdefault(_DEV_GROUP, _DEVELOP)
        chosen = [_DEFAULT]
        if self.selection.all_groups:
            chosen.extend(key for key in present if key != _DEFAULT)
        for group in sorted(self.selection.groups):
            key = by_name.get(canonicalize_name(group))
            if key is None or key not in document:
                raise SourceError(
                    f"the lock has no category {group!r}",
                    path=self.path,
                    hint=f"the lock has: {', '.join(sorted(present)) or 'none'} (`dev` selects "
                    "develop)",
                )
            if key not in chosen:
                chosen.append(key)
        return chosen

    def inputs(self) -> tuple[Path, ...]:
        """Return the lock and the Pipfile beside it, which names the direct dependencies."""
        return (*super().inputs(), self.path.parent / "Pipfile")

    def _declared(self) -> frozenset[NormalizedName] | None:
        """Return the names the Pipfile beside the lock asks for, or None without one."""
        pipfile_path = self.path.parent / "Pipfile"
        if not pipfile_path.is_file():
            return None
        pipfile = read_toml(pipfile_path)
        names: set[NormalizedName] = set()
        for key, table in pipfile.items():
            if key in ("source", "requires", "pipenv", "scripts") or not isinstance(table, dict):
                continue
            names |= {canonicalize_name(name) for name in table}
        return frozenset(names)

    def _dependency(
        self,
        name: str,
        entry: object,
        category: str,
        environment: Mapping[str, str],
        declared: frozenset[NormalizedName] | None,
    ) -> Dependency | None:
        where = f'{category} "{name}"'
        if not isinstance(entry, dict):
            raise self.fields.error(f"{where} is not an object")
        normalized = self.fields.name(name, where)
        provenance, url = self._provenance(entry, where)
        if provenance is Provenance.PATH and self._is_the_project(entry):
            return None
        version = self._version(entry, where)
        if entry.get("markers") is not None:
            marker = self.fields.marker(entry["markers"], where)
            if not marker_holds(marker, environment, path=self.path, entry=where):
                reason = f"marker `{marker}` is false for this interpreter"
                return self.skipped(normalized, where, reason, version)
        if version is None:
            raise SourceError(
                f"{where} comes from {url} with no version: not supported yet",
                path=self.path,
                hint="readiness needs the version a git or path entry builds",
            )
        return self.resolved(
            normalized,
            where,
            version,
            (provenance, url),
            # NOTE: Pipfile.lock has no graph: a name counts as direct when the Pipfile asks for
            # it, and every name does when there is no Pipfile to tell.
            direct=declared is None or normalized in declared,
            extras=self.fields.strings(entry, "extras", where),
            editable=entry.get("editable") is True,
        )

    def _version(self, entry: Mapping[str, Any], where: str) -> Version | None:
        pinned = entry.get("version")
        if pinned is None:
            return None
        if not isinstance(pinned, str) or not pinned.startswith("=="):
            raise self.fields.error(f"{where}: version {pinned!r} is not pinned with ==")
        return self.fields.version(pinned.removeprefix("=="), where)

    def _provenance(self, entry: Mapping[str, Any], where: str) -> tuple[Provenance, str | None]:
        """Tell where an entry comes from; pipenv writes ``git``/``ref``, ``path`` or ``file``."""
        for vcs in ("git", "hg", "svn", "bzr"):
            if vcs in entry:
                url = self.fields.url(entry[vcs], f"{where} {vcs}")
                url = url if url.startswith(f"{vcs}+") else f"{vcs}+{url}"
                if entry.get("ref"):
                    url += f"@{entry['ref']}"
                if entry.get("subdirectory"):
                    url += f"#subdirectory={entry['subdirectory']}"
                return Provenance.VCS, url
        if "path" in entry:
            return Provenance.PATH, self.fields.local_path(entry["path"], f"{where} path").as_uri()
        if "file" in entry:
            file = self.fields.url(entry["file"], f"{where} file")
            if file.startswith("file:") or "://" not in file:
                local = (
                    file
                    if file.startswith("file:")
                    else self.fields.local_path(file, f"{where} file").as_uri()
                )
                return Provenance.PATH, local
            return Provenance.URL, file
        if "version" not in entry:
            raise self.fields.error(f"{where} has no version and no source")
        return Provenance.INDEX, None

    def _is_the_project(self, entry: Mapping[str, Any]) -> bool:
        """Tell the project itself (``pipenv install -e .``): the user's own code."""
        path = entry.get("path")
        return (
            isinstance(path, str)
            and self.fields.local_path(path, "path") == self.path.parent.resolve()
        )
