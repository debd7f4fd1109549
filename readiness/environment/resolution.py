"""What the uv and pip resolvers share: the run, and tracing the answer to the lines.

Their input files, their run, the error that blames a line, and tracing the installer's
answer back to the lines that asked.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from readiness._process import run_captured
from readiness._stream import error_tail
from readiness.environment.command import index_arguments, installer_environment
from readiness.installer_requirements import checked_line, write_requirements_file
from readiness.model import IndexOptions, Target
from readiness.sources._chains import shortest_chains
from readiness.sources.interface import Provenance, ResolvedDependency
from readiness.sources.resolve import (
    UNKNOWN_VERSION,
    VCS_SCHEMES,
    RequirementLine,
    ResolutionError,
    Resolver,
    local_project_version,
)


@dataclass(frozen=True)
class Resolved:
    """One distribution in the installer's answer, before it is traced to a line."""

    name: NormalizedName
    """Its name."""

    version: Version
    """Its version."""

    url: str | None = None
    """Where it comes from, for a direct reference."""

    editable: bool = False
    """Editable."""

    parents: frozenset[NormalizedName] = field(default_factory=frozenset)
    """The resolved distributions that require it."""


RESOLVE_TIMEOUT = 600.0
"""Seconds one resolution may take: building the metadata of a source tree takes a while."""


class InstallerResolver(Resolver):
    """A resolver that runs an installer on files in a scratch folder, then traces its answer.

    The run, the error of a failed run and the tracing are shared here; an installer supplies
    only its own words: :meth:`command`, :meth:`what`, :meth:`answer` and :meth:`why_not`.
    """

    timeout: float = RESOLVE_TIMEOUT
    """Seconds one resolution may take."""

    def resolve(
        self, requirements: Sequence[RequirementLine], target: Target, index_options: IndexOptions
    ) -> list[ResolvedDependency]:
        """Ask the installer what it would install for ``target``; trace it to ``requirements``.

        Raises :class:`ResolutionError` when the installer cannot be run, does not finish, or
        fails (at the line its message names), and
        :class:`readiness.installer_requirements.UnsafeRequirement` at a line to refuse.
        """
        with tempfile.TemporaryDirectory(prefix="readiness-resolve-") as folder:
            scratch = Path(folder)
            inputs = write_inputs(scratch, requirements)
            completed = run_captured(
                [*self.command(inputs, target), *index_arguments(index_options)],
                timeout=self.timeout,
                error=ResolutionError,
                what=self.what(target),
                task="finish resolving",
                env=installer_environment(),
            )
            if completed.returncode != 0:
                raise unsatisfiable(
                    self.name, completed, requirements, why=self.why_not(completed, target)
                )
            found = self.answer(completed, inputs, target)
        return trace(found, requirements, target)

    @abstractmethod
    def command(self, inputs: Inputs, target: Target) -> list[str]:
        """Return the command that resolves ``inputs`` for ``target``, but the index flags.

        Raises :class:`ResolutionError` (at the first of ``inputs.lines``) when this installer
        cannot resolve for ``target``.
        """

    @abstractmethod
    def what(self, target: Target) -> str:
        """Name the command that resolves for ``target``, for messages."""

    @abstractmethod
    def answer(
        self, completed: subprocess.CompletedProcess[str], inputs: Inputs, target: Target
    ) -> list[Resolved]:
        """Read what the installer would install from its finished run."""

    def why_not(
        self, completed: subprocess.CompletedProcess[str], target: Target
    ) -> tuple[str, str] | None:
        """Say why the installer cannot resolve for ``target``: an explanation and a hint.

        None (the default) where the requirements themselves are the likely cause.
        """
        return None


@dataclass(frozen=True)
class Inputs:
    """The files the installer reads, in a scratch folder, and the lines written into them."""

    lines: Sequence[RequirementLine]
    """The lines, for an error that points at one."""

    folder: Path
    """The scratch folder: what the installer writes goes there too."""

    requirements: Path
    """The requirements file."""

    constraints: Path | None
    """The constraints file, if any line is a constraint."""


def write_inputs(folder: Path, requirements: Sequence[RequirementLine]) -> Inputs:
    """Write the installer's files; raises :class:`UnsafeRequirement` at the line to refuse."""
    # Checked here first only to name the file and line; the writer checks every line again.
    lines = [(checked_line(line.installer_line(), line.origin), line) for line in requirements]
    wanted = [text for text, line in lines if not line.constraint]
    limits = [text for text, line in lines if line.constraint]
    requirements_file = write_requirements_file(folder / "requirements.in", wanted)
    constraints_file = None
    if limits:
        constraints_file = write_requirements_file(folder / "constraints.txt", limits)
    return Inputs(
        lines=requirements,
        folder=folder,
        requirements=requirements_file,
        constraints=constraints_file,
    )


def first_path(requirements: Sequence[RequirementLine]) -> Path | None:
    """Return the file of the first requirement: where an error about them all points."""
    return requirements[0].origin.path if requirements else None


def no_python(installer: str, requirements: Sequence[RequirementLine]) -> ResolutionError:
    """Return the error for a real target that names no interpreter to resolve with."""
    return ResolutionError(
        f"{installer} needs the target's interpreter to resolve for it, and the target names none",
        path=first_path(requirements),
    )


def unsatisfiable(
    installer: str,
    completed: subprocess.CompletedProcess[str],
    requirements: Sequence[RequirementLine],
    *,
    why: tuple[str, str] | None = None,
) -> ResolutionError:
    """Return the error for a failed resolution, at the line the installer's message names.

    ``why`` is an explanation and a hint, where readiness knows why the installer cannot do
    it for this target (rather than the requirements being unsatisfiable).
    """
    # Progress on stdout first, so that the last lines are the error on stderr.
    output = (completed.stdout or "") + "\n" + (completed.stderr or "")
    tail = error_tail(output.splitlines(), count=12)
    # Blame from the first error line on: before it, pip lists every requirement it collects.
    lines = tail.splitlines()
    first_error = next((i for i, text in enumerate(lines) if _ERROR_LINE.match(text)), 0)
    blamed = _blame("\n".join(lines[first_error:]), requirements)
    where = blamed.origin if blamed is not None else None
    explanation, hint = why or (
        "",
        "loosen or fix the requirement the installer names, or check the index options",
    )
    return ResolutionError(
        f"{installer} cannot resolve the requirements for this interpreter "
        f"(exit status {completed.returncode}):\n{tail}{explanation}",
        path=where.path if where is not None else first_path(requirements),
        line=where.line if where is not None else None,
        hint=hint,
    )


# pip writes "ERROR: ...", uv "error: ..." (observed with pip 23.2 to 25.1 and uv 0.13.9).
_ERROR_LINE = re.compile(r"^\s*error\b", flags=re.IGNORECASE)


def _blame(message: str, requirements: Sequence[RequirementLine]) -> RequirementLine | None:
    """Return the line whose distribution the installer's message names first."""
    best: tuple[int, int, RequirementLine] | None = None
    for position, line in enumerate(requirements):
        if line.name is None:
            continue
        # A name matches however its separators are spelled (PEP 503 normalization).
        spelled = r"[-_.]+".join(re.escape(part) for part in line.name.split("-"))
        found = re.search(rf"(?<![\w.-]){spelled}(?![\w-])", message, flags=re.IGNORECASE)
        if found is not None and (best is None or (found.start(), position) < best[:2]):
            best = (found.start(), position, line)
    return best[2] if best is not None else None


def trace(
    found: Sequence[Resolved], requirements: Sequence[RequirementLine], target: Target
) -> list[ResolvedDependency]:
    """Turn the installer's answer into dependencies traced to the lines that ask for them."""
    asked = [line for line in requirements if not line.constraint]
    by_name: dict[NormalizedName, list[RequirementLine]] = {}
    for line in asked:
        if line.name is not None:
            by_name.setdefault(line.name, []).append(line)
    unnamed = [line for line in asked if line.name is None]
    direct_lines: dict[NormalizedName, list[RequirementLine]] = {}
    for entry in found:
        lines = by_name.get(entry.name) or _unnamed_match(entry, unnamed)
        if lines:
            direct_lines[entry.name] = lines
    children: dict[NormalizedName, set[NormalizedName]] = {}
    for entry in found:
        for parent in entry.parents:
            children.setdefault(parent, set()).add(entry.name)
    chains = shortest_chains(list(direct_lines), children)
    fallback = asked[0].origin if asked else requirements[0].origin
    results = []
    for entry in found:
        provenance = _provenance(entry.url)
        chosen = direct_lines.get(entry.name)
        if chosen:
            lines = chosen
            extras = frozenset(extra for line in lines for extra in line.extras)
            results.append(
                ResolvedDependency(
                    name=entry.name,
                    origin=lines[0].origin,
                    version=entry.version,
                    direct=True,
                    extras=extras,
                    provenance=provenance,
                    url=entry.url,
                    editable=entry.editable or any(line.editable for line in lines),
                )
            )
            continue
        chain = chains.get(entry.name, ())
        origin = direct_lines[chain[0]][0].origin if chain else fallback
        results.append(
            ResolvedDependency(
                name=entry.name,
                origin=origin,
                version=entry.version,
                direct=False,
                provenance=provenance,
                url=entry.url,
                editable=entry.editable,
                chain=chain,
            )
        )
    return results


def _unnamed_match(entry: Resolved, unnamed: Sequence[RequirementLine]) -> list[RequirementLine]:
    """Return the unnamed lines (a bare path or URL) that ``entry`` was resolved from."""
    if entry.url is None:
        return []
    where = _comparable_location(entry.url)
    return [line for line in unnamed if line.url and _comparable_location(line.url) == where]


def _comparable_location(url: str) -> str:
    for scheme in VCS_SCHEMES:
        url = url.removeprefix(scheme)
    parts = urlsplit(url)
    path = parts.path.rsplit("@", 1)[0] if "@" in parts.path else parts.path
    return f"{parts.scheme}://{parts.netloc}{unquote(path).rstrip('/')}"


def _provenance(url: str | None) -> Provenance:
    if url is None:
        return Provenance.INDEX
    if url.startswith(VCS_SCHEMES):
        return Provenance.VCS
    if url.startswith("file:"):
        return Provenance.PATH
    return Provenance.URL


def url_path(url: str) -> Path | None:
    """Return the local path of a ``file:`` URL; None for any other URL."""
    if not url.startswith("file:"):
        return None
    return Path(unquote(urlsplit(url).path))


def version_of_location(url: str) -> Version:
    """Return the version a direct reference's file name or project says, where it says one."""
    if url.startswith(VCS_SCHEMES):
        return UNKNOWN_VERSION
    filename = unquote(urlsplit(url).path).rstrip("/").rsplit("/", 1)[-1]
    for parse in (parse_wheel_filename, parse_sdist_filename):
        try:
            return parse(filename)[1]
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
    folder = url_path(url)
    static = local_project_version(folder) if folder is not None else None
    return static if static is not None else UNKNOWN_VERSION
