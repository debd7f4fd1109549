"""Whether a proven upgrade fits the rest of the stack, and what else it forces to change.

``uv pip compile`` for the probed interpreter resolves the stack's direct requirements with
the upgrade pinned, starting from the stack's current pins as its output file: uv keeps an
output file's pins wherever the requirements allow them (uv's "preferences", the behaviour
of pip-compile), so what it changes beside the upgrade is what the upgrade forces.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._errors import ReadinessError
from readiness._process import run_captured
from readiness._stream import error_tail
from readiness.environment.command import index_arguments, installer_environment
from readiness.evidence.interface import Fit
from readiness.installer_requirements import write_requirements_file
from readiness.model import IndexOptions
from readiness.sources.interface import ResolvedDependency

FIT_TIMEOUT = 300.0
"""Seconds one resolution of the stack may take."""


class FitError(ReadinessError):
    """Raised when uv cannot be run to tell whether an upgrade fits (not when it does not)."""


def fit_of(
    uv: Path,
    python: Path,
    stack: Sequence[ResolvedDependency],
    upgrade: tuple[NormalizedName, Version],
    index_options: IndexOptions | None,
) -> Fit:
    """Return what pinning ``upgrade`` (name, version) into ``stack`` changes, for ``python``.

    Raises :class:`FitError` when uv cannot be run or does not finish, and
    :class:`readiness.installer_requirements.UnsafeRequirement` for a line to refuse.
    """
    name, version = upgrade
    wanted = [f"{name}=={version}"]
    wanted += [_unpinned(dep) for dep in stack if dep.direct and dep.name != name]
    with tempfile.TemporaryDirectory(prefix="readiness-fit-") as folder:
        scratch = Path(folder)
        requirements = write_requirements_file(scratch / "requirements.in", wanted)
        pins = write_requirements_file(
            scratch / "requirements.txt", [dep.requirement() for dep in stack]
        )
        completed = run_captured(
            [
                uv,
                "pip",
                "compile",
                requirements,
                "--output-file",
                pins,
                "--no-header",
                "--no-annotate",
                "--no-python-downloads",
                "--python",
                python,
                *index_arguments(index_options),
            ],
            timeout=FIT_TIMEOUT,
            error=FitError,
            what="uv pip compile",
            task="finish resolving",
            env=installer_environment(),
        )
        if completed.returncode != 0:
            return Fit((), conflict=_why_not(completed.stderr or completed.stdout))
        resolved = _pins(pins.read_text(encoding="utf-8"))
    current = {dep.name: dep.version for dep in stack}
    forced = tuple(
        f"{other}=={found}"
        for other, found in sorted(resolved.items())
        if other != name and other in current and current[other] != found
    )
    return Fit(forced)


def _unpinned(dep: ResolvedDependency) -> str:
    """Return ``dep`` as a direct requirement without its pin: uv keeps the pin if it can."""
    if dep.url is not None:
        return dep.requirement()
    extras = f"[{','.join(sorted(dep.extras))}]" if dep.extras else ""
    return f"{dep.name}{extras}"


def _pins(text: str) -> dict[NormalizedName, Version]:
    """Return each ``name==version`` line of uv's output; other lines say nothing of a pin."""
    found = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line.strip())
            pins = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            if pins:
                found[canonicalize_name(requirement.name)] = Version(pins[0])
        except (InvalidRequirement, InvalidVersion):
            continue
    return found


_TREE_GLYPHS = "\N{MULTIPLICATION SIGN}\u2570\u2500\u25b6 "
"""What uv draws before the lines of its explanation: a cross, then a tree's corner and arrow."""


def _why_not(output: str) -> str:
    """Return uv's explanation of a failed resolution as one line, its tree glyphs left out.

    uv says it over several lines ("Because ft-upgrade>=3.0 depends on ...", then "And
    because ..."), under a "No solution found" heading, drawn as a tree on a terminal and
    after ``error:`` and ``cause:`` elsewhere; each line is a step of it.
    """
    lines = [
        line.strip().lstrip(_TREE_GLYPHS).strip().removeprefix("cause: ")
        for line in error_tail(output.splitlines()).splitlines()
    ]
    steps = [line for line in lines if line and "No solution found" not in line]
    return " ".join(steps) or "uv found no resolution"
