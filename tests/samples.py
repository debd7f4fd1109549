"""Reports built from hand-made observations, for the tests of verdicts and formats."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.environment.interface import InstalledDistribution, InstallFailure, InstallResult
from readiness.formats.control_chars import KEPT, SHOWN_CATEGORIES
from readiness.interpreter.interface import Interpreter
from readiness.probe.interface import (
    ImportObservation,
    ImportStatus,
    ModuleKind,
    ModuleName,
    ProbePlan,
    ProbeStep,
)
from readiness.report import Report
from readiness.sources.interface import Dependency, Origin, ResolvedDependency, SkippedDependency
from readiness.verdicts import judge

REQUIREMENTS = Path("requirements.txt")


def name(text: str) -> NormalizedName:
    """Return ``text`` as a normalized distribution name."""
    return canonicalize_name(text)


def step(module: str, dist: str, kind: ModuleKind = ModuleKind.TOP_LEVEL) -> ProbeStep:
    """Return a probe step."""
    return ProbeStep(module=ModuleName(module), distribution=name(dist), kind=kind)


def ok(
    module: str,
    dist: str,
    kind: ModuleKind = ModuleKind.TOP_LEVEL,
    *,
    gil: tuple[str, ...] = (),
    warned: str | None = None,
) -> ImportObservation:
    """Return a successful import, which loaded the modules ``gil`` that need the GIL."""
    return ImportObservation(
        step=step(module, dist, kind),
        status=ImportStatus.OK,
        seconds=0.01,
        gil_enabled_after=bool(gil) or warned is not None,
        gil_modules=tuple(ModuleName(m) for m in gil),
        warned_module=ModuleName(warned) if warned else None,
    )


def failed(module: str, dist: str, status: ImportStatus, error: str) -> ImportObservation:
    """Return an import that ended with ``status``."""
    return ImportObservation(
        step=step(module, dist),
        status=status,
        seconds=0.5,
        gil_enabled_after=None if status is not ImportStatus.ERROR else False,
        error=error,
    )


def interpreter() -> Interpreter:
    """Return a free-threaded 3.13 as inspection would describe it."""
    return Interpreter(
        executable=Path("/opt/python3.13t"),
        version=(3, 13, 5),
        implementation="cpython",
        gil_disabled_build=True,
        gil_enabled_at_start=False,
        abi_tag="cp313t",
        platform="linux-x86_64",
        ext_suffix=".cpython-313t-x86_64-linux-gnu.so",
        marker_environment={"python_version": "3.13", "sys_platform": "linux"},
        build_info="3.13.5 experimental free-threading build",
    )


def pinned(dist: str, version: str, line: int, *, direct: bool = True) -> ResolvedDependency:
    """Return a dependency pinned on ``line`` of requirements.txt."""
    return ResolvedDependency(
        name=name(dist),
        origin=Origin(REQUIREMENTS, line=line),
        version=Version(version),
        direct=direct,
    )


def stack() -> tuple[list[Dependency], InstallResult, ProbePlan, list[ImportObservation]]:
    """A stack with every verdict.

    ``pillowish`` only enables the GIL through a lazily loaded extension, which the pure
    ``imageapp`` loads at import; ``speedy`` enables it on import.
    """
    dependencies: list[Dependency] = [
        pinned("speedy", "1.0", 1),
        pinned("pillowish", "2.0", 2),
        pinned("imageapp", "3.0", 3),
        pinned("fine", "1.0", 4),
        pinned("broken", "1.0", 5),
        pinned("segv", "1.0", 6),
        pinned("slow", "1.0", 7),
        pinned("nowheel", "1.0", 8),
        SkippedDependency(
            name=name("winonly"),
            origin=Origin(REQUIREMENTS, line=9),
            reason='marker `sys_platform == "win32"` is false for this interpreter',
            version=Version("1.0"),
        ),
    ]
    installed = InstallResult(
        installed=tuple(
            InstalledDistribution(name=name(n), version=Version(v), built_from_source=n == "speedy")
            for n, v in [
                ("speedy", "1.0"),
                ("pillowish", "2.0"),
                ("imageapp", "3.0"),
                ("fine", "1.0"),
                ("broken", "1.0"),
                ("segv", "1.0"),
                ("slow", "1.0"),
                ("helper", "0.1"),
            ]
        ),
        failures=(InstallFailure(name=name("nowheel"), reason="no matching distribution"),),
    )
    plan = ProbePlan(
        steps=(),
        extension_owners={
            ModuleName("speedy._core"): name("speedy"),
            ModuleName("pillowish._imaging"): name("pillowish"),
        },
    )
    observations = [
        ok("speedy", "speedy", gil=("speedy._core",), warned="speedy._core"),
        ok("pillowish", "pillowish"),
        ok("imageapp", "imageapp", gil=("pillowish._imaging",)),
        ok("fine", "fine"),
        failed("broken", "broken", ImportStatus.ERROR, "ModuleNotFoundError: No module named 'x'"),
        failed("segv", "segv", ImportStatus.CRASHED, "killed by SIGSEGV"),
        failed("slow", "slow", ImportStatus.TIMEOUT, "no answer after 60 s"),
        ok("helper", "helper"),
        ok("speedy._core", "speedy", ModuleKind.EXTENSION),
        ok("pillowish._imaging", "pillowish", ModuleKind.EXTENSION),
    ]
    return dependencies, installed, plan, observations


def sample_report() -> Report:
    """Return the report of :func:`stack`."""
    return Report(
        interpreter=interpreter(),
        inputs=(REQUIREMENTS,),
        source_kind="requirements",
        distributions=tuple(judge(*stack())),
        installer="uv",
        timings={"probe": 1.5},
        processes=3,
    )


HOSTILE_NAME = NormalizedName("evil`` | <img src=x onerror=alert(1)> \x1b[2J\u202eman")
"""A distribution name as a hostile lock could spell it: backticks, a pipe, HTML, controls."""

HOSTILE_TEXT = (
    "\x1b[31mred\x1b[0m nul:\x00 rlo:\u202eevil\u202c c1:\x9b lri:\u2066x\u2069 bell:\x07"
    " cr:\r del:\x7f [/] [bold]not markup[/bold] <b>bold</b> `tick` | pipe"
)
"""A package's exception text: ANSI escapes, NUL, bidi and C0/C1 controls, markup of every kind."""


def hostile_report() -> Report:
    """Return the sample report with :data:`HOSTILE_NAME` for ``nowheel``, and the hostile
    text as its reason and as the import error of ``broken``."""
    report = sample_report()
    distributions = []
    for dist in report.distributions:
        if dist.name == "nowheel":
            dist = replace(dist, name=HOSTILE_NAME, reason=HOSTILE_TEXT)
        elif dist.name == "broken":
            modules = tuple(replace(module, error=HOSTILE_TEXT) for module in dist.modules)
            dist = replace(dist, reason=HOSTILE_TEXT, modules=modules)
        distributions.append(dist)
    return replace(report, distributions=tuple(distributions), warnings=(HOSTILE_TEXT,))


def raw_controls(text: str) -> list[str]:
    """Return the characters of ``text`` a terminal or a browser would obey, not show."""
    return [
        char for char in text if char not in KEPT and unicodedata.category(char) in SHOWN_CATEGORIES
    ]
