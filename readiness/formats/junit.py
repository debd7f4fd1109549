"""The JUnit XML report: one test case per distribution, for CI test-result views.

One ``<testsuite>`` (inside ``<testsuites>``, the root most CI systems expect), one
``<testcase>`` per distribution: ``classname`` is the dependency file that declares it (the
scan's input file for what only the installer added), ``name`` the distribution and version.

The JUnit counts say what the gate says, so a test view is never greener or redder than the
exit code:

- a distribution that fails the gate is a ``<failure type="VERDICT">``, with the culprit module
  or the reason, and the remedy;
- an inconclusive one (``import-error``, and in a static scan ``source-build-required`` and
  ``unknown``) is ``<skipped>``, not ``<error>``: the gate lets it pass unless ``--strict``, and
  most CI systems count an ``<error>`` as a failed run (``--strict`` makes it a failure);
- a blocker the allowlist or the baseline lets pass is ``<skipped>`` too, saying why;
- a distribution whose marker excludes it (``skipped``) is ``<skipped>``;
- everything else passes.

There is never an ``<error>``: a scan that could not run exits 2 and writes no report. Each
``<skipped>`` message starts with the verdict (``import-error: ...``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from readiness.formats.interface import BLOCKER_ORDER, ReportFormat
from readiness.policy import PolicyOutcome
from readiness.report import DistributionReport, GilTrigger, Report, Verdict

# XML 1.0 forbids most control characters (XML 1.0, section 2.2), and a crashed child's error
# text may hold any; ElementTree would write them and the CI system's parser would reject the
# whole file.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class JunitFormat(ReportFormat):
    """Render the report as JUnit XML."""

    def render(self, report: Report) -> str:
        """Return the JUnit XML document, with its declaration, ending with a newline."""
        outcome = self.outcome(report)
        order = {verdict: rank for rank, verdict in enumerate(BLOCKER_ORDER)}
        cases = [
            _testcase(dist, report, outcome)
            for dist in sorted(report.distributions, key=lambda d: (order[d.verdict], d.name))
        ]
        failures = sum(1 for case in cases if case.find("failure") is not None)
        skipped = sum(1 for case in cases if case.find("skipped") is not None)
        elapsed = sum(report.timings.values()) or sum(
            d.import_seconds for d in report.distributions
        )
        interpreter = report.interpreter
        counts = {
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": "0",
            "skipped": str(skipped),
            "time": _seconds(elapsed),
        }
        root = ET.Element("testsuites", {"name": "readiness", **counts})
        kind = "static scan" if report.static else "GIL readiness"
        suite = ET.SubElement(
            root,
            "testsuite",
            {"name": f"readiness: {kind} on CPython {interpreter.version_tag}", **counts},
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("interpreter", interpreter.build_info or interpreter.version_string),
            ("abi", interpreter.abi_tag),
            ("platform", interpreter.platform),
            ("mode", "static" if report.static else "probe"),
            ("installer", report.installer),
            ("gate", "passed" if outcome.passed else "failed"),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": xml_text(value)})
        suite.extend(cases)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _testcase(dist: DistributionReport, report: Report, outcome: PolicyOutcome) -> ET.Element:
    origin = dist.origin
    classname = (
        str(origin.path) if origin is not None else str(report.inputs[0]) if report.inputs else ""
    )
    version = f" {dist.version}" if dist.version is not None else ""
    case = ET.Element(
        "testcase",
        {
            "classname": xml_text(classname),
            "name": xml_text(f"{dist.name}{version}"),
            "time": _seconds(dist.import_seconds),
        },
    )
    detail = _detail(dist)
    if any(failed.name == dist.name for failed in outcome.failed):
        failure = ET.SubElement(
            case, "failure", {"message": xml_text(detail), "type": dist.verdict.value}
        )
        failure.text = xml_text(_body(dist))
        return case
    why = _passing_blocker(dist, outcome)
    if why is not None:
        ET.SubElement(
            case, "skipped", {"message": xml_text(f"{dist.verdict.value}, {why}: {detail}")}
        )
    elif any(unsure.name == dist.name for unsure in outcome.inconclusive):
        ET.SubElement(
            case, "skipped", {"message": xml_text(f"{dist.verdict.value} (inconclusive): {detail}")}
        )
    elif dist.verdict is Verdict.SKIPPED:
        ET.SubElement(case, "skipped", {"message": xml_text(f"{dist.verdict.value}: {detail}")})
    return case


def _passing_blocker(dist: DistributionReport, outcome: PolicyOutcome) -> str | None:
    """Say why a blocker passes the gate (allowed, in the baseline); None for a non-blocker."""
    allowance = outcome.allowance_for(dist)
    if allowance is not None:
        return f"allowed: {allowance.reason}"
    if any(known.name == dist.name for known in outcome.baselined):
        return "in the baseline"
    return None


def _detail(dist: DistributionReport) -> str:
    if dist.verdict is Verdict.GIL_ENABLED and dist.culprits:
        modules = ", ".join(dict.fromkeys(culprit.module for culprit in dist.culprits))
        when = "on import" if dist.gil_trigger is GilTrigger.ON_IMPORT else "when loaded"
        return f"{modules} re-enables the GIL ({when})"
    return dist.reason or dist.verdict.value


def _body(dist: DistributionReport) -> str:
    """Return the failure's text: verdict, culprits, reason, evidence, remedy, declaration."""
    lines = [f"verdict: {dist.verdict.value}"]
    lines += [
        f"culprit: {culprit.module} (loaded by import {culprit.reached_through})"
        for culprit in dist.culprits
    ]
    if dist.reason:
        lines.append(f"reason: {dist.reason}")
    lines += [f"disagreement: {text}" for text in dist.disagreements]
    evidence = dist.evidence
    if evidence is not None and evidence.remedy is not None:
        lines.append(f"remedy: {evidence.remedy.text}")
        if evidence.remedy.url:
            lines.append(f"upstream: {evidence.remedy.url}")
    lines.append(f"declared: {dist.origin if dist.origin is not None else '(transitive)'}")
    return "\n".join(lines)


def _seconds(seconds: float) -> str:
    return f"{seconds:.3f}"


def xml_text(text: str) -> str:
    """Return ``text`` with every character XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)
