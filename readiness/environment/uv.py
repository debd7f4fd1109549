"""Install with uv (``uv pip install --python ENV/bin/python``), as the user has configured it."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from readiness.environment.interface import (
    Installer,
    ProbeEnvironment,
)
from readiness.environment.pip import INSTALL_TIMEOUT, index_arguments, run_install
from readiness.installer_requirements import requirements_arguments
from readiness.sources.interface import IndexOptions

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

    def __init__(self, executable: Path, *, timeout: float = INSTALL_TIMEOUT) -> None:
        self.executable = executable
        self.timeout = timeout

    def install(
        self,
        environment: ProbeEnvironment,
        requirements: Sequence[str],
        *,
        no_deps: bool,
        no_build: bool,
        on_line: Callable[[str], None],
        index_options: IndexOptions | None = None,
    ) -> set[NormalizedName]:
        """Install ``requirements`` with uv; return the names uv built from source."""
        with tempfile.TemporaryDirectory(prefix="readiness-uv-") as scratch:
            argv = [
                str(self.executable),
                "pip",
                "install",
                "--python",
                str(environment.python),
                *index_arguments(index_options),
                *(["--no-deps"] if no_deps else []),
                *(["--no-build"] if no_build else []),
                # Never bare arguments: a "name" that starts with "-" would be an option.
                *requirements_arguments(Path(scratch), requirements),
            ]
            run = run_install(
                argv,
                what="uv pip install",
                runner=f"uv ({self.executable})",
                timeout=self.timeout,
                on_line=on_line,
            )
        return built_in_output(run.lines) | built_in_site_packages(environment.site_packages)

    def uninstall(
        self,
        environment: ProbeEnvironment,
        names: Sequence[NormalizedName],
        *,
        on_line: Callable[[str], None],
    ) -> None:
        """Remove ``names`` with ``uv pip uninstall``."""
        with tempfile.TemporaryDirectory(prefix="readiness-uv-") as scratch:
            argv = [
                str(self.executable),
                "pip",
                "uninstall",
                "--python",
                str(environment.python),
                *requirements_arguments(Path(scratch), names),
            ]
            run_install(
                argv,
                what="uv pip uninstall",
                runner=f"uv ({self.executable})",
                timeout=self.timeout,
                on_line=on_line,
            )
