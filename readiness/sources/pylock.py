"""PEP 751 lock files (``pylock.toml``), selected for the probed interpreter by packaging."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, cast

from packaging.markers import Environment, UndefinedComparison, UndefinedEnvironmentName
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename

from readiness._documents import checked_path
from readiness.model import Target
from readiness.sources._fields import marker_holds
from readiness.sources._locks import LockSource
from readiness.sources.interface import Dependency, Provenance, SourceError

if TYPE_CHECKING:
    from packaging.pylock import Package, Pylock

_DEV_GROUP = canonicalize_name("dev")


class PylockSource(LockSource):
    """A ``pylock.toml``: every package it selects for the interpreter, at its locked version."""

    kind = "pylock"
    label = "pylock.toml"
    nothing_selected_hint = "check the lock's markers and the extras and groups asked for"

    def select(self, target: Target) -> list[Dependency]:
        """Return the packages the lock selects for ``target``, then those it leaves out.

        Raises :class:`SourceError` for a file that is not a valid lock, or a lock that does
        not fit the interpreter.
        """
        # Imported here: a warm run finds the lock's reading kept (readiness.sources.kept),
        # and packaging's reader (its import) is most of what reading it costs.
        from packaging.pylock import Pylock, PylockSelectError, PylockValidationError

        try:
            lock = Pylock.from_dict(self.read())
        except PylockValidationError as e:
            # PylockUnsupportedVersionError is a PylockValidationError: "pylock version 2 ...".
            raise SourceError(f"not a valid pylock file: {e}", path=self.path) from e
        extras = tuple(lock.extras or ()) if self.selection.all_extras else self.selection.extras
        groups = self._groups(lock)
        try:
            selected = {
                id(package)
                for package, _ in lock.select(
                    environment=cast("Environment", dict(target.marker_environment)),
                    tags=_tags_never_failing(lock, target.tags),
                    extras=extras,
                    dependency_groups=groups,
                )
            }
        except (UndefinedComparison, UndefinedEnvironmentName) as e:
            # A marker PEP 751 does not define for locks (`extra == 'cli'`: a lock says
            # `'cli' in extras`), or a version compared with a non-version.
            raise SourceError(
                f"a marker in the lock cannot be evaluated: {e}", path=self.path
            ) from e
        except PylockSelectError as e:
            raise SourceError(
                f"the lock does not fit this interpreter: {e}",
                path=self.path,
                hint="re-lock for this Python version and platform, or choose declared "
                "extras and groups",
            ) from e
        lock_environment: dict[str, str | frozenset[str]] = {
            **target.marker_environment,
            "extras": frozenset(canonicalize_name(extra) for extra in extras),
            "dependency_groups": frozenset(
                canonicalize_name(group)
                for group in (lock.default_groups or () if groups is None else groups)
            ),
        }
        return self._results(lock, selected, lock_environment)

    def _groups(self, lock: Pylock) -> Collection[str] | None:
        """Return the dependency groups to select; None leaves the lock's default groups."""
        selection = self.selection
        if not (selection.groups or selection.all_groups or selection.no_dev):
            return None
        chosen = {canonicalize_name(group) for group in lock.default_groups or ()}
        if selection.all_groups:
            chosen |= {canonicalize_name(group) for group in lock.dependency_groups or ()}
        chosen |= {canonicalize_name(group) for group in selection.groups}
        # As uv's --no-dev ("an alias of --no-group dev"), it wins over --group and --all-groups.
        if selection.no_dev:
            chosen.discard(_DEV_GROUP)
        return chosen

    def _results(
        self,
        lock: Pylock,
        selected: set[int],
        lock_environment: Mapping[str, str | frozenset[str]],
    ) -> list[Dependency]:
        results: list[Dependency] = []
        for package in lock.packages:
            if id(package) in selected:
                if not self._is_the_project(package):
                    results.append(self._resolved(package))
            else:
                reason = self._why_not_selected(package, lock_environment)
                results.append(
                    self.skipped(package.name, self._entry(package), reason, package.version)
                )
        return results

    def _resolved(self, package: Package) -> Dependency:
        # NOTE: PEP 751 has no dependency graph that tools must write (uv export writes none),
        # so every package counts as asked for by the project.
        return self.resolved(
            package.name,
            self._entry(package),
            package.version,
            self._install_url(package),
            editable=package.directory is not None and bool(package.directory.editable),
        )

    def _install_url(self, package: Package) -> tuple[Provenance, str | None]:
        """Return where ``package`` comes from, and what to install when not an index.

        PEP 751: ``vcs`` (url or path, ``commit-id``, ``subdirectory``), ``archive`` (url or
        path), ``directory`` (path); paths are relative to the lock's folder.
        """
        if package.vcs is not None:
            vcs = package.vcs
            where = vcs.url or self._file_uri(vcs.path)
            url = f"{vcs.type}+{where}@{vcs.commit_id}"
            if vcs.subdirectory:
                url += f"#subdirectory={vcs.subdirectory}"
            return Provenance.VCS, url
        if package.archive is not None:
            archive = package.archive
            url = archive.url or self._file_uri(archive.path)
            if archive.subdirectory:
                url += f"#subdirectory={archive.subdirectory}"
            return (Provenance.URL if archive.url else Provenance.PATH), url
        if package.directory is not None:
            url = self._file_uri(package.directory.path)
            if package.directory.subdirectory:
                url += f"#subdirectory={package.directory.subdirectory}"
            return Provenance.PATH, url
        return Provenance.INDEX, None

    def _file_uri(self, path: str | None) -> str:
        if path is None:
            raise SourceError("a package names neither a URL nor a path", path=self.path)
        return self.fields.local_path(path, "a package's path").as_uri()

    def _is_the_project(self, package: Package) -> bool:
        """Tell the locked project itself (a directory in the lock's folder): the user's code."""
        if package.directory is None:
            return False
        # NOTE: `uv export --format pylock.toml` writes the project as
        # `directory = { path = ".", editable = true }`, workspace members likewise.
        folder = Path(os.path.normpath(self.path.parent.absolute()))
        # normpath, not resolve(): `..` must count, the directory need not exist here.
        path = checked_path(package.directory.path, error=SourceError, path=self.path)
        directory = Path(os.path.normpath(folder / path))
        return directory == folder or folder in directory.parents

    def _why_not_selected(
        self, package: Package, lock_environment: Mapping[str, str | frozenset[str]]
    ) -> str:
        if package.marker is None:
            return "not selected for this interpreter"
        try:
            holds = marker_holds(
                package.marker, lock_environment, path=self.path, context="lock_file"
            )
        except SourceError:
            # A marker select() could not have evaluated either: not the reason it was left out.
            holds = True
        if holds:
            return "not selected for this interpreter"
        return f"marker `{package.marker}` is false for this interpreter"

    def _entry(self, package: Package) -> str:
        version = f" {package.version}" if package.version is not None else ""
        return f'package "{package.name}"{version}'


def _tags_never_failing(lock: Pylock, target_tags: Collection[Tag]) -> list[Tag]:
    """Return the target's tags, then every other tag a wheel of the lock carries.

    NOTE: select() raises when a package has no wheel for the given tags and no sdist. For
    readiness that is a finding about one distribution, not a broken file: the installer is
    asked for name==version and reports it not installable. The target's tags come first, so
    select() still picks the target's wheel wherever there is one.
    """
    tags = dict.fromkeys(target_tags)
    for package in lock.packages:
        for wheel in package.wheels or ():
            tags.update(dict.fromkeys(parse_wheel_filename(wheel.filename)[3]))
    return list(tags)
