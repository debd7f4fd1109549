"""uv: ``uv pip install --python ENV/bin/python`` installs, ``uv pip compile`` resolves.

Both as the user has configured uv: their index, certificates and proxies.
"""

from __future__ import annotations

import re
import subprocess
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path

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
    url_path,
    version_of_location,
)
from readiness.model import Target
from readiness.sources.resolve import RequirementLine, ResolutionError, local_project_name

# uv prints "Built name==1.0" (or "Built name @ file:///...") on stderr for each wheel it
# builds from source (observed with uv 0.13.9, after "Building name==1.0").
_BUILT_LINE = re.compile(r"^\s*Built (?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:==| @ )")

BUILD_INFO_FILE = "uv_build.json"
"""What uv writes into the ``.dist-info`` of a wheel it built from source, and only there
(uv's crates/uv-distribution-types/src/installed.rs, ``read_build_info``). It marks a
source build that uv took from its cache this time, and so printed no ``Built`` line for."""


def built_in_output(lines: Iterable[str]) -> set[NormalizedName]:
    """Return the names of uv's ``Built ...`` lines."""
    built: set[NormalizedName] = set()
    for line in lines:
        match = _BUILT_LINE.match(line)
        if match:
            built.add(canonicalize_name(match["name"]))
    return built


def built_in_site_packages(site_packages: Iterable[Path]) -> set[NormalizedName]:
    """Return the installed distributions whose ``.dist-info`` carries uv's build record."""
    built: set[NormalizedName] = set()
    for folder in site_packages:
        for record in folder.glob(f"*.dist-info/{BUILD_INFO_FILE}"):
            # "name-1.0.dist-info": the name never holds "-" (the wheel spec escapes it).
            built.add(canonicalize_name(record.parent.name.split("-", 1)[0]))
    return built


class UvInstaller(Installer):
    """Install with ``uv pip install --python ENV/bin/python``."""

    name = "uv"
    spelled = "uv pip"
    no_build_options = ("--no-build",)

    def __init__(self, executable: Path) -> None:
        self.executable = executable

    def command(self, environment: ProbeEnvironment, action: Action, scratch: Path) -> list[str]:
        """Return ``uv pip ACTION --python ENV/bin/python``."""
        return [str(self.executable), "pip", action, "--python", str(environment.python)]

    def reinstall_options(self, names: Sequence[NormalizedName]) -> list[str]:
        """Return ``--reinstall-package NAME`` for each: uv then rebuilds it from its source."""
        return [option for name in names for option in ("--reinstall-package", name)]

    def built_from_source(
        self, environment: ProbeEnvironment, scratch: Path, lines: Sequence[str]
    ) -> set[NormalizedName]:
        """Return the names of uv's ``Built`` lines, and those carrying its build record."""
        return built_in_output(lines) | built_in_site_packages(environment.site_packages)


class UvResolver(InstallerResolver):
    """Resolve with ``uv pip compile``; the ``# via`` annotations give the graph."""

    name = "uv"

    def __init__(self, executable: Path) -> None:
        self.executable = executable

    def command(self, inputs: Inputs, target: Target) -> list[str]:
        """Return ``uv pip compile`` of ``inputs`` for ``target``."""
        return [
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
            *self._target_arguments(target, inputs.lines),
        ]

    def what(self, target: Target) -> str:
        """Name the command."""
        return "uv pip compile"

    def answer(
        self, completed: subprocess.CompletedProcess[str], inputs: Inputs, target: Target
    ) -> list[Resolved]:
        """Read uv's requirements output and its ``# via`` annotations."""
        return _parse_uv_output(completed.stdout, inputs.lines)

    def _target_arguments(
        self, target: Target, requirements: Sequence[RequirementLine]
    ) -> list[str]:
        if not target.synthetic:
            if target.python is None:
                raise no_python("uv", requirements)
            return ["--python", str(target.python)]
        # NOTE: uv's --python-version takes no "t" (astral-sh/uv#21149: "--python-version only
        # specifies the version, not the variant"); uv takes the free-threaded ABI from the
        # interpreter it runs, and the version and platform from these flags (checked with
        # uv 0.13.9: "You require free-threaded CPython 3.14 (`cp314t`)" with a 3.13t).
        if target.python is None:
            raise ResolutionError(
                "uv can resolve for a free-threaded Python it does not run only with a "
                "free-threaded interpreter of some version at hand, and none was given",
                path=first_path(requirements),
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


# uv's requirements.txt output: "name==1.0", "name @ url", "-e path", then "    # via ..."
# annotations (split style: "# via x" or "# via" followed by "#   x" lines).
_VIA_ONE = re.compile(r"^\s+# via (?P<source>.+)$")
_VIA_MORE = re.compile(r"^\s+#\s{3}(?P<source>.+)$")


def _parse_uv_output(text: str, requirements: Sequence[RequirementLine]) -> list[Resolved]:
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
) -> Resolved:
    if entry.startswith("-e "):
        location = entry.removeprefix("-e ").strip()
        # uv prints an editable as it was given, without its name: the line that gave it has it.
        named = next(
            (line.name for line in requirements if line.editable and line.text == location),
            None,
        )
        url = location if "://" in location else Path(location).as_uri()
        name = named or local_project_name(url_path(url) or Path(location))
        if name is None:
            raise ResolutionError(f"uv resolved the editable `{location}` to no name")
        return Resolved(
            name=name,
            version=version_of_location(url),
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
        return Resolved(
            name=name,
            version=version_of_location(requirement.url),
            url=requirement.url,
            parents=parents,
        )
    pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
    try:
        version = Version(pins[0])
    except (IndexError, InvalidVersion) as e:
        raise ResolutionError(f"uv printed no version for `{entry}`") from e
    return Resolved(name=name, version=version, parents=parents)
