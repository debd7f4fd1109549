"""The HTML audit report: one self-contained file that needs no network to open.

The page is the Jinja2 template ``_html/report.html.j2``; this module prepares what it shows
(plain values, a few words each) and renders it. Everything from the report is escaped on the
way out: the template autoescapes every value, and shows control characters as their escapes
first (:mod:`readiness.formats.control_chars`). Only the style and the script pass through as
they are: this package's own files (``_html/``), inlined, and a Content-Security-Policy with
their hashes forbids the page any other style, script or request, so a report opened from a
CI artifact stays offline. Without JavaScript the table is complete and sorted blockers
first; the script only adds sorting, filtering and "expand all".
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypeVar

from readiness import __version__
from readiness.evidence.interface import Evidence, IndexEvidence, TrackerRecord
from readiness.evidence.tracker import STALE_AFTER_DAYS
from readiness.formats.control_chars import escape_controls
from readiness.formats.interface import (
    BLOCKER_ORDER,
    ReportFormat,
    culprit_summary,
    scanned_on,
)
from readiness.policy import MessageLevel, PolicyOutcome, default_outcome
from readiness.probe.interface import ImportObservation, ImportStatus
from readiness.report import DistributionReport, Report, Verdict

if TYPE_CHECKING:
    from jinja2 import Environment, Template

_Verdict = TypeVar("_Verdict", bound=enum.StrEnum)

VERDICT_COLOURS: Mapping[Verdict, str] = {
    Verdict.GIL_ENABLED: "#d1242f",
    Verdict.NOT_INSTALLABLE: "#8250df",
    Verdict.NO_FREE_THREADED_WHEEL: "#a40e26",
    Verdict.CRASHED: "#bf3989",
    Verdict.TIMEOUT: "#bc4c00",
    Verdict.IMPORT_ERROR: "#d4a72c",
    Verdict.SOURCE_BUILD_REQUIRED: "#fb8f44",
    Verdict.UNKNOWN: "#6e7781",
    Verdict.READY: "#1a7f37",
    Verdict.FREE_THREADED_WHEEL: "#0f8a8a",
    Verdict.PURE: "#4ac26b",
    Verdict.SKIPPED: "#afb8c1",
}
"""One colour per verdict, for the chart, its legend and the verdict badges."""

_ORDER = {verdict: rank for rank, verdict in enumerate(BLOCKER_ORDER)}

_STATUS_WORDS = {
    ImportStatus.OK: "ok",
    ImportStatus.ERROR: "error",
    ImportStatus.CRASHED: "crashed",
    ImportStatus.TIMEOUT: "timeout",
    ImportStatus.NOT_A_MODULE: "not a module",
}

_CHART_WIDTH, _CHART_HEIGHT = 1000, 36
"""The summary chart's viewBox: one stacked bar, each verdict's share in its colour."""

_COLUMNS = (
    ("Distribution", "name", "text"),
    ("Version", "version", "text"),
    ("Verdict", "rank", "number"),
    ("Culprit module / reason", "detail", "text"),
    ("Remedy", "remedy", "text"),
    ("Declared", "declared", "text"),
    ("Import time", "seconds", "number"),
)
"""The table's columns: heading, the ``data-`` key a row is sorted by, and how to compare.
The remedy column is left out when no distribution has evidence."""

View: TypeAlias = dict[str, Any]
"""What the template reads of one part of the page: plain values under names it uses."""


class HtmlFormat(ReportFormat):
    """Render the report as one self-contained HTML page."""

    def render(self, report: Report) -> str:
        """Return the whole page, from ``<!doctype html>`` to ``</html>``."""
        return render_page(report, self.gate)


def render_page(report: Report, gate: PolicyOutcome | None = None) -> str:
    """Return the audit report of ``report`` as a complete HTML document.

    ``gate`` is the policy's decision; without it the page counts what the default gate
    would fail, and marks no row as allowed.
    """
    return render_document(
        "report.html.j2",
        VERDICT_COLOURS,
        title=page_title(report),
        **_header(report, gate),
        notes=_notes(report, gate),
        **_summary(report, gate),
        **_distributions(report, gate),
    )


def render_document(template: str, colours: Mapping[_Verdict, str], **context: Any) -> str:
    """Return the page ``template`` (a file of ``_html/``) makes of ``context``, self-contained.

    Every page has the same style, with a colour rule per verdict of ``colours``, the same
    script, and a Content-Security-Policy that allows those two alone. ``template`` extends
    ``report.html.j2``, or is it.
    """
    # Imported here: the other formats, and readiness's start-up, do without Jinja2 and its
    # MarkupSafe.
    from markupsafe import Markup

    # Our own files, inlined as they are: the policy below holds their exact hashes.
    rules = _verdict_rules(colours)
    style = Markup(_asset("report.css") + rules)  # noqa: S704 (not a stranger's text)
    script = Markup(_asset("report.js"))  # noqa: S704 (not a stranger's text)
    # No source may be fetched (default-src 'none'); only our own style and script may run.
    policy = (
        f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    return _template(template).render(
        policy=policy, style=style, script=script, version=__version__, **context
    )


@functools.cache
def _template(name: str) -> Template:
    return _environment().get_template(name)


@functools.cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    environment = Environment(
        loader=PackageLoader("readiness.formats", "_html"),
        # Every {{ value }} is escaped, after finalize shows a stranger's control characters.
        autoescape=True,
        finalize=_shown,
        undefined=StrictUndefined,
    )
    # Set before the first template loads, as Jinja2 allows: a line holding only a {% tag %}
    # leaves nothing in the page, and the page keeps its last newline.
    environment.trim_blocks = environment.lstrip_blocks = environment.keep_trailing_newline = True
    return environment


def _shown(value: object) -> object:
    # Markup (``__html__``) is ours, already escaped; everything else is text to escape.
    return value if hasattr(value, "__html__") else escape_controls(str(value))


def _asset(name: str) -> str:
    return resources.files("readiness.formats").joinpath("_html", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    # CSP Level 3 "hash-source": the base64 SHA-256 of the element's exact text.
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _verdict_rules(colours: Mapping[_Verdict, str]) -> str:
    # One source for the colours: the chart's SVG fills and the badges' CSS both read the table.
    return "".join(
        f".v-{verdict.value} {{ --c: {colour}; }}\n" for verdict, colour in colours.items()
    )


def page_title(report: Report) -> str:
    """Return the report's title: what kind of scan, on which interpreter."""
    kind = "Static scan" if report.static else "GIL readiness"
    return f"{kind} on {scanned_on(report)}"


def _header(report: Report, gate: PolicyOutcome | None) -> View:
    """Return the header's badges and facts: inputs, interpreter, tracker snapshot, timings."""
    interpreter = report.interpreter
    badges = [{"class": "badge", "words": "static scan" if report.static else "probe"}]
    if interpreter.synthetic:
        badges.append({"class": "badge", "words": "synthesized target"})
    if gate is not None:
        outcome = "passed" if gate.passed else "failed"
        badges.append({"class": f"badge gate-{outcome}", "words": f"gate {outcome}"})
    return {
        "badges": badges,
        "inputs": [str(path) for path in report.inputs],
        "source_kind": report.source_kind,
        "interpreter": {
            "words": (
                f"none ran: a target synthesized for CPython {interpreter.version_tag} "
                f"({interpreter.abi_tag}, {interpreter.platform})"
            )
            if interpreter.synthetic
            else None,
            "executable": str(interpreter.executable),
            "build_info": interpreter.build_info,
        },
        "installer": report.installer,
        "tracker": _tracker(report),
        "timings": _timings(report),
    }


def _tracker(report: Report) -> View | None:
    tracker = report.tracker
    if tracker is None:
        return None
    stale = tracker.age_days > STALE_AFTER_DAYS
    return {
        "taken": tracker.taken.isoformat(),
        "age": f"{tracker.age_days} day{'s' if tracker.age_days != 1 else ''} old",
        "stale_title": f"over {STALE_AFTER_DAYS} days: `readiness tracker update` refreshes it"
        if stale
        else None,
        "source": tracker.source,
    }


def _timings(report: Report) -> str:
    phases = [f"{phase} {_seconds(seconds)}" for phase, seconds in report.timings.items()]
    if report.processes:
        phases.append(f"{report.processes} child interpreter{'s' if report.processes != 1 else ''}")
    return " · ".join(phases) or "not measured"


def _notes(report: Report, gate: PolicyOutcome | None) -> list[View]:
    """Return the warnings above the summary: the scan's own, then the gate's messages."""
    notes = [(MessageLevel.WARNING, warning) for warning in report.warnings]
    # A scan already warns that it is static (readiness/scan.py); a report built otherwise
    # must still say so, once.
    if report.static and not any("static scan" in warning.lower() for warning in report.warnings):
        notes.append(
            (
                MessageLevel.WARNING,
                "Static scan: verdicts come from the index's files alone and nothing was "
                "imported; a wheel does not prove that the GIL stays off.",
            )
        )
    if gate is not None:
        notes += [(message.level, f"Gate: {message.text}") for message in gate.messages()]
    return [{"level": level.value, "text": text} for level, text in notes]


def _summary(report: Report, gate: PolicyOutcome | None) -> View:
    """Return the summary's cards, and each present verdict's share (chart, legend, filter)."""
    counts = Counter(dist.verdict for dist in report.distributions)
    total = len(report.distributions)
    outcome = gate or default_outcome(report)
    blocked, unsure = len(outcome.failed), len(outcome.inconclusive)
    accepted = len(outcome.blockers) - blocked
    cards = [
        ("total", total, "distributions"),
        (
            "blocking" if blocked else "clear",
            blocked,
            "fail the default gate" if gate is None else "fail the gate",
        ),
        ("unsure" if unsure else "clear", unsure, "inconclusive"),
    ]
    if accepted:
        cards.append(("accepted", accepted, "allowed or in the baseline"))
    cards.append(("clear", total - blocked - unsure - accepted, "pass"))
    return {
        "cards": summary_cards(cards),
        **verdict_chart(
            {verdict: counts[verdict] for verdict in BLOCKER_ORDER},
            VERDICT_COLOURS,
            nothing="no distributions",
        ),
    }


def summary_cards(cards: Iterable[tuple[str, int, str]]) -> list[View]:
    """Return the summary's cards, each a kind, a number and the words under it.

    The kind is the card's colour: ``total``, ``blocking``, ``unsure``, ``accepted``, ``clear``.
    """
    return [{"kind": kind, "number": number, "words": words} for kind, number, words in cards]


def verdict_chart(
    counts: Mapping[_Verdict, int], colours: Mapping[_Verdict, str], *, nothing: str
) -> View:
    """Return each present verdict's share (for the chart, its legend and the filter).

    ``counts`` is in the order the bar shows; a verdict counted 0 is left out. ``nothing``
    describes a chart of no rows.
    """
    total = sum(counts.values())
    shares, x = [], 0.0
    for verdict, count in counts.items():
        if not count:
            continue
        width = _CHART_WIDTH * count / total
        shares.append(
            {
                "verdict": verdict.value,
                "colour": colours[verdict],
                "count": count,
                "percent": f"{100 * count / total:.0f}%",
                "x": f"{x:.2f}",
                "width": f"{width:.2f}",
            }
        )
        x += width
    described = ", ".join(f"{share['count']} {share['verdict']}" for share in shares)
    return {
        "shares": shares,
        "chart": {
            "width": _CHART_WIDTH,
            "height": _CHART_HEIGHT,
            "described": described or nothing,
        },
    }


def _distributions(report: Report, gate: PolicyOutcome | None) -> View:
    """Return the table's columns and one row per distribution, blockers first."""
    ordered = sorted(report.distributions, key=lambda d: (_ORDER[d.verdict], d.name))
    with_remedy = any(dist.evidence is not None for dist in report.distributions)
    columns = [column for column in _COLUMNS if with_remedy or column[1] != "remedy"]
    abi = report.interpreter.abi_tag
    return {
        "columns": table_columns(columns),
        "rows": [_row(dist, abi, with_remedy, _gate_words(dist, gate)) for dist in ordered],
    }


def table_columns(columns: Iterable[tuple[str, str, str]]) -> list[View]:
    """Return the sortable table's columns: heading, ``data-`` key to sort by, how to compare.

    The comparison is ``text`` or ``number``.
    """
    return [{"label": label, "key": key, "type": kind} for label, key, kind in columns]


class _GateWords(NamedTuple):
    """How the gate treated a blocker."""

    kind: str
    """``failed``, ``allowed`` or ``baselined``."""

    words: str
    """The same in a few words: ``allowed until 2099-01-01: only in tests``."""


def _gate_words(dist: DistributionReport, gate: PolicyOutcome | None) -> _GateWords | None:
    """Return how the gate treated a blocker, or None when it is not one (or no gate ran)."""
    if gate is None or dist.name not in {blocker.name for blocker in gate.blockers}:
        return None
    allowance = gate.allowance_for(dist)
    if allowance is not None:
        until = f" until {allowance.until}" if allowance.until else ""
        return _GateWords("allowed", f"allowed{until}: {allowance.reason}")
    if dist.name in {known.name for known in gate.baselined}:
        return _GateWords("baselined", "in the baseline: a known blocker, not failing the gate")
    return _GateWords("failed", "fails the gate")


def _row(dist: DistributionReport, abi: str, with_remedy: bool, gate: _GateWords | None) -> View:
    """Return what one distribution's row and its details say."""
    detail = culprit_summary(dist)
    # Still shown as a blocker: the allowlist changes the exit code, not the finding.
    accepted = gate is not None and gate.kind != "failed"
    if gate is not None and accepted:
        detail = f"{gate.words}; {detail}" if detail else gate.words
    remedy = dist.evidence.remedy if dist.evidence is not None else None
    declared = str(dist.origin) if dist.origin is not None else ""
    version = str(dist.version) if dist.version is not None else ""
    searchable = " ".join(
        [dist.name, version, dist.verdict.value, detail, remedy.text if remedy else "", declared]
        + [culprit.module for culprit in dist.culprits]
        + [observation.step.module for observation in dist.modules]
    ).lower()
    return {
        "name": dist.name,
        "version": version,
        "verdict": dist.verdict.value,
        "rank": _ORDER[dist.verdict],
        "transitive": not dist.direct,
        "gate": gate,
        "accepted": accepted,
        "detail": detail,
        "detail_key": detail.lower(),
        "with_remedy": with_remedy,
        "remedy": {"text": remedy.text, "follow": _link(remedy.url) if remedy.url else None}
        if remedy is not None
        else None,
        "remedy_key": remedy.text.lower() if remedy else "",
        "declared": declared,
        "seconds": _seconds(dist.import_seconds) if dist.modules else None,
        "sort_seconds": f"{dist.import_seconds:.6f}",
        "search": searchable,
        "hint": _details_hint(dist),
        "why": _why(dist),
        "evidence": _evidence(dist.evidence, abi),
        "disagreements": list(dist.disagreements),
        "declared_facts": [
            _fact("Declared at", str(dist.origin) if dist.origin is not None else "—"),
            _fact("Dependency", "direct" if dist.direct else "transitive"),
            _fact("Built from source", _yes_no(dist.built_from_source)),
            _fact("Import time", _seconds(dist.import_seconds)),
        ],
        "modules": [_module(observation) for observation in dist.modules],
    }


def _details_hint(dist: DistributionReport) -> str:
    parts = [f"{len(dist.modules)} module{'s' if len(dist.modules) != 1 else ''} tried"]
    if dist.culprits:
        parts.append(f"{len(dist.culprits)} culprit{'s' if len(dist.culprits) != 1 else ''}")
    if dist.evidence is not None:
        parts.append("evidence")
    if dist.disagreements:
        parts.append(
            f"{len(dist.disagreements)} disagreement{'s' if len(dist.disagreements) != 1 else ''}"
        )
    return ", ".join(parts)


def _why(dist: DistributionReport) -> View | None:
    """Return why the row has its verdict: reason, trigger, culprits, reaches; None if nothing."""
    # The reason of a gil-enabled verdict already says how it is triggered; without one, say it.
    trigger = None if dist.reason else dist.gil_trigger
    said = bool(dist.reason or trigger or dist.culprits or dist.reaches)
    ready = dist.verdict is Verdict.READY and not said
    if not (said or ready):
        return None
    return {
        "reason": dist.reason,
        "trigger": trigger.value if trigger is not None else None,
        "culprits": dist.culprits,
        "reaches": dist.reaches,
        "ready": ready,
    }


def _evidence(evidence: Evidence | None, abi: str) -> list[View] | None:
    if evidence is None:
        return None
    return _tracker_facts(evidence.tracker) + _index_facts(evidence.index, abi)


def _fact(term: str, text: str, href: str | None = None) -> View:
    """Return one ``term: value`` line of a details panel; ``href`` makes the value a link."""
    return {"term": term, "text": text, "href": href}


def _link(url: str, text: str | None = None) -> View:
    """Return ``text`` (else ``url``) linked to ``url`` when it is a web address, else unlinked."""
    # Only http(s): a javascript: or data: URL from a tampered snapshot must not become a link.
    href = url if url.startswith(("https://", "http://")) else None
    return {"text": text or url, "href": href}


def _tracker_facts(tracker: TrackerRecord | None) -> list[View]:
    if tracker is None:
        return [
            _fact(
                "Tracker",
                "not tracked (the tracker leaves pure-Python projects out on purpose)",
            )
        ]
    nightly = (
        _link(tracker.nightly_url, "yes")
        if tracker.nightly_wheels and tracker.nightly_url
        else {"text": _yes_no(tracker.nightly_wheels), "href": None}
    )
    facts = [
        _fact("Tracker", tracker.display_name),
        _fact("Supported since", tracker.first_version or "no release yet"),
        _fact("Tested in CI", _yes_no(tracker.tested_in_ci)),
        _fact("Release on the index", _yes_no(tracker.release_on_index)),
        _fact("Nightly wheels", **nightly),
    ]
    if tracker.issue_url:
        facts.append(_fact("Upstream issue", **_link(tracker.issue_url)))
    facts += [_fact("Note", note) for note in tracker.notes]
    return facts


def _index_facts(index: IndexEvidence | None, abi: str) -> list[View]:
    if index is None:
        return [_fact("Index", "not asked")]
    if index.unavailable is not None:
        return [_fact("Index", f"unavailable: {index.unavailable}")]
    facts = [_fact("Index wheel", index.wheel.words(abi))]
    if index.yanked:
        reason = f": {index.yanked_reason}" if index.yanked_reason else ""
        facts.append(_fact("Yanked", f"yes{reason}"))
    if index.classifier is not None:
        release = f" (from {index.classifier_of})" if index.classifier_of is not None else ""
        facts.append(_fact("Classifier", f"{index.classifier}{release}"))
    else:
        facts.append(_fact("Classifier", "no Free Threading classifier"))
    if index.first_free_threaded is not None:
        facts.append(_fact(f"First release with {abi} wheels", str(index.first_free_threaded)))
    if index.latest is not None:
        facts.append(_fact("Latest release", str(index.latest)))
    return facts


def _module(observation: ImportObservation) -> View:
    """Return one line of a distribution's modules table."""
    gil = observation.gil_enabled_after
    return {
        "name": observation.step.module,
        "kind": observation.step.kind.value,
        "status": observation.status.value,
        "status_words": _STATUS_WORDS[observation.status],
        "seconds": _seconds(observation.seconds),
        "gil": "—" if gil is None else ("on" if gil else "off"),
        "gil_on": bool(gil),
        "gil_modules": observation.gil_modules,
        "named_by_warning": observation.warned_module is not None
        and observation.warned_module in observation.gil_modules,
        "error": observation.error or "",
        "process": observation.process,
    }


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"
