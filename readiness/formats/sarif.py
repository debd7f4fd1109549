"""The SARIF 2.1.0 report: blockers as code-scanning alerts on the line that pins them.

One run; one rule per verdict that can fail; one result per blocker, at the dependency file and
line that declares it. The level follows the policy: a verdict that fails the gate is an
``error``, one the scan could not judge a ``warning``. A blocker the allowlist or the baseline
lets pass is still reported, with a suppression (SARIF 2.1.0, section 3.27.23) that says why, so
code scanning shows it as dismissed rather than losing it.

The format is the OASIS standard (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html);
the tests validate the output against its JSON schema. The log, the rules, the fingerprints
and the artifact locations are built by :func:`sarif_log`, :func:`rule`, :func:`fingerprint`
and :func:`artifact_location`, which ``readiness test``'s log (readiness/testrun/report.py)
is built from too.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from readiness import __version__
from readiness.formats.control_chars import escape_controls
from readiness.formats.interface import BLOCKER_ORDER, ReportFormat
from readiness.policy import PolicyOutcome
from readiness.report import DistributionReport, GilTrigger, Report, Verdict

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
"""The schema URI a SARIF 2.1.0 log names (the OASIS standard's)."""

SRCROOT = "%SRCROOT%"
"""The base the artifact locations are relative to: the working directory of the scan."""

FINGERPRINT_KEY = "readinessBlocker/v1"
"""The partialFingerprints key; its value is stable across runs for the same blocker."""

PROBE_RULES = (
    Verdict.GIL_ENABLED,
    Verdict.NOT_INSTALLABLE,
    Verdict.CRASHED,
    Verdict.TIMEOUT,
    Verdict.IMPORT_ERROR,
)
"""The verdicts of a probe scan that can fail the gate (the last only with ``--strict``)."""

STATIC_RULES = (
    Verdict.NO_FREE_THREADED_WHEEL,
    Verdict.SOURCE_BUILD_REQUIRED,
    Verdict.UNKNOWN,
)
"""The verdicts of a static scan that can fail the gate."""

RULE_TEXTS: Mapping[Verdict, tuple[str, str]] = {
    Verdict.GIL_ENABLED: (
        "A dependency re-enables the GIL on free-threaded CPython.",
        "Importing a C extension module that does not declare free-threading support (the "
        "Py_mod_gil slot, or PyUnstable_Module_SetGIL) switches the GIL back on for the whole "
        "process. Upgrade to a release that declares support, or follow the upstream issue.",
    ),
    Verdict.NOT_INSTALLABLE: (
        "A dependency cannot be installed on the free-threaded interpreter.",
        "The installer found no wheel the free-threaded interpreter accepts and could not build "
        "one from source.",
    ),
    Verdict.CRASHED: (
        "Importing a dependency crashes the free-threaded interpreter.",
        "A module's import killed the interpreter (a signal, an abort or os._exit).",
    ),
    Verdict.TIMEOUT: (
        "Importing a dependency does not finish on the free-threaded interpreter.",
        "A module's import did not finish within the time limit (--import-timeout).",
    ),
    Verdict.IMPORT_ERROR: (
        "A dependency fails to import, so its free-threading support is unknown.",
        "A module raised on import: the scan could not tell whether it re-enables the GIL. "
        "Inconclusive; --strict fails on it.",
    ),
    Verdict.NO_FREE_THREADED_WHEEL: (
        "A dependency has no wheel for the free-threaded ABI and no sdist.",
        "The index has no wheel the free-threaded interpreter accepts for the pinned version, "
        "and no sdist to build one from: it cannot be installed.",
    ),
    Verdict.SOURCE_BUILD_REQUIRED: (
        "A dependency must be built from source for the free-threaded ABI.",
        "The index has no wheel the free-threaded interpreter accepts for the pinned version, "
        "only an sdist: installing builds it, which may fail. Inconclusive; --strict fails on it.",
    ),
    Verdict.UNKNOWN: (
        "The index does not say whether a dependency has free-threaded wheels.",
        "The index does not list the pinned version, or could not be asked. Inconclusive; "
        "--strict fails on it.",
    ),
}
"""Each rule's short and full description."""


class SarifFormat(ReportFormat):
    """Render the report as a SARIF 2.1.0 log."""

    def __init__(self, gate: PolicyOutcome | None = None, *, base_dir: Path | None = None) -> None:
        super().__init__(gate)
        self.base_dir = base_dir

    def render(self, report: Report) -> str:
        """Return the SARIF log as indented JSON, ending with a newline."""
        return json.dumps(self.to_dict(report), indent=2) + "\n"

    def to_dict(self, report: Report) -> dict[str, Any]:
        """Return the SARIF log as plain data."""
        outcome = self.outcome(report)
        base = (self.base_dir or Path.cwd()).absolute()
        order = {verdict: rank for rank, verdict in enumerate(BLOCKER_ORDER)}
        blockers = sorted(
            (*outcome.blockers, *outcome.inconclusive),
            key=lambda dist: (order[dist.verdict], dist.name),
        )
        verdicts: tuple[Verdict, ...] = STATIC_RULES if report.static else PROBE_RULES
        verdicts += tuple(
            v for v in BLOCKER_ORDER if v not in verdicts and any(d.verdict is v for d in blockers)
        )
        rules = [_rule(verdict, outcome.fail_on) for verdict in verdicts]
        index = {verdict: position for position, verdict in enumerate(verdicts)}
        return sarif_log(
            rules=rules,
            results=[
                _result(dist, report, outcome, index[dist.verdict], base) for dist in blockers
            ],
            base=base,
            properties={
                "mode": "static" if report.static else "probe",
                "interpreter": report.interpreter.version_tag,
                "abi": report.interpreter.abi_tag,
                "platform": report.interpreter.platform,
                "gatePassed": outcome.passed,
            },
        )


def sarif_log(
    *,
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    base: Path,
    properties: dict[str, Any],
) -> dict[str, Any]:
    """Return a SARIF 2.1.0 log of one run of readiness, as plain data.

    ``base`` is what the ``%SRCROOT%`` of relative artifact locations stands for;
    ``properties`` are the run's own (SARIF 2.1.0, section 3.8).
    """
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "readiness",
                "version": __version__,
                "informationUri": information_uri(),
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": base.as_uri() + "/"}},
        "results": results,
        "properties": properties,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def information_uri() -> str | None:
    """Return the project's URL from its installed metadata, or None when it has none."""
    try:
        urls: list[str] = importlib.metadata.metadata("readiness").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in urls:
        _, _, url = entry.partition(",")
        if url.strip():
            return url.strip()
    return None


def rule_id(verdict: Verdict) -> str:
    """Return the rule id of ``verdict``: ``readiness/gil-enabled``."""
    return f"readiness/{verdict.value}"


def _rule(verdict: Verdict, fail_on: frozenset[Verdict]) -> dict[str, Any]:
    texts = RULE_TEXTS.get(
        verdict, (f"A dependency's verdict is {verdict.value}.", f"--fail-on names {verdict}.")
    )
    level = "error" if verdict in fail_on else "warning"
    return rule(rule_id(verdict), verdict.value, texts, level=level, tags=["dependencies"])


def rule(
    identifier: str, verdict: str, texts: tuple[str, str], *, level: str, tags: list[str]
) -> dict[str, Any]:
    """Return the descriptor of the rule of ``verdict`` (SARIF 2.1.0, section 3.49).

    ``texts`` are its short and full descriptions, ``level`` its default level (``error``
    where the verdict fails the gate, else ``warning``), ``tags`` what it is about besides
    free-threading.
    """
    short, full = texts
    return {
        "id": identifier,
        "name": "".join(word.capitalize() for word in verdict.split("-")),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["free-threading", *tags]},
    }


def _result(
    dist: DistributionReport, report: Report, outcome: PolicyOutcome, index: int, base: Path
) -> dict[str, Any]:
    blocker = any(known.name == dist.name for known in outcome.blockers)
    result: dict[str, Any] = {
        "ruleId": rule_id(dist.verdict),
        "ruleIndex": index,
        "level": "error" if blocker else "warning",
        "message": {"text": message(dist, report)},
    }
    location = _location(dist, report, base)
    if location is not None:
        result["locations"] = [location]
    artifact = location["physicalLocation"]["artifactLocation"]["uri"] if location else ""
    # Name, verdict and file, not the version or the line: an upgrade that still re-enables the
    # GIL, or a line that moves, is the same alert; a new verdict is a new one.
    result["partialFingerprints"] = fingerprint(
        FINGERPRINT_KEY, dist.name, dist.verdict.value, artifact
    )
    suppression = _suppression(dist, outcome)
    if suppression is not None:
        result["suppressions"] = [suppression]
    if outcome.baseline is not None and blocker:
        baselined = any(known.name == dist.name for known in outcome.baselined)
        result["baselineState"] = "unchanged" if baselined else "new"
    result["properties"] = {
        "distribution": dist.name,
        "version": str(dist.version) if dist.version is not None else None,
        "verdict": dist.verdict.value,
        "culprits": list(dict.fromkeys(culprit.module for culprit in dist.culprits)),
    }
    return result


def fingerprint(key: str, *identity: str) -> dict[str, str]:
    """Return ``partialFingerprints``: under ``key``, a hash of what makes a result the same.

    Code scanning matches a result with the alert of an earlier run by it (SARIF 2.1.0,
    section 3.27.17): ``identity`` holds what stays when the same finding is found again.
    """
    return {key: hashlib.sha256("\0".join(identity).encode()).hexdigest()}


def message(dist: DistributionReport, report: Report) -> str:
    """Return the result's message: what is wrong, the culprit module, and the remedy.

    Control characters (a package's exception text may hold any) are shown escaped, as in
    every report a person reads: a code-scanning page must not render them.
    """
    version = f" {dist.version}" if dist.version is not None else ""
    what = f"{dist.name}{version}"
    interpreter = report.interpreter
    on = f"CPython {interpreter.version_tag} ({interpreter.abi_tag})"
    if dist.verdict is Verdict.GIL_ENABLED and dist.culprits:
        modules = ", ".join(dict.fromkeys(culprit.module for culprit in dist.culprits))
        when = (
            "on import"
            if dist.gil_trigger is GilTrigger.ON_IMPORT
            else "when loaded; the top-level import keeps the GIL off"
        )
        text = f"{what} re-enables the GIL on {on}: {modules} ({when})."
    else:
        text = f"{what} is {dist.verdict.value} on {on}"
        text += f": {dist.reason}" if dist.reason else "."
        if not text.endswith("."):
            text += "."
    evidence = dist.evidence
    if evidence is not None and evidence.remedy is not None:
        text += f" Remedy: {evidence.remedy.text}."
        if evidence.remedy.url:
            text += f" Upstream: {evidence.remedy.url}"
    return escape_controls(text)


def _location(dist: DistributionReport, report: Report, base: Path) -> dict[str, Any] | None:
    """Return where the file declares ``dist``; a transitive one points at the input file."""
    origin = dist.origin
    path = origin.path if origin is not None else (report.inputs[0] if report.inputs else None)
    if path is None:
        return None
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path, base)}
    if origin is not None and origin.line is not None:
        physical["region"] = {"startLine": origin.line}
    return {"physicalLocation": physical}


def artifact_location(path: Path, base: Path) -> dict[str, str]:
    """Return the artifact location: relative to ``base`` when it is inside it, else a file URI.

    A relative reference carries the ``%SRCROOT%`` base id (SARIF 2.1.0, section 3.4.4), which
    code scanning resolves against the repository's root.
    """
    absolute = path if path.is_absolute() else base / path
    try:
        relative = absolute.relative_to(base)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}


def _suppression(dist: DistributionReport, outcome: PolicyOutcome) -> dict[str, Any] | None:
    allowance = outcome.allowance_for(dist)
    if allowance is not None:
        until = f" (until {allowance.until})" if allowance.until else ""
        return {
            "kind": "external",
            "status": "accepted",
            "justification": f"allowed by {allowance.describe()}{until}: {allowance.reason}",
        }
    if any(known.name == dist.name for known in outcome.baselined):
        where = f" {outcome.baseline.path}" if outcome.baseline and outcome.baseline.path else ""
        return {
            "kind": "external",
            "status": "accepted",
            "justification": f"recorded in the baseline{where}",
        }
    return None
