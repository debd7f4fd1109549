"""Install with pip: the probe environment's own pip, as the user has configured it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from readiness._stream import StreamedRun, plain_output, run_streaming
from readiness.environment.cause import install_cause
from readiness.environment.interface import (
    Installer,
    InstallerError,
    InstallFailed,
    ProbeEnvironment,
)
from readiness.installer_requirements import requirements_arguments
from readiness.sources.interface import IndexOptions

INSTALL_TIMEOUT = 1800.0
"""Seconds one installation command may take: source builds of large projects take minutes."""


def index_arguments(options: IndexOptions | None) -> list[str]:
    """Return pip's flags for ``options``; ``uv pip install`` accepts the same ones."""
    if options is None:
        return []
    arguments: list[str] = []
    if options.index_url is not None:
        arguments += ["--index-url", options.index_url]
    for url in options.extra_index_urls:
        arguments += ["--extra-index-url", url]
    for location in options.find_links:
        arguments += ["--find-links", location]
    if options.no_index:
        arguments.append("--no-index")
    return arguments


def installer_environment() -> dict[str, str]:
    """Return our environment for an installer, minus what would change the probed Python.

    The user's pip and uv settings (``PIP_*``, ``UV_*``, configuration files) are kept on
    purpose: their index, certificates and proxies are what reaches their distributions.
    """
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    # Not a question for the user of readiness, and noise in every reason.
    environ["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return environ


class PipInstaller(Installer):
    """Install with ``ENV/bin/python -m pip install``, the pip inside the probe environment."""

    name = "pip"

    def __init__(self, *, timeout: float = INSTALL_TIMEOUT) -> None:
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
        """Install ``requirements`` with pip; return the names pip built from source."""
        with tempfile.TemporaryDirectory(prefix="readiness-pip-") as scratch:
            report = Path(scratch) / "report.json"
            argv = [
                str(environment.python),
                "-m",
                "pip",
                "install",
                "--no-input",
                "--progress-bar",
                "off",
                # The report says where each distribution came from: an sdist means a build.
                "--report",
                str(report),
                *index_arguments(index_options),
                *(["--no-deps"] if no_deps else []),
                # pip's spelling of "never build": only wheels, for every distribution.
                *(["--only-binary", ":all:"] if no_build else []),
                # Never bare arguments: a "name" that starts with "-" would be an option.
                *requirements_arguments(Path(scratch), requirements),
            ]
            run = run_install(
                argv,
                what="pip install",
                runner=f"pip with {environment.python}",
                timeout=self.timeout,
                on_line=on_line,
            )
            built = built_in_report(report)
        return built if built is not None else built_in_output(run.lines)

    def uninstall(
        self,
        environment: ProbeEnvironment,
        names: Sequence[NormalizedName],
        *,
        on_line: Callable[[str], None],
    ) -> None:
        """Remove ``names`` with the environment's own ``pip uninstall --yes``."""
        with tempfile.TemporaryDirectory(prefix="readiness-pip-") as scratch:
            argv = [
                str(environment.python),
                "-m",
                "pip",
                "uninstall",
                "--yes",
                *requirements_arguments(Path(scratch), names),
            ]
            run_install(
                argv,
                what="pip uninstall",
                runner=f"pip with {environment.python}",
                timeout=self.timeout,
                on_line=on_line,
            )


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


def run_install(
    argv: Sequence[str],
    *,
    what: str,
    runner: str,
    timeout: float,
    on_line: Callable[[str], None],
) -> StreamedRun:
    """Run an installer command (``what``, by ``runner``), passing on each line it prints.

    Raises :class:`InstallerError` when it cannot be run at all, and :class:`InstallFailed`
    with the line that says why (:func:`install_cause`) and the whole output when it fails,
    or its tail when it outlives ``timeout``.
    """
    try:
        run = run_streaming(argv, timeout=timeout, on_line=on_line, env=installer_environment())
    except OSError as e:
        raise InstallerError(f"{runner} could not be run: {e}") from e
    except subprocess.TimeoutExpired as e:
        output = str(e.output or "")
        raise InstallFailed(
            f"{what} did not finish within {timeout:.0f} s",
            reason=f"killed after {timeout:.0f} s\n{output}".strip(),
            log=plain_output(output.splitlines()),
        ) from e
    if run.returncode != 0:
        raise InstallFailed(
            f"{what} exited with status {run.returncode}",
            reason=install_cause(run.lines),
            log=plain_output(run.lines),
        )
    return run
