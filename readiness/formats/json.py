"""The JSON report: a versioned, documented schema (see docs/reports.md)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from readiness import __version__
from readiness.evidence.interface import Evidence
from readiness.formats.interface import ReportFormat
from readiness.policy import Allowance, PolicyOutcome
from readiness.probe.interface import ImportObservation
from readiness.report import SCHEMA_VERSION, DistributionReport, Report, Verdict


class JsonFormat(ReportFormat):
    """Render the report as one JSON document."""

    def render(self, report: Report) -> str:
        """Return the report as indented JSON, ending with a newline."""
        return json.dumps(report_to_dict(report, self.gate), indent=2) + "\n"


def report_to_dict(report: Report, gate: PolicyOutcome | None = None) -> dict[str, Any]:
    """Return the report as the plain data the JSON schema describes.

    ``gate`` is the policy's decision: without it, ``gate`` and every ``allowed`` are null.
    """
    interpreter = report.interpreter
    counts = Counter(dist.verdict for dist in report.distributions)
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "readiness", "version": __version__},
        "interpreter": {
            "executable": str(interpreter.executable),
            "version": interpreter.version_string,
            "tag": interpreter.version_tag,
            "abi": interpreter.abi_tag,
            "platform": interpreter.platform,
            "gil_disabled_build": interpreter.gil_disabled_build,
            "synthetic": interpreter.synthetic,
            "build": interpreter.build_info,
        },
        "inputs": [{"path": str(path), "kind": report.source_kind} for path in report.inputs],
        "installer": report.installer,
        "mode": "static" if report.static else "probe",
        "tracker": None
        if report.tracker is None
        else {
            "source": report.tracker.source,
            "taken": report.tracker.taken.isoformat(),
            "age_days": report.tracker.age_days,
        },
        "summary": {verdict.value: counts.get(verdict, 0) for verdict in Verdict}
        | {"total": len(report.distributions)},
        "distributions": [
            _distribution(dist) | {"allowed": _allowed(gate, dist)} for dist in report.distributions
        ],
        "gate": _gate(gate),
        "warnings": list(report.warnings),
        "processes": report.processes,
        "timings": {phase: round(seconds, 4) for phase, seconds in report.timings.items()},
    }


def _distribution(dist: DistributionReport) -> dict[str, Any]:
    origin = dist.origin
    return {
        "name": dist.name,
        "version": str(dist.version) if dist.version is not None else None,
        "verdict": dist.verdict.value,
        "reason": dist.reason,
        "direct": dist.direct,
        "project": dist.project,
        "declared_at": None
        if origin is None
        else {"path": str(origin.path), "line": origin.line, "entry": origin.entry},
        "gil_trigger": dist.gil_trigger.value if dist.gil_trigger else None,
        "culprits": [
            {"module": c.module, "reached_through": c.reached_through, "warned": c.warned}
            for c in dist.culprits
        ],
        "reaches": [
            {
                "module": r.module,
                "owner": r.owner,
                "through": r.through,
                "chain": [
                    {
                        "file": site.file,
                        "line": site.line,
                        "statement": site.statement,
                        "in_project": site.in_project,
                    }
                    for site in r.chain
                ],
            }
            for r in dist.reaches
        ],
        "built_from_source": dist.built_from_source,
        "install_log": dist.install_log,
        "cached": dist.cached,
        "evidence": _evidence(dist.evidence),
        "remedy": _remedy(dist.evidence),
        "disagreements": list(dist.disagreements),
        "import_seconds": round(dist.import_seconds, 4),
        "modules": [_module(observation) for observation in dist.modules],
    }


def _allowed(gate: PolicyOutcome | None, dist: DistributionReport) -> dict[str, Any] | None:
    allowance = gate.allowance_for(dist) if gate is not None else None
    return None if allowance is None else _allowance(allowance)


def _allowance(allowance: Allowance) -> dict[str, Any]:
    return {
        "name": allowance.name,
        "version": _text(allowance.version),
        "reason": allowance.reason,
        "until": _text(allowance.until),
        "declared_at": None
        if allowance.path is None
        else {"path": str(allowance.path), "line": allowance.line},
    }


def _gate(gate: PolicyOutcome | None) -> dict[str, Any] | None:
    if gate is None:
        return None
    return {
        "passed": gate.passed,
        "fail_on": sorted(verdict.value for verdict in gate.fail_on),
        "failed": [dist.name for dist in gate.failed],
        "allowed": [dist.name for dist in gate.blockers if gate.allowance_for(dist)],
        "expired": [
            _allowance(item.allowance) | {"verdict": item.distribution.verdict.value}
            for item in gate.expired
        ],
        "stale": [_allowance(allowance) for allowance in gate.stale],
        "baseline": None if gate.baseline is None else _text(gate.baseline.path),
        "baselined": [dist.name for dist in gate.baselined],
        "fixed": [
            {"name": entry.name, "verdict": entry.verdict.value, "version": _text(entry.version)}
            for entry in gate.fixed
        ],
        "inconclusive": [dist.name for dist in gate.inconclusive],
    }


def _module(observation: ImportObservation) -> dict[str, Any]:
    return {
        "module": observation.step.module,
        "kind": observation.step.kind.value,
        "status": observation.status.value,
        "seconds": round(observation.seconds, 4),
        "gil_enabled_after": observation.gil_enabled_after,
        "gil_modules": list(observation.gil_modules),
        "warned_module": observation.warned_module,
        "error": observation.error,
        "process": observation.process,
    }


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    tracker, index = evidence.tracker, evidence.index
    return {
        "tracked": tracker is not None,
        "tracker": None
        if tracker is None
        else {
            "project": tracker.display_name,
            "first_version": tracker.first_version,
            "tested_in_ci": tracker.tested_in_ci,
            "release_on_index": tracker.release_on_index,
            "nightly_wheels": tracker.nightly_wheels,
            "issue_url": tracker.issue_url,
        },
        "index": None
        if index is None
        else {
            "wheel": index.wheel.value,
            "yanked": index.yanked,
            "yanked_reason": index.yanked_reason,
            "classifier": index.classifier,
            "classifier_of": _text(index.classifier_of),
            "first_free_threaded": _text(index.first_free_threaded),
            "latest": _text(index.latest),
            "unavailable": index.unavailable,
        },
    }


def _remedy(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None or evidence.remedy is None:
        return None
    remedy = evidence.remedy
    return {
        "text": remedy.text,
        "upgrade_to": _text(remedy.upgrade_to),
        "url": remedy.url,
        "verified": remedy.verified,
        "tried": [
            {"version": str(tried.version), "verified": tried.verified, "why": tried.why}
            for tried in remedy.tried
        ],
        "also_upgrade": list(remedy.also_upgrade),
        "workaround": remedy.workaround,
    }


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)
