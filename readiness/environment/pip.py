"""pip: the probe environment's own pip installs, readiness's (or the target's) pip resolves.

Both as the user has configured pip: their index, certificates and proxies.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from packaging.markers import Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness.environment.interface import Action, Installer, ProbeEnvironment
from readiness.environment.resolution import (
    Inputs,
    InstallerResolver,
    Resolved,
    first_path,
    no_python,
)
from readiness.model import Target
from readiness.sources.resolve import ResolutionError

REPORT = "report.json"
"""The installation report pip writes into the scratch folder (``--report``): a file, not
``--report -``, so that pip's own messages never mix into the JSON."""


class PipInstaller(Installer):
    """Install with ``ENV/bin/python -m pip install``, the pip inside the probe environment."""

    name = "pip"
    spelled = "pip"
    # pip's spelling of "never build": only wheels, for every distribution.
    no_build_options = ("--only-binary", ":all:")

    def command(self, environment: ProbeEnvironment, action: Action, scratch: Path) -> list[str]:
        """Return ``ENV/bin/python -m pip ACTION`` and pip's own options for it."""
        start = [str(environment.python), "-m", "pip", action]
        if action == "uninstall":
            return [*start, "--yes"]
        # The report says where each distribution came from: an sdist means a build.
        return [*start, "--no-input", "--progress-bar", "off", "--report", str(scratch / REPORT)]

    def reinstall_options(self, names: Sequence[NormalizedName]) -> list[str]:
        """Return ``--force-reinstall``: pip has no per-name form, and builds a folder afresh.

        Every requirement of that command is installed again, so it is given with
        ``--no-deps`` and the names alone.
        """
        return ["--force-reinstall"]

    def built_from_source(
        self, environment: ProbeEnvironment, scratch: Path, lines: Sequence[str]
    ) -> set[NormalizedName]:
        """Return the names pip's report shows built, else its ``Successfully built`` line."""
        built = built_in_report(scratch / REPORT)
        return built if built is not None else built_in_output(lines)


def built_in_report(report: Path) -> set[NormalizedName] | None:
    """Return the names pip's ``--report`` shows coming from source; None without a report.

    An sdist or a source tree was built into a wheel here, even when pip took that wheel from
    its own cache: the report names the original source, not the cached wheel
    (https://pip.pypa.io/en/stable/reference/installation-report/).
    """
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
        items = data["install"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    built: set[NormalizedName] = set()
    for item in items if isinstance(items, list) else ():
        try:
            name = canonicalize_name(str(item["metadata"]["name"]))
            info = item.get("download_info") or {}
        except (KeyError, TypeError, AttributeError):
            continue
        if _from_source(info):
            built.add(name)
    return built


def _from_source(download_info: dict[str, object]) -> bool:
    # PEP 610 (direct_url.json) shapes: a local or VCS tree is built; an archive is built
    # unless it is a wheel.
    if "dir_info" in download_info or "vcs_info" in download_info:
        return True
    url = str(download_info.get("url", ""))
    return bool(url) and not url.split("#", 1)[0].split("?", 1)[0].endswith(".whl")


_SUCCESSFULLY_BUILT = re.compile(r"^Successfully built (?P<names>.+)$")


def built_in_output(lines: Iterable[str]) -> set[NormalizedName]:
    """Return the names in pip's ``Successfully built a b`` line (when it wrote no report)."""
    built: set[NormalizedName] = set()
    for line in lines:
        match = _SUCCESSFULLY_BUILT.match(line.strip())
        if match:
            built.update(canonicalize_name(name) for name in match["names"].split())
    return built


class PipResolver(InstallerResolver):
    """Resolve with ``pip install --dry-run --ignore-installed --report``."""

    name = "pip"

    def command(self, inputs: Inputs, target: Target) -> list[str]:
        """Return pip's dry run for ``target``, with the target's interpreter where it has one."""
        if not target.synthetic and target.python is None:
            raise no_python("pip", inputs.lines)
        return [
            str(_resolving_python(target)),
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
            str(inputs.folder / REPORT),
            "-r",
            str(inputs.requirements),
            *(["-c", str(inputs.constraints)] if inputs.constraints else []),
            *_pip_target_arguments(target, inputs.folder / "target"),
        ]

    def what(self, target: Target) -> str:
        """Name pip and the interpreter it runs with."""
        return f"pip (with {_resolving_python(target)})"

    def answer(
        self, completed: subprocess.CompletedProcess[str], inputs: Inputs, target: Target
    ) -> list[Resolved]:
        """Read pip's installation report."""
        try:
            data = json.loads((inputs.folder / REPORT).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ResolutionError(
                f"pip wrote no readable report: {e}", path=first_path(inputs.lines)
            ) from e
        return _parse_pip_report(data, target)

    def why_not(
        self, completed: subprocess.CompletedProcess[str], target: Target
    ) -> tuple[str, str] | None:
        """Say why pip cannot resolve for a synthesized target, where its output tells."""
        return _why_pip_cannot(completed, target, _resolving_python(target))


def _resolving_python(target: Target) -> Path:
    # A synthesized target without an interpreter: readiness's own pip, told the target.
    return target.python or Path(sys.executable)


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


def _parse_pip_report(data: Any, target: Target) -> list[Resolved]:
    """Read pip's installation report (https://pip.pypa.io/en/stable/reference/installation-report/)."""
    try:
        items = [item for item in data["install"] if isinstance(item, dict)]
    except (KeyError, TypeError) as e:
        raise ResolutionError("pip's report has no `install` list") from e
    entries: list[tuple[Resolved, list[Requirement], list[str]]] = []
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
        entry = Resolved(name=name, version=version, url=url, editable=editable)
        entries.append((entry, requires, [str(e) for e in item.get("requested_extras") or ()]))
    names = {entry.name for entry, _, _ in entries}
    parents: dict[NormalizedName, set[NormalizedName]] = {name: set() for name in names}
    environment = dict(target.marker_environment)
    for entry, requires, extras in entries:
        for requirement in requires:
            child = canonicalize_name(requirement.name)
            if child in names and _requires_here(requirement.marker, environment, extras):
                parents[child].add(entry.name)
    return [replace(entry, parents=frozenset(parents[entry.name])) for entry, _, _ in entries]


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
