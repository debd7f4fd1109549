"""``readiness deps``: what a scan would install, resolved for a target, with nothing installed.

A dependency file is read (and, where it leaves versions open, resolved by the installer) for a
target interpreter, and every distribution is listed with where it comes from, whether the
project asks for it or another distribution pulls it in, and the line or lock entry that
declared it. No free-threaded interpreter is needed: the target may be synthesized from a
version and a platform.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rich.table import Table

from readiness import __version__
from readiness._arguments import DepsFormatChoice as DepsFormatChoice  # re-exported: it lived here
from readiness._console import MessageConsole
from readiness._errors import InputError
from readiness.destination import Destination, write_report
from readiness.environment.uv import UvResolver
from readiness.formats.control_chars import escape_controls
from readiness.formats.table import cell, render_text
from readiness.model import IndexOptions, Target
from readiness.options import SharedOptions
from readiness.session import ScanSession
from readiness.sources.discovery import find_source
from readiness.sources.interface import (
    DependencySource,
    Origin,
    ResolvedDependency,
    SkippedDependency,
)
from readiness.sources.resolve import RequirementLine, Resolver

DEPS_SCHEMA_VERSION = 1
"""The version of the ``readiness deps --format json`` document; raised on any change that
removes or renames a field (adding one does not)."""


@dataclass(frozen=True)
class DepsCommandOptions:
    """Everything ``readiness deps`` was asked, checked."""

    shared: SharedOptions
    """What ``scan`` takes too."""

    platform: str | None
    """``--platform``: the platform a synthesized target is for; None: this one."""

    format: DepsFormatChoice
    """``--format``: the listing's format."""

    output: Destination
    """Where the listing goes (``-o``, else stdout), checked."""

    @classmethod
    def from_namespace(cls, args: argparse.Namespace, *, cache_dir: Path) -> DepsCommandOptions:
        """Return the options ``deps`` was given, or raise :class:`InputError`.

        A bad ``-o`` is refused, and so is an interpreter asked for beside a target that
        describes one instead of it.
        """
        output = Destination(args.output)
        output.check()
        if args.python is not None and (args.target is not None or args.platform is not None):
            raise InputError(
                "--python reads the dependencies for that interpreter; --target and "
                "--platform describe an interpreter instead of it",
                hint="give either --python, or --target (with --platform)",
            )
        return cls(
            shared=SharedOptions.from_namespace(args, cache_dir=cache_dir),
            platform=args.platform,
            format=args.format,
            output=output,
        )


@dataclass(frozen=True)
class DependencyListing:
    """What one dependency file selects for one target."""

    source: Path
    """The dependency file read (a folder given on the command line is resolved to it)."""

    kind: str
    """The kind of that file (``uv.lock``, ``requirements``, ...)."""

    target: Target
    """The interpreter the file was read for."""

    resolved: tuple[ResolvedDependency, ...]
    """Every distribution to install, by name."""

    skipped: tuple[SkippedDependency, ...]
    """Every distribution the file names that is not installed for the target, by name."""


def list_dependencies(source: DependencySource, target: Target) -> DependencyListing:
    """Read ``source`` for ``target``; raises what :meth:`DependencySource.collect` raises."""
    resolved: list[ResolvedDependency] = []
    skipped: list[SkippedDependency] = []
    for dependency in source.collect(target):
        if isinstance(dependency, ResolvedDependency):
            resolved.append(dependency)
        elif isinstance(dependency, SkippedDependency):
            skipped.append(dependency)
    return DependencyListing(
        source=source.path,
        kind=source.kind,
        target=target,
        resolved=tuple(sorted(resolved, key=lambda dep: dep.name)),
        skipped=tuple(sorted(skipped, key=lambda dep: dep.name)),
    )


class LendingResolver(Resolver):
    """A resolver that lends a free-threaded interpreter to a synthesized target without one.

    uv resolves for a free-threaded version it does not run only while running some
    free-threaded interpreter (see :class:`readiness.environment.uv.UvResolver`). The
    interpreter is looked for only when a file needs resolving, and at most once; when none is
    found, the target goes as it is and the resolver's own error and hint stand.
    """

    def __init__(self, resolver: Resolver, find_python: Callable[[], Path | None]) -> None:
        self.resolver = resolver
        self.name = resolver.name
        self._find_python = find_python
        self._found: tuple[Path | None] | None = None

    def resolve(
        self,
        requirements: Sequence[RequirementLine],
        target: Target,
        index_options: IndexOptions,
    ) -> list[ResolvedDependency]:
        """Resolve with the wrapped resolver, for ``target`` with an interpreter lent to it."""
        if target.synthetic and target.python is None:
            if self._found is None:
                self._found = (self._find_python(),)
            python = self._found[0]
            if python is not None:
                target = replace(target, python=python)
        return self.resolver.resolve(requirements, target, index_options)


# The table.


def render_table(
    listing: DependencyListing,
    *,
    color: bool = False,
    width: int | None = None,
    encoding: str = "utf-8",
) -> str:
    """Return the listing as a table: resolved distributions by name, skipped ones last."""
    return render_text(build_table(listing), color=color, width=width, encoding=encoding)


def build_table(listing: DependencyListing) -> Table:
    """Return the rich table of ``listing``."""
    table = Table(
        title=cell(f"{listing.source} ({listing.kind}) for {describe_target(listing.target)}"),
        title_justify="left",
    )
    table.add_column("distribution", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("from", overflow="fold")
    table.add_column("requested by", overflow="fold")
    table.add_column("declared", overflow="fold", style="dim")
    for dependency in listing.resolved:
        table.add_row(
            cell(dependency.name),
            cell(str(dependency.version)),
            cell(_where_from(dependency)),
            cell(_requested_by(dependency)),
            cell(str(dependency.origin)),
        )
    for skipped in listing.skipped:
        table.add_row(
            cell(skipped.name, "dim"),
            cell(str(skipped.version) if skipped.version is not None else ""),
            cell("skipped", "dim"),
            cell(skipped.reason, "dim"),
            cell(str(skipped.origin)),
        )
    return table


def describe_target(target: Target) -> str:
    """Return ``CPython 3.14t on linux-x86_64 (synthesized)``, or the interpreter's path."""
    version = target.python_version or target.marker_environment.get("python_full_version", "?")
    platform = target.platform or "this platform"
    if target.synthetic:
        return f"CPython {version} on {platform} (synthesized)"
    return f"CPython {version} on {platform} ({target.python})"


def _where_from(dependency: ResolvedDependency) -> str:
    where = str(dependency.provenance)
    if dependency.url is not None:
        where += f" {dependency.url}"
    if dependency.editable:
        where += " (editable)"
    return where


def _requested_by(dependency: ResolvedDependency) -> str:
    if dependency.direct:
        return "direct"
    if dependency.chain:
        return " -> ".join([*dependency.chain, dependency.name])
    # The file names no graph (a lock without edges, a flat requirements file).
    return "transitive"


# The JSON document.


def render_json(listing: DependencyListing) -> str:
    """Return the listing as indented JSON, ending with a newline."""
    return json.dumps(listing_to_dict(listing), indent=2) + "\n"


def listing_to_dict(listing: DependencyListing) -> dict[str, Any]:
    """Return the listing as the plain data of the ``deps`` JSON schema (version 1)."""
    target = listing.target
    return {
        "schema_version": DEPS_SCHEMA_VERSION,
        "tool": {"name": "readiness", "version": __version__},
        "target": {
            "tag": target.python_version,
            "platform": target.platform,
            "synthetic": target.synthetic,
            "python": str(target.python) if target.python is not None else None,
        },
        "input": {"path": str(listing.source), "kind": listing.kind},
        "distributions": [
            *(_resolved_to_dict(dependency) for dependency in listing.resolved),
            *(_skipped_to_dict(skipped) for skipped in listing.skipped),
        ],
    }


def _resolved_to_dict(dependency: ResolvedDependency) -> dict[str, Any]:
    return {
        "name": dependency.name,
        "version": str(dependency.version),
        "provenance": dependency.provenance.value,
        "url": dependency.url,
        "editable": dependency.editable,
        "direct": dependency.direct,
        "declared_at": _origin_to_dict(dependency.origin),
        "chain": list(dependency.chain),
        "skipped": False,
        "reason": None,
    }


def _skipped_to_dict(skipped: SkippedDependency) -> dict[str, Any]:
    return {
        "name": skipped.name,
        "version": str(skipped.version) if skipped.version is not None else None,
        "provenance": None,
        "url": None,
        "editable": False,
        "direct": None,
        "declared_at": _origin_to_dict(skipped.origin),
        "chain": [],
        "skipped": True,
        "reason": skipped.reason,
    }


def _origin_to_dict(origin: Origin) -> dict[str, Any]:
    return {"path": str(origin.path), "line": origin.line, "entry": origin.entry}


def deps_command(options: DepsCommandOptions, session: ScanSession, stderr: MessageConsole) -> int:
    """Run ``readiness deps``: write the listing and return 0.

    Raises :class:`readiness._errors.ReadinessError` for bad input, for which the command
    line's error boundary exits 2.
    """
    shared = options.shared
    target = session.listing_target(shared.python, shared.target, options.platform)
    resolver = shared.installer.to_resolver()
    if isinstance(resolver, UvResolver):
        resolver = LendingResolver(resolver, session.free_threaded_at_hand)
    source = find_source(shared.path or Path(), shared.selection, resolver)
    session.progress.start("reading dependencies")
    try:
        listing = list_dependencies(source, target)
    finally:
        session.progress.finish()
    write_report(options.output, lambda layout: options.format.render(listing, layout))
    direct = sum(1 for dependency in listing.resolved if dependency.direct)
    stderr.print(
        f"readiness: {len(listing.resolved)} distributions ({direct} direct, "
        f"{len(listing.resolved) - direct} transitive), {len(listing.skipped)} skipped, "
        f"for {escape_controls(describe_target(listing.target))}",
        markup=False,
        highlight=False,
    )
    return 0
