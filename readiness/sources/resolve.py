"""Resolution by the installer itself: ``uv pip compile`` or ``pip install --dry-run --report``.

A source whose file leaves versions open (ranges, bare names, URLs, a pyproject.toml) hands
every line to a :class:`Resolver`, which asks the installer what it would install for the
target and returns the complete set, each distribution traced back to the line that asked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import tempfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from readiness._process import run_captured
from readiness._stream import error_tail
from readiness._uv import find_uv
from readiness.environment.pip import index_arguments, installer_environment
from readiness.installer_requirements import checked_line, write_requirements_file
from readiness.sources._tomlfile import read_toml
from readiness.sources.interface import (
    Dependency,
    IndexOptions,
    Origin,
    Provenance,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
    Target,
)

RESOLVE_TIMEOUT = 600.0
"""Seconds one resolution may take: building the metadata of a source tree takes a while."""

UNKNOWN_VERSION = Version("0")
"""The version reported for a URL, path or VCS distribution whose version the resolver does
not print (uv names none for a VCS checkout or a project with a dynamic version)."""

# Version-control URL schemes pip and uv accept (pip/_internal/vcs: git, hg, svn, bzr).
VCS_SCHEMES = ("git+", "hg+", "svn+", "bzr+")


class ResolutionError(SourceError):
    """Raised when the installer cannot resolve the requirements, or cannot be run to try."""


@dataclass(frozen=True)
class RequirementLine:
    """One requirement or constraint for the resolver, and the line that declared it."""

    text: str
    """What the installer is given, without a marker: a PEP 508 requirement (``requests>=2``,
    ``name @ url``), or an absolute path or URL where the line names no distribution."""

    origin: Origin
    """The file and line that declared it."""

    name: NormalizedName | None = None
    """The distribution it names, where that is known before resolution."""

    marker: Marker | None = None
    """Where it applies; evaluated for the target before resolution, so the installer never
    evaluates it for its own host (pip does, with ``--python-version``)."""

    extras: frozenset[NormalizedName] = frozenset()
    """Extras it asks for."""

    constraint: bool = False
    """A constraint (``-c``): it limits versions, it adds no distribution."""

    editable: bool = False
    """Installed in editable mode (``-e``)."""

    url: str | None = None
    """For a URL, path or VCS requirement: where it is, as a URL (``file://`` for a path)."""

    pinned: Version | None = None
    """The one version it pins (``name==1.0``), for reports of a skipped line."""

    def installer_line(self) -> str:
        """Return the line as it goes into a requirements file for the installer."""
        return f"-e {self.text}" if self.editable else self.text


@dataclass(frozen=True)
class _Resolved:
    """One distribution in the installer's answer, before it is traced to a line."""

    name: NormalizedName
    """Its name."""

    version: Version
    """Its version."""

    url: str | None = None
    """Where it comes from, for a direct reference."""

    editable: bool = False
    """Editable."""

    requested: bool = False
    """The installer says it was asked for by name or URL (pip's ``requested``)."""

    parents: frozenset[NormalizedName] = field(default_factory=frozenset)
    """The resolved distributions that require it."""


class Resolver(ABC):
    """An installer asked what it would install for a target."""

    name: str
    """The installer's name, for messages: ``uv`` or ``pip``."""

    @abstractmethod
    def resolve(
        self,
        requirements: Sequence[RequirementLine],
        target: Target,
        index_options: IndexOptions,
    ) -> list[ResolvedDependency]:
        """Return every distribution the installer would install for ``target``.

        Direct dependencies keep the origin of the line that names them; the others have
        ``direct=False``, the ``chain`` that pulls them in, and that chain's first origin.
        Raises :class:`ResolutionError` naming the file and line of the requirement the
        installer could not satisfy, where its message tells which.
        """


def collect_resolved(
    lines: Sequence[RequirementLine],
    target: Target,
    index_options: IndexOptions,
    resolver: Resolver,
) -> list[Dependency]:
    """Resolve ``lines`` for ``target``; a line whose marker is false is reported skipped.

    One result per name; a name resolved from any line is not also reported skipped.
    Raises :class:`SourceError` for a marker that cannot be evaluated, and what
    :meth:`Resolver.resolve` raises.
    """
    applicable: list[RequirementLine] = []
    skipped: dict[NormalizedName, SkippedDependency] = {}
    for line in lines:
        if _marker_holds(line, target):
            applicable.append(line)
        elif line.name is not None and not line.constraint:
            skipped.setdefault(
                line.name,
                SkippedDependency(
                    name=line.name,
                    origin=line.origin,
                    reason=f"marker `{line.marker}` is false for this interpreter",
                    version=line.pinned,
                ),
            )
    if any(not line.constraint for line in applicable):
        found = resolver.resolve(applicable, target, index_options)
    else:
        found = []
    names = {dependency.name for dependency in found}
    return [*found, *(dep for name, dep in skipped.items() if name not in names)]


def _marker_holds(line: RequirementLine, target: Target) -> bool:
    if line.marker is None:
        return True
    try:
        # pip evaluates a requirements line with extra "" (req_install.match_markers).
        return line.marker.evaluate(dict(target.marker_environment) | {"extra": ""})
    except (UndefinedComparison, UndefinedEnvironmentName) as e:
        raise SourceError(
            f"marker `{line.marker}` cannot be evaluated: {e}",
            path=line.origin.path,
            line=line.origin.line,
        ) from e


def pick_resolver(prefer: Literal["uv", "pip"] | None = None) -> Resolver:
    """Return the resolver to use: ``prefer`` if given, else uv where installed, else pip.

    Raises :class:`ResolutionError` when uv is asked for and is not installed.
    """
    uv = find_uv() if prefer != "pip" else None
    if uv is not None:
        return UvResolver(uv)
    if prefer == "uv":
        raise ResolutionError(
            "uv is not installed: it is neither on PATH nor installed as a Python package",
            hint="install uv (`pip install uv`), or pass --installer pip",
        )
    return PipResolver()


class UvResolver(Resolver):
    """Resolve with ``uv pip compile``; the ``# via`` annotations give the graph."""

    name = "uv"

    def __init__(self, executable: Path, *, timeout: float = RESOLVE_TIMEOUT) -> None:
        self.executable = executable
        self.timeout = timeout

    def resolve(
        self,
        requirements: Sequence[RequirementLine],
        target: Target,
        index_options: IndexOptions,
    ) -> list[ResolvedDependency]:
        """Run ``uv pip compile`` for ``target`` and trace its answer to ``requirements``."""
        with tempfile.TemporaryDirectory(prefix="readiness-resolve-") as scratch:
            inputs = _write_inputs(Path(scratch), requirements)
            argv = [
                str(self.executable),
                "pip",
                "compile",
                str(inputs.requirements),
                *(["--constraints", str(inputs.constraints)] if inputs.constraints else []),
                "--no-header",
                "--annotation-style",
                "split",
                # Never download an interpreter only to resolve (uv does for --python-version).
                "--no-python-downloads",
                *self._target_arguments(target, requirements),
                *index_arguments(index_options),
            ]
            completed = _run(argv, what="uv pip compile", timeout=self.timeout)
        if completed.returncode != 0:
            raise _unsatisfiable("uv", completed, requirements)
        return _trace(_parse_uv_output(completed.stdout, requirements), requirements, target)

    def _target_arguments(
        self, target: Target, requirements: Sequence[RequirementLine]
    ) -> list[str]:
        if not target.synthetic:
            if target.python is None:
                raise _no_python("uv", requirements)
            return ["--python", str(target.python)]
        # NOTE: uv's --python-version takes no "t" (astral-sh/uv#21149: "--python-version only
        # specifies the version, not the variant"); uv takes the free-threaded ABI from the
        # interpreter it runs, and the version and platform from these flags (checked with
        # uv 0.13.9: "You require free-threaded CPython 3.14 (`cp314t`)" with a 3.13t).
        if target.python is None:
            raise ResolutionError(
                "uv can resolve for a free-threaded Python it does not run only with a "
                "free-threaded interpreter of some version at hand, and none was given",
                path=_first_path(requirements),
                hint="pass a free-threaded interpreter, or resolve with pip (--installer pip)",
            )
        arguments = ["--python", str(target.python)]
        if target.python_version is not None:
            arguments += ["--python-version", target.python_version.removesuffix("t")]
        if target.platform is not None:
            platform = uv_python_platform(target.platform)
            if platform is not None:
                arguments += ["--python-platform", platform]
        return arguments


def uv_python_platform(platform: str) -> str | None:
    """Return uv's ``--python-platform`` for a ``sysconfig`` platform; None for this host's."""
    # The values are uv's (`uv pip compile --help`, --python-platform, uv 0.13.9).
    if platform == sysconfig.get_platform():
        return None
    if platform.startswith("linux-"):
        # x86_64-manylinux_2_28 is what x86_64-unknown-linux-gnu stands for in uv's docs.
        return f"{platform.removeprefix('linux-')}-manylinux_2_28"
    windows = {
        "win-amd64": "x86_64-pc-windows-msvc",
        "win32": "i686-pc-windows-msvc",
        "win-arm64": "aarch64-pc-windows-msvc",
    }
    if platform in windows:
        return windows[platform]
    if platform.startswith("macosx-"):
        return "aarch64-apple-darwin" if platform.endswith("arm64") else "x86_64-apple-darwin"
    return None


class PipResolver(Resolver):
    """Resolve with ``pip install --dry-run --ignore-installed --report``."""

    name = "pip"

    def __init__(self, *, timeout: float = RESOLVE_TIMEOUT) -> None:
        self.timeout = timeout

    def resolve(
        self,
        requirements: Sequence[RequirementLine],
        target: Target,
        index_options: IndexOptions,
    ) -> list[ResolvedDependency]:
        """Run pip's dry run for ``target`` and trace its report to ``requirements``."""
        if not target.synthetic and target.python is None:
            raise _no_python("pip", requirements)
        # A synthesized target without an interpreter: readiness's own pip, told the target.
        python = target.python or Path(sys.executable)
        with tempfile.TemporaryDirectory(prefix="readiness-resolve-") as scratch:
            inputs = _write_inputs(Path(scratch), requirements)
            # NOTE: a file, not `--report -`: pip's own messages then never mix into the JSON.
            report = Path(scratch) / "report.json"
            argv = [
                str(python),
                "-I",
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--ignore-installed",
                "--no-input",
                "--progress-bar",
                "off",
                "--report",
                str(report),
                "-r",
                str(inputs.requirements),
                *(["-c", str(inputs.constraints)] if inputs.constraints else []),
                *_pip_target_arguments(target, Path(scratch) / "target"),
                *index_arguments(index_options),
            ]
            completed = _run(argv, what=f"pip (with {python})", timeout=self.timeout)
            if completed.returncode != 0:
                raise _unsatisfiable(
                    "pip", completed, requirements, why=_why_pip_cannot(completed, target, python)
                )
            try:
                data = json.loads(report.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise ResolutionError(
                    f"pip wrote no readable report: {e}", path=_first_path(requirements)
                ) from e
        return _trace(_parse_pip_report(data, target), requirements, target)


def _pip_target_arguments(target: Target, scratch: Path) -> list[str]:
    if not target.synthetic:
        return []
    # pip selects for another interpreter only among wheels (pip's docs, `pip download`:
    # --platform, --python-version, --implementation and --abi need --only-binary=:all:),
    # and before pip 24 only with --target, even on a dry run (nothing is written there).
    arguments = ["--only-binary", ":all:", "--implementation", "cp", "--target", str(scratch)]
    if target.python_version is not None:
        version = target.python_version.removesuffix("t")
        arguments += ["--python-version", version]
        arguments += ["--abi", f"cp{version.replace('.', '')}"]
        if target.python_version.endswith("t"):
            arguments[-1] += "t"
    platforms = dict.fromkeys(tag.platform for tag in target.tags if tag.platform != "any")
    for platform in platforms:
        arguments += ["--platform", platform]
    return arguments


@dataclass(frozen=True)
class _Inputs:
    """The files the installer reads."""

    requirements: Path
    """The requirements file."""

    constraints: Path | None
    """The constraints file, if any line is a constraint."""


def _write_inputs(folder: Path, requirements: Sequence[RequirementLine]) -> _Inputs:
    """Write the installer's files; raises :class:`UnsafeRequirement` at the line to refuse."""
    # Checked here first only to name the file and line; the writer checks every line again.
    lines = [(checked_line(line.installer_line(), line.origin), line) for line in requirements]
    wanted = [text for text, line in lines if not line.constraint]
    limits = [text for text, line in lines if line.constraint]
    requirements_file = write_requirements_file(folder / "requirements.in", wanted)
    constraints_file = None
    if limits:
        constraints_file = write_requirements_file(folder / "constraints.txt", limits)
    return _Inputs(requirements=requirements_file, constraints=constraints_file)


def _run(argv: Sequence[str], *, what: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return run_captured(
        argv,
        timeout=timeout,
        error=ResolutionError,
        what=what,
        task="finish resolving",
        env=installer_environment(),
    )


def _first_path(requirements: Sequence[RequirementLine]) -> Path | None:
    return requirements[0].origin.path if requirements else None


def _no_python(installer: str, requirements: Sequence[RequirementLine]) -> ResolutionError:
    return ResolutionError(
        f"{installer} needs the target's interpreter to resolve for it, and the target names none",
        path=_first_path(requirements),
    )


def _unsatisfiable(
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
        path=where.path if where is not None else _first_path(requirements),
        line=where.line if where is not None else None,
        hint=hint,
    )


# pip's words when a distribution's Requires-Python excludes the Python it checks against
# (pip 23.2: "Package 'x' requires a different Python: 3.11.7 not in '>=3.12'").
_OTHER_PYTHON = re.compile(r"requires a different Python\W+(?P<checked>\d+(?:\.\d+)+) not in")

# pip's words when no file of a distribution suits the target.
_NO_FILE = re.compile(r"no matching distribution|from versions: none", flags=re.IGNORECASE)


def _why_pip_cannot(
    completed: subprocess.CompletedProcess[str], target: Target, python: Path
) -> tuple[str, str] | None:
    """Say why pip cannot resolve for ``target``, a Python it does not run; None if it could."""
    if not target.synthetic:
        return None
    output = f"{completed.stdout or ''}\n{completed.stderr or ''}"
    wanted = (target.python_version or "").removesuffix("t")
    checked = _OTHER_PYTHON.search(output)
    if checked is not None and wanted and not checked["checked"].startswith(f"{wanted}."):
        # NOTE: pip 23.2's `install` passes --python-version to the choice of files but not to
        # the resolver's Requires-Python check (pip/_internal/commands/install.py gives
        # make_resolver no py_version_info; `pip download` does); pip 25.1 passes it.
        return (
            f"\npip checked Requires-Python against the Python it runs on ({python}, "
            f"{checked['checked']}), not against the target {target.python_version}: this pip "
            "applies --python-version to the files it picks but not to that check, so it "
            "cannot resolve for another Python version",
            f"resolve with uv (--installer uv), give --python a {target.python_version} "
            "interpreter, or pin every line (name==version) so that nothing needs resolving",
        )
    if _NO_FILE.search(output):
        return (
            f"\npip resolved for a Python it does not run ({target.python_version}), where it "
            "considers wheels only (--only-binary :all:, as pip requires with --python-version "
            "and --platform): an sdist that would build for the target is not considered",
            f"resolve with uv (--installer uv), give --python a {target.python_version} "
            "interpreter, or pin every line (name==version) so that nothing needs resolving",
        )
    return None


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


# uv's requirements.txt output: "name==1.0", "name @ url", "-e path", then "    # via ..."
# annotations (split style: "# via x" or "# via" followed by "#   x" lines).
_VIA_ONE = re.compile(r"^\s+# via (?P<source>.+)$")
_VIA_MORE = re.compile(r"^\s+#\s{3}(?P<source>.+)$")


def _parse_uv_output(text: str, requirements: Sequence[RequirementLine]) -> list[_Resolved]:
    entries: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0].isspace():
            annotation = _VIA_ONE.match(line) or _VIA_MORE.match(line)
            if annotation is not None and entries:
                entries[-1][1].append(annotation["source"].strip())
            continue
        if line.startswith("#"):
            continue
        entries.append((line.strip(), []))
    resolved = []
    for entry, via in entries:
        parents = frozenset(
            canonicalize_name(source)
            for source in via
            if not source.startswith(("-r ", "-c ", "--override", "--"))
        )
        resolved.append(_parse_uv_entry(entry, parents, requirements))
    return resolved


def _parse_uv_entry(
    entry: str, parents: frozenset[NormalizedName], requirements: Sequence[RequirementLine]
) -> _Resolved:
    if entry.startswith("-e "):
        location = entry.removeprefix("-e ").strip()
        # uv prints an editable as it was given, without its name: the line that gave it has it.
        named = next(
            (line.name for line in requirements if line.editable and line.text == location),
            None,
        )
        url = location if "://" in location else Path(location).as_uri()
        name = named or local_project_name(_url_path(url) or Path(location))
        if name is None:
            raise ResolutionError(f"uv resolved the editable `{location}` to no name")
        return _Resolved(
            name=name,
            version=_version_of_location(url),
            url=url,
            editable=True,
            parents=parents,
        )
    try:
        requirement = Requirement(entry)
    except InvalidRequirement as e:
        raise ResolutionError(f"uv printed a line readiness cannot read: `{entry}`") from e
    name = canonicalize_name(requirement.name)
    if requirement.url:
        return _Resolved(
            name=name,
            version=_version_of_location(requirement.url),
            url=requirement.url,
            parents=parents,
        )
    pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
    try:
        version = Version(pins[0])
    except (IndexError, InvalidVersion) as e:
        raise ResolutionError(f"uv printed no version for `{entry}`") from e
    return _Resolved(name=name, version=version, parents=parents)


def _parse_pip_report(data: Any, target: Target) -> list[_Resolved]:
    """Read pip's installation report (https://pip.pypa.io/en/stable/reference/installation-report/)."""
    try:
        items = [item for item in data["install"] if isinstance(item, dict)]
    except (KeyError, TypeError) as e:
        raise ResolutionError("pip's report has no `install` list") from e
    entries: list[tuple[_Resolved, list[Requirement], list[str]]] = []
    for item in items:
        try:
            metadata = item["metadata"]
            name = canonicalize_name(str(metadata["name"]))
            version = Version(str(metadata["version"]))
        except (KeyError, TypeError, InvalidVersion) as e:
            raise ResolutionError(f"pip's report has an entry readiness cannot read: {e}") from e
        url, editable = _pip_location(item)
        requires: list[Requirement] = []
        for text in metadata.get("requires_dist") or ():
            try:
                requires.append(Requirement(str(text)))
            except InvalidRequirement:
                continue
        entry = _Resolved(
            name=name,
            version=version,
            url=url,
            editable=editable,
            requested=bool(item.get("requested")),
        )
        entries.append((entry, requires, [str(e) for e in item.get("requested_extras") or ()]))
    names = {entry.name for entry, _, _ in entries}
    parents: dict[NormalizedName, set[NormalizedName]] = {name: set() for name in names}
    environment = dict(target.marker_environment)
    for entry, requires, extras in entries:
        for requirement in requires:
            child = canonicalize_name(requirement.name)
            if child in names and _requires_here(requirement.marker, environment, extras):
                parents[child].add(entry.name)
    return [
        _Resolved(
            name=entry.name,
            version=entry.version,
            url=entry.url,
            editable=entry.editable,
            requested=entry.requested,
            parents=frozenset(parents[entry.name]),
        )
        for entry, _, _ in entries
    ]


def _requires_here(marker: Marker | None, environment: dict[str, str], extras: list[str]) -> bool:
    if marker is None:
        return True
    try:
        return any(marker.evaluate(environment | {"extra": extra}) for extra in ["", *extras])
    except (UndefinedComparison, UndefinedEnvironmentName):
        return True


def _pip_location(item: Mapping[str, Any]) -> tuple[str | None, bool]:
    """Return the URL of a direct reference (None from an index) and whether it is editable."""
    if not item.get("is_direct"):
        return None, False
    info = item.get("download_info") or {}
    url = str(info.get("url", ""))
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        # PEP 610 (direct_url.json): the URL without the scheme prefix, the commit beside it.
        return f"{vcs.get('vcs', 'git')}+{url}@{vcs.get('commit_id', '')}".rstrip("@"), False
    directory = info.get("dir_info")
    editable = isinstance(directory, dict) and bool(directory.get("editable"))
    return url or None, editable


def _trace(
    found: Sequence[_Resolved], requirements: Sequence[RequirementLine], target: Target
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
    chains = _chains(list(direct_lines), children)
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


def _unnamed_match(entry: _Resolved, unnamed: Sequence[RequirementLine]) -> list[RequirementLine]:
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


def _chains(
    direct: Iterable[NormalizedName], children: Mapping[NormalizedName, set[NormalizedName]]
) -> dict[NormalizedName, tuple[NormalizedName, ...]]:
    """Return, for each reachable distribution, the shortest chain from a direct one to it."""
    chains: dict[NormalizedName, tuple[NormalizedName, ...]] = {}
    queue: deque[tuple[NormalizedName, tuple[NormalizedName, ...]]] = deque(
        (name, ()) for name in direct
    )
    seen = set(direct)
    while queue:
        name, chain = queue.popleft()
        for child in sorted(children.get(name, ())):
            if child not in seen:
                seen.add(child)
                chains[child] = (*chain, name)
                queue.append((child, (*chain, name)))
    return chains


def _provenance(url: str | None) -> Provenance:
    if url is None:
        return Provenance.INDEX
    if url.startswith(VCS_SCHEMES):
        return Provenance.VCS
    if url.startswith("file:"):
        return Provenance.PATH
    return Provenance.URL


def _url_path(url: str) -> Path | None:
    if not url.startswith("file:"):
        return None
    return Path(unquote(urlsplit(url).path))


def _version_of_location(url: str) -> Version:
    """Return the version a direct reference's file name or project says, where it says one."""
    if url.startswith(VCS_SCHEMES):
        return UNKNOWN_VERSION
    filename = unquote(urlsplit(url).path).rstrip("/").rsplit("/", 1)[-1]
    try:
        return parse_wheel_filename(filename)[1]
    except InvalidWheelFilename:
        pass
    try:
        return parse_sdist_filename(filename)[1]
    except InvalidSdistFilename:
        pass
    folder = _url_path(url)
    if folder is not None:
        static = _static_project_field(folder, "version")
        if static is not None:
            try:
                return Version(static)
            except InvalidVersion:
                pass
    return UNKNOWN_VERSION


def local_project_name(folder: Path) -> NormalizedName | None:
    """Return the static ``[project] name`` of the project in ``folder``, if it has one."""
    name = _static_project_field(folder, "name")
    return canonicalize_name(name) if name else None


def _static_project_field(folder: Path, key: str) -> str | None:
    try:
        project = read_toml(folder / "pyproject.toml").get("project", {})
    except SourceError:
        return None
    value = project.get(key) if isinstance(project, dict) else None
    return value if isinstance(value, str) else None
