"""The orchestrator: dependency file and interpreter in, report out. No printing, no exiting."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from packaging.utils import NormalizedName

from readiness import __version__
from readiness._state import Progress
from readiness.environment.interface import Installer, InstallResult, ProbeEnvironment
from readiness.environment.venv import (
    create_environment,
    install_dependencies,
    installed_distributions,
)
from readiness.interpreter.interface import Interpreter
from readiness.probe.interface import ProbePlan
from readiness.probe.plan import plan_probe
from readiness.probe.runner import run_probe
from readiness.report import Report
from readiness.sources.interface import Dependency, DependencySource, Origin, ResolvedDependency
from readiness.verdicts import judge

INSTALLER_OWN = frozenset({NormalizedName("pip")})
"""What ``python -m venv`` puts in every environment: not probed unless the file asks for it."""


@dataclass(frozen=True)
class ScanOptions:
    """How to scan, beside what to scan."""

    cache_dir: Path
    """Where probe environments live."""

    no_build: bool = False
    """Forbid source builds: a distribution with no usable wheel is ``not-installable``."""

    import_timeout: float = 60.0
    """Seconds one import may take before it is recorded as ``timeout``."""

    warnings: tuple[str, ...] = field(default=())
    """Warnings the caller found (``PYTHON_GIL=0`` in the environment) to carry into the report."""


class Scanner:
    """Scan one dependency source on one free-threaded interpreter."""

    def __init__(self, options: ScanOptions, progress: Progress) -> None:
        self.options = options
        self.progress = progress
        self.timings: dict[str, float] = {}

    def scan(
        self, source: DependencySource, interpreter: Interpreter, installer: Installer
    ) -> Report:
        """Collect, install with ``installer``, probe and judge; return the report."""
        with self._timed("collect"):
            dependencies = list(source.collect(interpreter.target()))
        resolved = [dep for dep in dependencies if isinstance(dep, ResolvedDependency)]
        index_options = source.index_options()
        with self._timed("environment"):
            environment = create_environment(
                interpreter,
                environment_key(interpreter, source, resolved, self.options, installer),
                cache_dir=self.options.cache_dir,
                installer=installer,
            )
        with self._timed("install"):
            installed = install_dependencies(
                environment,
                resolved,
                complete=source.complete,
                installer=installer,
                no_build=self.options.no_build,
                index_options=index_options,
                progress=self.progress,
            )
        declared = {dep.name for dep in dependencies}
        installed = InstallResult(
            installed=tuple(
                dist
                for dist in installed.installed
                if dist.name in declared or dist.name not in INSTALLER_OWN
            ),
            failures=installed.failures,
        )
        with self._timed("plan"):
            plan = plan_probe(
                environment.site_packages, [dist.name for dist in installed.installed]
            )
        return self._probe_and_judge(
            environment,
            interpreter,
            dependencies,
            installed,
            plan,
            inputs=(source.path,),
            source_kind=source.kind,
            installer=installer.name,
        )

    def scan_environment(self, environment: ProbeEnvironment, interpreter: Interpreter) -> Report:
        """Probe and judge what is installed in ``environment`` already; install nothing.

        A distribution no other installed distribution requires counts as direct.
        """
        with self._timed("collect"):
            installed = InstallResult(
                installed=tuple(
                    dist
                    for dist in installed_distributions(environment, built_from_source=set())
                    if dist.name not in INSTALLER_OWN
                )
            )
            plan = plan_probe(
                environment.site_packages, [dist.name for dist in installed.installed]
            )
            required = {name for names in plan.requires.values() for name in names}
        dependencies = [
            ResolvedDependency(
                name=dist.name,
                origin=Origin(environment.root, entry=f"installed {dist.name} {dist.version}"),
                version=dist.version,
                direct=dist.name not in required,
            )
            for dist in installed.installed
        ]
        return self._probe_and_judge(
            environment,
            interpreter,
            dependencies,
            installed,
            plan,
            inputs=(environment.root,),
            source_kind="environment",
            installer="none",
        )

    def _probe_and_judge(
        self,
        environment: ProbeEnvironment,
        interpreter: Interpreter,
        dependencies: Sequence[Dependency],
        installed: InstallResult,
        plan: ProbePlan,
        *,
        inputs: tuple[Path, ...],
        source_kind: str,
        installer: str,
    ) -> Report:
        with self._timed("probe"):
            observations = run_probe(
                environment.python,
                plan,
                import_timeout=self.options.import_timeout,
                progress=self.progress,
            )
        return Report(
            interpreter=interpreter,
            inputs=inputs,
            source_kind=source_kind,
            distributions=tuple(judge(dependencies, installed, plan, observations)),
            installer=installer,
            warnings=self.options.warnings,
            timings=dict(self.timings),
            processes=max((observation.process for observation in observations), default=0),
        )

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = time.perf_counter() - started


def environment_key(
    interpreter: Interpreter,
    source: DependencySource,
    resolved: list[ResolvedDependency],
    options: ScanOptions,
    installer: Installer,
) -> str:
    """Return the name of the probe environment for this interpreter and resolved set."""
    identity = {
        "readiness": __version__,
        "interpreter": [str(interpreter.executable), interpreter.build_info],
        "requirements": sorted(dep.requirement() for dep in resolved),
        "complete": source.complete,
        "no_build": options.no_build,
        "index": repr(source.index_options()),
        "installer": installer.name,
    }
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return f"{interpreter.abi_tag}-{digest[:16]}"


def hidden_gil_warnings(environ: Mapping[str, str] = os.environ) -> tuple[str, ...]:
    """Warn about settings in the caller's environment that hide a re-enabled GIL."""
    if environ.get("PYTHON_GIL") == "0":
        return (
            "PYTHON_GIL=0 is set in your environment: it keeps the GIL off whatever a module "
            "declares, hiding every re-enablement in your own runs. readiness removed it for the "
            "probe.",
        )
    return ()
