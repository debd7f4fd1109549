"""The distributions whose modules switched the GIL on during the tests, as ``scan`` sees them.

For each one, the import probe runs on its modules in the test environment (the probe and the
verdicts are ``scan``'s own): a distribution whose top-level import keeps the GIL off is one
``scan`` of the stack passes at import, whose culprit only a test's first use loads. The
remedy comes from the same evidence as ``scan``'s: the tracker snapshot, and the package index
unless the run was told not to ask it (the session's wiring, ``ScanSession.evidence``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from packaging.utils import NormalizedName

from readiness._state import Progress
from readiness.environment.interface import InstallResult, ProbeEnvironment
from readiness.environment.venv import installed_distributions
from readiness.evidence.gather import EvidenceSources
from readiness.evidence.interface import Query
from readiness.probe.interface import ModuleName
from readiness.probe.plan import plan_probe
from readiness.probe.runner import run_probe
from readiness.remedies.verify import RemedyVerifier
from readiness.testrun.model import CaseResult, DistributionSummary
from readiness.verdicts import judge


def summarize(
    environment: ProbeEnvironment,
    results: Sequence[CaseResult],
    *,
    evidence: EvidenceSources,
    import_timeout: float = 60.0,
    verifier: RemedyVerifier | None = None,
    progress: Progress | None = None,
) -> tuple[DistributionSummary, ...]:
    """Return one summary per distribution named by a ``gil-enabled`` result, in run order.

    ``evidence`` gives each one its remedy, as it gives ``scan``'s blockers theirs; with
    ``verifier`` the remedy is proven on the interpreter as ``scan`` proves it.

    Raises :class:`readiness.probe.interface.ProbeError` when the probe cannot run.
    """
    modules: dict[NormalizedName, list[ModuleName]] = {}
    tests: dict[NormalizedName, list[str]] = {}
    for result in results:
        gil = result.gil
        if gil is None or gil.distribution is None:
            continue
        named = modules.setdefault(gil.distribution, [])
        if gil.module is not None and gil.module not in named:
            named.append(gil.module)
        tests.setdefault(gil.distribution, []).append(result.nodeid)
    if not modules:
        return ()
    installed = tuple(
        dist
        for dist in installed_distributions(environment, built_from_source=set())
        if dist.name in modules
    )
    plan = plan_probe(environment.site_packages, [dist.name for dist in installed])
    observations = run_probe(environment.python, plan, import_timeout=import_timeout)
    judged = {
        report.name: report
        for report in judge([], InstallResult(installed=installed), plan, observations)
    }
    gathered = evidence.gather(
        [Query(name=dist.name, version=dist.version) for dist in installed],
        blockers=set(modules),
    )
    # Each judged like a scan's row, with its evidence; proven where a verifier is given.
    reports = [
        dataclasses.replace(report, evidence=gathered.get(name)) for name, report in judged.items()
    ]
    if verifier is not None:
        reports = verifier.verify_all(reports, progress or Progress())
    judged = {report.name: report for report in reports}
    summaries = []
    for name, found in modules.items():
        report = judged.get(name)
        evidence_of = report.evidence if report is not None else gathered.get(name)
        remedy = evidence_of.remedy if evidence_of is not None else None
        summaries.append(
            DistributionSummary(
                name=name,
                version=report.version if report is not None else None,
                modules=tuple(found),
                tests=tuple(tests[name]),
                scan_trigger=report.gil_trigger if report is not None else None,
                remedy=remedy.text if remedy is not None else None,
            )
        )
    return tuple(summaries)
