"""The orchestrator: dependency file and interpreter in, report out. No printing, no exiting."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness import __version__
from readiness._cache import RecordStore
from readiness._defaults import DEFAULT_IMPORT_TIMEOUT
from readiness._state import Progress
from readiness.environment.interface import (
    InstalledDistribution,
    Installer,
    InstallResult,
    ProbeEnvironment,
)
from readiness.environment.venv import (
    COMPLETION_MARKER,
    Refusals,
    create_environment,
    environment_lock,
    install_dependencies,
    installed_distributions,
)
from readiness.evidence.gather import EvidenceSources, disagreements
from readiness.evidence.interface import Evidence, Query, WheelKind
from readiness.evidence.tracker import snapshot_age_days, staleness_note
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions, Target
from readiness.probe.interface import ImportObservation, ProbePlan
from readiness.project import (
    PROJECT_MARKER,
    Project,
    SiteNames,
    binding_remedy,
    find_project,
    install_project,
    installed_files,
)
from readiness.report import DistributionReport, Report, TrackerSnapshotInfo, Verdict
from readiness.results import ResultCache
from readiness.sources import kept
from readiness.sources.interface import (
    Dependency,
    DependencySource,
    Origin,
    Provenance,
    ResolvedDependency,
    SkippedDependency,
)
from readiness.verdicts import judge

if TYPE_CHECKING:
    from readiness.evidence.index import Prefetch
    from readiness.remedies.verify import RemedyVerifier

INSTALLER_OWN = frozenset({NormalizedName("pip")})
"""What ``python -m venv`` puts in every environment: not probed unless the file asks for it."""


@dataclass(frozen=True)
class ScanOptions:
    """How to scan, beside what to scan."""

    cache_dir: Path
    """Where probe environments live."""

    no_build: bool = False
    """Forbid source builds: a distribution with no usable wheel is ``not-installable``."""

    import_timeout: float = DEFAULT_IMPORT_TIMEOUT
    """Seconds one import may take before it is recorded as ``timeout``."""

    warnings: tuple[str, ...] = field(default=())
    """Warnings the caller found (``PYTHON_GIL=0`` in the environment) to carry into the report."""

    use_results: bool = True
    """Reuse a distribution's observations from the result cache when nothing that decides
    its verdict has changed (``--no-cache`` turns this off)."""

    refresh: bool = False
    """Try again what the installer refused lately (``--refresh``)."""

    verify_remedies: bool = False
    """Prove each ``gil-enabled`` distribution's upgrade on the interpreter: install the
    release into a scratch environment and probe it (``--no-verify-remedies`` turns it off)."""

    project: bool = True
    """Install and probe the project in the scanned file's folder, when there is one that
    builds a package (``--no-project`` turns this off)."""


@dataclass(frozen=True)
class _Subject:
    """What a probe scan read and installed with, as its report names them."""

    inputs: tuple[Path, ...]
    """The dependency file, or the environment, scanned."""

    source_kind: str
    """The kind of that input (``uv.lock``, ``environment``)."""

    installer: str
    """The installer that filled the environment; ``none`` for one scanned as it is."""


class Scanner:
    """Scan one dependency source on one free-threaded interpreter."""

    def __init__(
        self, options: ScanOptions, progress: Progress, evidence: EvidenceSources | None = None
    ) -> None:
        self.options = options
        self.evidence = evidence
        self.progress = progress
        self.timings: dict[str, float] = {}
        self.warnings: list[str] = []
        """What the scan found to say that is about no one distribution."""
        self._prefetch: Prefetch | None = None

    def scan(
        self, source: DependencySource, interpreter: Interpreter, installer: Installer
    ) -> Report:
        """Collect, install with ``installer``, probe and judge; return the report."""
        with self._timed("collect"):
            dependencies = kept.collect(source, interpreter.target(), self.options.cache_dir)
        resolved = [dep for dep in dependencies if isinstance(dep, ResolvedDependency)]
        if self.evidence is not None:
            # The index is asked while the stack installs: a changed pin's evidence is in
            # by the time it is probed.
            self._prefetch = self.evidence.prefetch([Query(d.name, d.version) for d in resolved])
        index_options = source.index_options()
        key = environment_key(interpreter, source, resolved, self.options, installer)
        with environment_lock(self.options.cache_dir / "envs" / key):
            with self._timed("environment"):
                environment = create_environment(
                    interpreter, key, cache_dir=self.options.cache_dir, installer=installer
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
                    refusals=Refusals.in_cache(
                        self.options.cache_dir,
                        str(interpreter.executable.resolve()),
                        interpreter.build_info,
                        installer.name,
                        self.options.no_build,
                        repr(index_options),
                        refresh=self.options.refresh,
                    ),
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
            own = self._own_project(source, declared)
            if own is not None:
                with self._timed("project"):
                    installed, dependencies = self._with_project(
                        own, environment, installer, index_options, installed, dependencies
                    )
            with self._timed("plan"):
                plan = _kept_plan(environment, [dist.name for dist in installed.installed])
            subject = _Subject((source.path,), source.kind, installer.name)
            # The stack an upgrade must fit is what installs: a pin that could not be built
            # would fail every resolution with it, the upgrade's own included.
            failed = {failure.name for failure in installed.failures}
            stack = [dep for dep in resolved if dep.name not in failed]
            verifier = self._verifier(interpreter, installer, index_options, stack, environment)
            return self._probe_and_judge(
                environment,
                interpreter,
                dependencies,
                installed,
                plan,
                subject,
                verifier,
                own if own is not None and own.name in plan.files_digests else None,
            )

    def _own_project(
        self, source: DependencySource, declared: set[NormalizedName]
    ) -> Project | None:
        """Return the project in the scanned file's folder, unless it is not to be probed.

        A file that declares the project itself (``-e .``) has it installed like any other
        distribution already.
        """
        if not self.options.project:
            return None
        project = find_project(source.path.parent)
        return None if project is None or project.name in declared else project

    def _with_project(
        self,
        project: Project,
        environment: ProbeEnvironment,
        installer: Installer,
        index_options: IndexOptions,
        installed: InstallResult,
        dependencies: list[Dependency],
    ) -> tuple[InstallResult, list[Dependency]]:
        """Install ``project`` into ``environment``; return what is installed and declared then.

        The project comes first among the declared distributions. One that cannot be built
        is a warning, not a row: the scan is of its dependencies, and those it probed.
        """
        failure = install_project(
            project,
            environment,
            installer,
            index_options=index_options,
            progress=self.progress,
        )
        if failure is not None:
            self.warnings.append(
                f"the project {project.name} in {project.root} could not be built and "
                f"installed, so its own code was not probed: {failure.reason} "
                "(--no-project leaves it out)"
            )
            return installed, dependencies
        present = [
            dist
            for dist in installed_distributions(environment, built_from_source={project.name})
            if dist.name == project.name
        ]
        if not present:
            return installed, dependencies
        own = ResolvedDependency(
            name=project.name,
            origin=Origin(project.pyproject, line=project.line),
            version=present[0].version,
            direct=True,
            provenance=Provenance.PATH,
        )
        return (
            InstallResult(installed=(*installed.installed, *present), failures=installed.failures),
            [own, *dependencies],
        )

    def _verifier(
        self,
        interpreter: Interpreter,
        installer: Installer,
        index_options: IndexOptions,
        stack: Sequence[ResolvedDependency],
        scanned: ProbeEnvironment,
    ) -> RemedyVerifier | None:
        """Return who proves the remedies, when asked to.

        It tries the upgrades the index offers and the switches to pure Python the shipped
        table knows.
        """
        if not self.options.verify_remedies or self.evidence is None:
            return None
        # Imported here: a scan that verifies nothing does not load it.
        from readiness.remedies.verify import RemedyVerifier
        from readiness.remedies.workarounds import load_workarounds

        return RemedyVerifier(
            interpreter,
            installer,
            self.options.cache_dir,
            no_build=self.options.no_build,
            index_options=index_options,
            import_timeout=self.options.import_timeout,
            use_kept=self.options.use_results,
            refresh=self.options.refresh,
            stack=tuple(stack),
            scanned=scanned,
            workarounds=load_workarounds(),
        )

    def scan_environment(
        self,
        environment: ProbeEnvironment,
        interpreter: Interpreter,
        installer: Installer | None = None,
    ) -> Report:
        """Probe and judge what is installed in ``environment`` already; install nothing.

        A distribution no other installed distribution requires counts as direct. With
        ``installer``, the remedies are proven in scratch environments (never this one).
        """
        with self._timed("collect"):
            installed = InstallResult(
                installed=tuple(
                    dist
                    for dist in installed_distributions(environment, built_from_source=set())
                    if dist.name not in INSTALLER_OWN
                )
            )
            # Imported here: a scan of a lockfile's kept environment reads no metadata.
            from readiness.probe.plan import plan_probe

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
        subject = _Subject((environment.root,), "environment", installer="none")
        verifier = (
            None
            if installer is None
            else self._verifier(interpreter, installer, IndexOptions(), dependencies, environment)
        )
        return self._probe_and_judge(
            environment, interpreter, dependencies, installed, plan, subject, verifier
        )

    def _probe_and_judge(
        self,
        environment: ProbeEnvironment,
        interpreter: Interpreter,
        dependencies: Sequence[Dependency],
        installed: InstallResult,
        plan: ProbePlan,
        subject: _Subject,
        verifier: RemedyVerifier | None = None,
        project: Project | None = None,
    ) -> Report:
        with self._timed("probe"):
            results = (
                ResultCache.for_interpreter(self.options.cache_dir, interpreter)
                if self.options.use_results
                else None
            )
            keys = _result_keys(results, installed, plan)
            cached = _cached_observations(results, keys)
            steps = [step for step in plan.steps if step.distribution not in cached]
            ours = project.name if project is not None else None
            fresh = _probed(
                environment.python,
                dataclasses.replace(
                    plan, steps=tuple(step for step in steps if step.distribution != ours)
                ),
                import_timeout=self.options.import_timeout,
                progress=self.progress,
            )
            own_steps = tuple(step for step in steps if step.distribution == ours)
            if own_steps:
                # A child of its own, after the rest: every culprit the project's code pulls
                # in loads during its import, so the statements that reached it are seen.
                first = max((observation.process for observation in fresh), default=0)
                fresh += [
                    dataclasses.replace(observation, process=first + observation.process)
                    for observation in _probed(
                        environment.python,
                        dataclasses.replace(plan, steps=own_steps),
                        import_timeout=self.options.import_timeout,
                        progress=self.progress,
                        processes=1,
                    )
                ]
            if results is not None:
                by_distribution: dict[NormalizedName, list[ImportObservation]] = {}
                for observation in fresh:
                    by_distribution.setdefault(observation.step.distribution, []).append(
                        observation
                    )
                for name, own in by_distribution.items():
                    if name in keys:
                        results.store(keys[name], own)
        order = {step: index for index, step in enumerate(plan.steps)}
        names = _site_names(environment, project)
        observations = sorted(
            [names.observation(o) for o in (*(o for own in cached.values() for o in own), *fresh)],
            key=lambda observation: order.get(observation.step, len(order)),
        )
        distributions = [
            dataclasses.replace(dist, cached=True) if dist.name in cached else dist
            for dist in judge(dependencies, installed, plan, observations)
        ]
        # The project is no distribution of the index's: its remedies are its own code's.
        theirs = [dist for dist in distributions if project is None or dist.name != project.name]
        with self._timed("evidence"):
            theirs = self._with_evidence(
                theirs, blocking=PROBE_BLOCKERS, installed=installed.installed
            )
        if verifier is not None:
            with self._timed("verify"):
                theirs = verifier.verify_all(theirs, self.progress)
        if project is not None:
            judged = {dist.name: dist for dist in theirs}
            distributions = [
                judged[dist.name] if dist.name in judged else _project_report(project, dist)
                for dist in distributions
            ]
        else:
            distributions = theirs
        return Report(
            interpreter=interpreter,
            inputs=subject.inputs,
            source_kind=subject.source_kind,
            distributions=tuple(distributions),
            installer=subject.installer,
            warnings=(*self.options.warnings, *self.warnings, *self._evidence_warnings()),
            timings=dict(self.timings),
            processes=max((observation.process for observation in fresh), default=0),
            tracker=self._tracker_info(),
        )

    def scan_static(
        self, source: DependencySource, interpreter: Interpreter, target: Target
    ) -> Report:
        """Judge from the index's files alone, for ``target``: nothing installed or imported.

        A free-threaded wheel does not prove that the GIL stays off; the report says so.
        """
        with self._timed("collect"):
            dependencies = list(source.collect(target))
        reports = []
        for dep in dependencies:
            if isinstance(dep, SkippedDependency):
                verdict, direct, reason = Verdict.SKIPPED, True, dep.reason
            elif isinstance(dep, ResolvedDependency):
                verdict, direct, reason = Verdict.UNKNOWN, dep.direct, "the index was not asked"
            else:
                continue
            reports.append(
                DistributionReport(
                    name=dep.name,
                    version=dep.version,
                    verdict=verdict,
                    direct=direct,
                    origin=dep.origin,
                    reason=reason,
                )
            )
        with self._timed("evidence"):
            reports = [
                _static_verdict(dist, interpreter.abi_tag)
                for dist in self._with_evidence(reports, blocking=STATIC_BLOCKERS, static=True)
            ]
        warnings = (
            *self.options.warnings,
            *self._evidence_warnings(),
            "static scan: verdicts come from the index's files alone; a free-threaded wheel "
            "does not prove that its extensions keep the GIL disabled",
        )
        return Report(
            interpreter=interpreter,
            inputs=(source.path,),
            source_kind=source.kind,
            distributions=tuple(reports),
            installer="none",
            warnings=warnings,
            timings=dict(self.timings),
            static=True,
            tracker=self._tracker_info(),
        )

    def _with_evidence(
        self,
        distributions: Sequence[DistributionReport],
        *,
        blocking: frozenset[Verdict],
        static: bool = False,
        installed: Sequence[InstalledDistribution] = (),
    ) -> list[DistributionReport]:
        """Return ``distributions`` with their evidence, and the remedies of the ``blocking``.

        The free-threading classifiers of what is ``installed`` are its metadata's: the
        index is asked for those of the others only.
        """
        if self.evidence is None:
            return list(distributions)
        if self._prefetch is not None:
            self._prefetch.wait()
            self._prefetch = None
        classifiers: dict[tuple[NormalizedName, Version | None], tuple[str, ...] | None] = {
            (dist.name, dist.version): dist.free_threading_classifiers for dist in installed
        }
        queries = [
            Query(dist.name, dist.version, classifiers.get((dist.name, dist.version)))
            for dist in distributions
            if dist.verdict is not Verdict.SKIPPED
        ]
        # In a static scan every verdict is still UNKNOWN here: remedies are for all, and
        # _static_verdict keeps those of the blockers only.
        blockers = {dist.name for dist in distributions if static or dist.verdict in blocking}
        gathered = self.evidence.gather(queries, blockers)
        return [
            dist
            if dist.name not in gathered
            else dataclasses.replace(
                dist,
                evidence=gathered[dist.name],
                disagreements=disagreements(
                    dist.verdict is Verdict.GIL_ENABLED,
                    dist.version,
                    gathered[dist.name],
                    self.evidence.abi,
                ),
            )
            for dist in distributions
        ]

    def _evidence_warnings(self) -> tuple[str, ...]:
        if self.evidence is None:
            return ()
        note = staleness_note(self.evidence.tracker.snapshot, datetime.date.today())
        return (note,) if note else ()

    def _tracker_info(self) -> TrackerSnapshotInfo | None:
        if self.evidence is None:
            return None
        snapshot = self.evidence.tracker.snapshot
        return TrackerSnapshotInfo(
            source=snapshot.source,
            taken=snapshot.taken,
            age_days=snapshot_age_days(snapshot, datetime.date.today()),
        )

    @contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = time.perf_counter() - started


PROBE_BLOCKERS = frozenset(
    {
        Verdict.GIL_ENABLED,
        Verdict.NOT_INSTALLABLE,
        Verdict.CRASHED,
        Verdict.TIMEOUT,
        Verdict.IMPORT_ERROR,
    }
)
"""Probe verdicts that get a remedy."""

STATIC_BLOCKERS = frozenset(
    {Verdict.NO_FREE_THREADED_WHEEL, Verdict.SOURCE_BUILD_REQUIRED, Verdict.UNKNOWN}
)
"""Static verdicts that get a remedy."""

_STATIC_REASONS = {
    WheelKind.FREE_THREADED_WHEEL: None,
    WheelKind.PURE: None,
    WheelKind.SOURCE_BUILD_REQUIRED: "no wheel for {abi}, only an sdist: installing builds it",
    WheelKind.NO_FREE_THREADED_WHEEL: "no wheel for {abi} and no sdist: it cannot be installed",
    WheelKind.UNKNOWN: "the index does not list this version",
}


def _static_verdict(dist: DistributionReport, abi: str) -> DistributionReport:
    """Turn what the index offers into the static verdict of ``dist``."""
    if dist.verdict is Verdict.SKIPPED or dist.evidence is None or dist.evidence.index is None:
        return dist
    index = dist.evidence.index
    verdict = Verdict(index.wheel.value)
    reason = index.unavailable or _STATIC_REASONS[index.wheel]
    evidence = dist.evidence
    if verdict not in STATIC_BLOCKERS and evidence.remedy is not None:
        evidence = dataclasses.replace(evidence, remedy=None)
    return dataclasses.replace(
        dist,
        verdict=verdict,
        reason=reason.format(abi=abi) if reason else None,
        evidence=evidence,
    )


PLANS_FORMAT = 1
"""The layout of a kept probe plan: bumped when :class:`ProbePlan` changes."""


def _site_names(environment: ProbeEnvironment, project: Project | None) -> SiteNames:
    """Return who names the files of import statements, the project's in its own tree."""
    if project is None:
        return SiteNames(environment.site_packages)
    return SiteNames(environment.site_packages, project, installed_files(environment, project.name))


def _project_report(project: Project, dist: DistributionReport) -> DistributionReport:
    """Return the project's row: marked as the project, with the remedy for its own modules."""
    dist = dataclasses.replace(dist, project=True)
    if dist.verdict is not Verdict.GIL_ENABLED or not dist.culprits:
        return dist
    files = list(project.files())
    remedies = [binding_remedy(project, culprit.module, files) for culprit in dist.culprits]
    remedy = dataclasses.replace(remedies[0], text="; ".join(r.text for r in remedies))
    return dataclasses.replace(dist, evidence=Evidence(tracker=None, index=None, remedy=remedy))


def _kept_plan(environment: ProbeEnvironment, names: Sequence[NormalizedName]) -> ProbePlan:
    """Return the probe plan of ``names`` in ``environment``, read from its RECORDs once.

    A finished environment's completion record changes whenever what it holds does, so the
    plan is kept beside it under that record (and the record of the project installed
    there, if any): an unchanged environment is not read again.
    """
    # Imported where needed only: a warm run reads its plan, not the environment's metadata.
    marker = environment.root / COMPLETION_MARKER
    try:
        record = marker.read_bytes()
    except OSError:
        from readiness.probe.plan import plan_probe

        return plan_probe(environment.site_packages, names)
    with contextlib.suppress(OSError):
        record += (environment.root / PROJECT_MARKER).read_bytes()
    folder = environment.root / ".readiness-plans"
    plans = RecordStore(folder, ProbePlan, PLANS_FORMAT)
    key = plans.key(hashlib.sha256(record).hexdigest(), sorted(names))
    plan = plans.load(key)
    if plan is not None:
        return plan
    from readiness.probe.plan import ReadMetadata, plan_probe_reading

    # What changed is read again; the other distributions' metadata is what it was.
    metadata = RecordStore(folder, ReadMetadata, PLANS_FORMAT)
    read_key = metadata.key("read metadata")
    known = metadata.load(read_key) or ReadMetadata({})
    plan, read = plan_probe_reading(environment.site_packages, names, known)
    plans.store(key, plan)
    metadata.store(read_key, read)
    return plan


def _probed(
    python: Path,
    plan: ProbePlan,
    *,
    import_timeout: float,
    progress: Progress,
    processes: int | None = None,
) -> list[ImportObservation]:
    """Return what probing ``plan`` with ``python`` observes; no steps (warm) start nothing."""
    if not plan.steps:
        return []
    # Imported here: a warm run finds every result kept, and loads no probe machinery.
    from readiness.probe.runner import run_probe

    return run_probe(
        python, plan, import_timeout=import_timeout, progress=progress, processes=processes
    )


def _result_keys(
    results: ResultCache | None, installed: InstallResult, plan: ProbePlan
) -> dict[NormalizedName, str]:
    """Each installed distribution's key in the result cache (none without a cache)."""
    if results is None:
        return {}
    return {
        dist.name: results.key(dist.name, dist.version, plan.files_digests[dist.name])
        for dist in installed.installed
        if dist.name in plan.files_digests
    }


def _cached_observations(
    results: ResultCache | None, keys: Mapping[NormalizedName, str]
) -> dict[NormalizedName, list[ImportObservation]]:
    """Return the observations the cache holds, for the distributions it holds them for."""
    if results is None:
        return {}
    found = {}
    for name, key in keys.items():
        observations = results.load(key)
        if observations is not None:
            found[name] = observations
    return found


def environment_key(
    interpreter: Interpreter,
    source: DependencySource,
    resolved: list[ResolvedDependency],
    options: ScanOptions,
    installer: Installer,
) -> str:
    """Return the name of the probe environment for this interpreter and dependency file.

    A lock lists everything to install, so one environment serves every version of the same
    lockfile: a changed pin installs (and removes) only what changed. Where the installer
    adds dependencies itself, what it added cannot be told from what a changed file no
    longer wants, so the environment is per resolved set.
    """
    identity = {
        "readiness": __version__,
        "interpreter": [str(interpreter.executable), interpreter.build_info],
        "requirements": str(source.path.resolve())
        if source.complete
        else sorted(dep.requirement() for dep in resolved),
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
