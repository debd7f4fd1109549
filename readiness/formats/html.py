"""The HTML audit report: one self-contained file that needs no network to open.

Everything it shows comes from the report and is escaped on the way in: the page is built
with :func:`_element`, which escapes every text child and every attribute value, showing
control characters as their escapes (:mod:`readiness.formats.control_chars`); only markup it
built itself passes through unescaped. The style and the script are this package's own files
(``_html/``), inlined, and a Content-Security-Policy with their hashes forbids the page any
other style, script or request, so a report opened from a CI artifact stays offline.
Without JavaScript the table is complete and sorted blockers first; the script only adds
sorting, filtering and "expand all".
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import TypeAlias

from readiness import __version__
from readiness.evidence.interface import Evidence, IndexEvidence, TrackerRecord
from readiness.evidence.tracker import STALE_AFTER_DAYS
from readiness.formats.control_chars import escape_controls
from readiness.formats.interface import BLOCKER_ORDER, ReportFormat, culprit_summary
from readiness.policy import MessageLevel, PolicyOutcome, default_outcome
from readiness.probe.interface import ImportObservation, ImportStatus
from readiness.report import DistributionReport, GilTrigger, Report, Verdict

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

# HTML's void elements take no closing tag (WHATWG HTML, "13.1.2 Elements").
_VOID = frozenset({"meta", "input", "br", "col", "hr", "link", "img"})


class HtmlFormat(ReportFormat):
    """Render the report as one self-contained HTML page."""

    def render(self, report: Report) -> str:
        """Return the whole page, from ``<!doctype html>`` to ``</html>``."""
        return render_page(report, self.gate)


class Markup(str):
    """Text that is already HTML: :func:`_element` inserts it as it is."""

    __slots__ = ()


Child: TypeAlias = "str | Iterable[Child] | None"
"""What an element may contain: text (escaped), markup, nothing, or a sequence of those."""


def _element(tag: str, *children: Child, **attributes: str | int | bool | None) -> Markup:
    """Return ``<tag ...>children</tag>``, escaping every text child and attribute value.

    ``class_`` names the ``class`` attribute and ``data_x`` names ``data-x``; True writes a
    bare attribute, False and None leave it out.
    """
    parts = [f"<{tag}"]
    for key, value in attributes.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{html.escape(escape_controls(str(value)))}"')
    parts.append(">")
    if tag in _VOID:
        return Markup("".join(parts))
    parts.extend(_children(children))
    parts.append(f"</{tag}>")
    return Markup("".join(parts))


def _children(children: Iterable[Child]) -> Iterable[str]:
    for child in children:
        if child is None:
            continue
        if isinstance(child, Markup):
            yield child
        elif isinstance(child, str):
            yield html.escape(escape_controls(child))
        else:
            yield from _children(child)


def _asset(name: str) -> str:
    return resources.files("readiness.formats").joinpath("_html", name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    # CSP Level 3 "hash-source": the base64 SHA-256 of the element's exact text.
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def render_page(report: Report, gate: PolicyOutcome | None = None) -> str:
    """Return the audit report of ``report`` as a complete HTML document.

    ``gate`` is the policy's decision; without it the page counts what the default gate
    would fail, and marks no row as allowed.
    """
    style, script = _asset("report.css") + _verdict_rules(), _asset("report.js")
    # No source may be fetched (default-src 'none'); only our own style and script may run.
    policy = (
        f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}; "
        "base-uri 'none'; form-action 'none'"
    )
    title = page_title(report)
    head = _element(
        "head",
        _element("meta", charset="utf-8"),
        _element("meta", http_equiv="Content-Security-Policy", content=policy),
        _element("meta", name="viewport", content="width=device-width, initial-scale=1"),
        _element("meta", name="generator", content=f"readiness {__version__}"),
        _element("title", f"readiness: {title}"),
        _element("style", Markup(style)),
    )
    body = _element(
        "body",
        _header(report, title, gate),
        _element(
            "main",
            _warnings(report, gate),
            _summary(report, gate),
            _distributions(report, gate),
        ),
        _element(
            "footer",
            f"Made by readiness {__version__}. "
            "This file is self-contained: it loads nothing from the network.",
        ),
        _element("script", Markup(script)),
    )
    return f"<!doctype html>\n{_element('html', head, body, lang='en')}\n"


def _verdict_rules() -> str:
    # One source for the colours: the chart's SVG fills and the badges' CSS both read the table.
    return "".join(
        f".v-{verdict.value} {{ --c: {colour}; }}\n" for verdict, colour in VERDICT_COLOURS.items()
    )


def page_title(report: Report) -> str:
    """Return the report's title: what kind of scan, on which interpreter."""
    interpreter = report.interpreter
    if interpreter.synthetic:
        on = f"a synthesized free-threaded CPython {interpreter.version_tag}"
    else:
        on = f"CPython {interpreter.version_string} free-threaded"
    kind = "Static scan" if report.static else "GIL readiness"
    return f"{kind} on {on} ({interpreter.abi_tag}, {interpreter.platform})"


def _header(report: Report, title: str, gate: PolicyOutcome | None) -> Markup:
    interpreter = report.interpreter
    badges = [_element("span", "static scan" if report.static else "probe", class_="badge")]
    if interpreter.synthetic:
        badges.append(_element("span", "synthesized target", class_="badge"))
    if gate is not None:
        badges.append(
            _element(
                "span",
                "gate passed" if gate.passed else "gate failed",
                class_=f"badge gate-{'passed' if gate.passed else 'failed'}",
            )
        )
    facts: list[tuple[str, Child]] = [
        (
            "Inputs",
            _join(
                [
                    _element("span", _element("code", str(path)), f" ({report.source_kind})")
                    for path in report.inputs
                ]
            )
            or "none",
        ),
        ("Interpreter", _interpreter_words(report)),
        ("Installer", report.installer),
        ("Tracker snapshot", _tracker_words(report)),
        ("Timings", _timings(report)),
    ]
    return _element(
        "header",
        _element("p", "readiness audit report", class_="eyebrow"),
        _element("h1", title, " ", badges),
        _element(
            "dl",
            [_element("div", _element("dt", term), _element("dd", value)) for term, value in facts],
            class_="facts",
        ),
    )


def _interpreter_words(report: Report) -> Child:
    interpreter = report.interpreter
    if interpreter.synthetic:
        return (
            f"none ran: a target synthesized for CPython {interpreter.version_tag} "
            f"({interpreter.abi_tag}, {interpreter.platform})"
        )
    return [
        _element("code", str(interpreter.executable)),
        _element("span", f" {interpreter.build_info}", class_="muted")
        if interpreter.build_info
        else None,
    ]


def _tracker_words(report: Report) -> Child:
    tracker = report.tracker
    if tracker is None:
        return "none read"
    age = f"{tracker.age_days} day{'s' if tracker.age_days != 1 else ''} old"
    stale = tracker.age_days > STALE_AFTER_DAYS
    return [
        f"taken {tracker.taken.isoformat()}, ",
        _element(
            "span",
            age,
            class_="stale" if stale else None,
            title=f"over {STALE_AFTER_DAYS} days: `readiness tracker update` refreshes it"
            if stale
            else None,
        ),
        _element("span", f" from {tracker.source}", class_="muted"),
    ]


def _timings(report: Report) -> Child:
    phases = [f"{phase} {_seconds(seconds)}" for phase, seconds in report.timings.items()]
    if report.processes:
        phases.append(f"{report.processes} child interpreter{'s' if report.processes != 1 else ''}")
    return " · ".join(phases) or "not measured"


def _warnings(report: Report, gate: PolicyOutcome | None) -> Markup | None:
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
    if not notes:
        return None
    return _element(
        "section",
        _element("h2", "Warnings", class_="visually-hidden"),
        _element(
            "ul", [_element("li", note, class_=f"note-{level.value}") for level, note in notes]
        ),
        class_="warnings",
        aria_label="Warnings",
    )


def _summary(report: Report, gate: PolicyOutcome | None) -> Markup:
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
    present = [verdict for verdict in BLOCKER_ORDER if counts[verdict]]
    return _element(
        "section",
        _element("h2", "Summary", id="summary-heading"),
        _element(
            "div",
            [
                _element(
                    "div",
                    _element("span", str(number), class_="number"),
                    _element("span", words, class_="words"),
                    class_=f"card card-{kind}",
                )
                for kind, number, words in cards
            ],
            class_="cards",
        ),
        _chart(present, counts, total),
        _element(
            "ul",
            [
                _element(
                    "li",
                    _swatch(verdict),
                    _element("span", verdict.value, class_="legend-name"),
                    _element("span", str(counts[verdict]), class_="legend-count"),
                    _element("span", f"{100 * counts[verdict] / total:.0f}%", class_="muted"),
                    class_=f"v-{verdict.value}",
                )
                for verdict in present
            ],
            class_="legend",
        ),
        id="summary",
        aria_labelledby="summary-heading",
    )


def _swatch(verdict: Verdict) -> Markup:
    return _element(
        "svg",
        _element("rect", width=12, height=12, rx=3, fill=VERDICT_COLOURS[verdict]),
        class_="swatch",
        width=12,
        height=12,
        viewBox="0 0 12 12",
        aria_hidden="true",
    )


def _chart(present: list[Verdict], counts: Counter[Verdict], total: int) -> Markup:
    """Return one stacked bar: each verdict's share of the distributions, in its colour."""
    width, height = 1000, 36
    bars = []
    x = 0.0
    for verdict in present:
        share = width * counts[verdict] / total
        bars.append(
            _element(
                "rect",
                _element("title", f"{verdict.value}: {counts[verdict]}"),
                x=f"{x:.2f}",
                y=0,
                width=f"{share:.2f}",
                height=height,
                fill=VERDICT_COLOURS[verdict],
                data_verdict=verdict.value,
            )
        )
        x += share
    if not bars:
        bars.append(_element("rect", width=width, height=height, fill="#eaeef2"))
    described = ", ".join(f"{counts[verdict]} {verdict.value}" for verdict in present)
    return _element(
        "svg",
        _element("title", f"Verdicts: {described or 'no distributions'}"),
        bars,
        class_="chart",
        viewBox=f"0 0 {width} {height}",
        preserveAspectRatio="none",
        role="img",
        aria_label=f"Verdicts: {described or 'no distributions'}",
    )


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


def _distributions(report: Report, gate: PolicyOutcome | None) -> Markup:
    counts = Counter(dist.verdict for dist in report.distributions)
    ordered = sorted(report.distributions, key=lambda d: (_ORDER[d.verdict], d.name))
    with_remedy = any(dist.evidence is not None for dist in report.distributions)
    columns = [column for column in _COLUMNS if with_remedy or column[1] != "remedy"]
    heading = _element(
        "thead",
        _element(
            "tr",
            [
                _element(
                    "th", label, scope="col", class_=f"col-{key}", data_key=key, data_type=kind
                )
                for label, key, kind in columns
            ],
        ),
    )
    abi = report.interpreter.abi_tag
    bodies = [
        _distribution_rows(dist, abi, len(columns), with_remedy, _gate_words(dist, gate))
        for dist in ordered
    ]
    if not bodies:
        bodies = [
            _element(
                "tbody",
                _element("tr", _element("td", "No distributions.", colspan=len(columns))),
            )
        ]
    return _element(
        "section",
        _element("h2", "Distributions", id="distributions-heading"),
        _element(
            "p",
            "Blockers first. Open a row's details for the modules tried, the evidence and "
            "the timings.",
            class_="muted",
        ),
        _toolbar([verdict for verdict in BLOCKER_ORDER if counts[verdict]], counts),
        _element(
            "div",
            _element(
                "table",
                _element("caption", f"{len(ordered)} distributions", class_="visually-hidden"),
                heading,
                bodies,
                id="distributions",
            ),
            class_="table-wrap",
        ),
        aria_labelledby="distributions-heading",
    )


def _toolbar(present: list[Verdict], counts: Counter[Verdict]) -> Markup:
    """Return the filter controls, hidden until the script shows them (they need it)."""
    return _element(
        "div",
        _element(
            "label",
            "Filter ",
            _element(
                "input",
                type="search",
                id="filter-text",
                placeholder="name, module, reason…",
                autocomplete="off",
            ),
            class_="filter-text",
        ),
        _element(
            "fieldset",
            _element("legend", "Verdicts", class_="visually-hidden"),
            [
                _element(
                    "label",
                    _element("input", type="checkbox", checked=True, data_verdict=verdict.value),
                    _swatch(verdict),
                    f" {verdict.value} ",
                    _element("span", str(counts[verdict]), class_="muted"),
                    class_="verdict-toggle",
                )
                for verdict in present
            ],
        ),
        _element("button", "Expand all", type="button", id="expand-all"),
        _element("output", id="filter-status", aria_live="polite"),
        id="toolbar",
        class_="toolbar",
        hidden=True,
    )


def _gate_words(dist: DistributionReport, gate: PolicyOutcome | None) -> tuple[str, str] | None:
    """Return how the gate treated a blocker (``failed``, ``allowed``, ``baselined``) in words."""
    if gate is None or dist.name not in {blocker.name for blocker in gate.blockers}:
        return None
    allowance = gate.allowance_for(dist)
    if allowance is not None:
        until = f" until {allowance.until}" if allowance.until else ""
        return "allowed", f"allowed{until}: {allowance.reason}"
    if dist.name in {known.name for known in gate.baselined}:
        return "baselined", "in the baseline: a known blocker, not failing the gate"
    return "failed", "fails the gate"


def _distribution_rows(
    dist: DistributionReport,
    abi: str,
    width: int,
    with_remedy: bool,
    gate: tuple[str, str] | None,
) -> Markup:
    """Return one distribution's ``<tbody>``: its summary row, then its details row."""
    detail = culprit_summary(dist)
    # Still shown as a blocker: the allowlist changes the exit code, not the finding.
    accepted = gate is not None and gate[0] != "failed"
    if gate is not None and accepted:
        detail = f"{gate[1]}; {detail}" if detail else gate[1]
    remedy = dist.evidence.remedy if dist.evidence is not None else None
    declared = str(dist.origin) if dist.origin is not None else ""
    version = str(dist.version) if dist.version is not None else ""
    searchable = " ".join(
        [dist.name, version, dist.verdict.value, detail, remedy.text if remedy else "", declared]
        + [culprit.module for culprit in dist.culprits]
        + [observation.step.module for observation in dist.modules]
    ).lower()
    summary_row = _element(
        "tr",
        _element(
            "th",
            _element("a", dist.name, href=f"#dist-{dist.name}", class_="dist-name"),
            None if dist.direct else _element("span", "transitive", class_="tag"),
            scope="row",
        ),
        _element("td", version or "—", class_="version"),
        _element(
            "td",
            _verdict_badge(dist.verdict),
            _element("span", gate[0], class_="tag", title=gate[1]) if accepted and gate else None,
        ),
        _element("td", detail or "—", class_="detail" if detail else "muted"),
        _element("td", remedy.text if remedy else "—", class_=None if remedy else "muted")
        if with_remedy
        else None,
        _element("td", declared or "(installed as a dependency)", class_="declared"),
        _element("td", _seconds(dist.import_seconds) if dist.modules else "—", class_="num"),
        class_="summary-row",
    )
    details_row = _element(
        "tr",
        _element(
            "td",
            _element(
                "details",
                _element(
                    "summary",
                    f"Details of {dist.name}: ",
                    _element("span", _details_hint(dist), class_="muted"),
                ),
                _details(dist, abi, gate[1] if gate else None),
            ),
            colspan=width,
        ),
        class_="details-row",
    )
    return _element(
        "tbody",
        summary_row,
        details_row,
        id=f"dist-{dist.name}",
        class_=f"v-{dist.verdict.value}",
        data_name=dist.name,
        data_version=version,
        data_verdict=dist.verdict.value,
        data_gate=gate[0] if gate else None,
        data_rank=_ORDER[dist.verdict],
        data_detail=detail.lower(),
        data_remedy=remedy.text.lower() if remedy else "",
        data_declared=declared,
        data_seconds=f"{dist.import_seconds:.6f}",
        data_search=searchable,
    )


def _verdict_badge(verdict: Verdict) -> Markup:
    return _element("span", verdict.value, class_=f"verdict v-{verdict.value}")


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


def _details(dist: DistributionReport, abi: str, gate: str | None) -> Markup:
    panels = [
        _panel("Why", _why(dist)),
        _panel("Gate", _element("p", gate) if gate else None),
        _panel("Remedy", _remedy(dist.evidence)),
        _panel("Evidence", _evidence(dist.evidence, abi)),
        _panel(
            "Disagreements",
            _element("ul", [_element("li", text) for text in dist.disagreements])
            if dist.disagreements
            else None,
            class_="disagreements",
        ),
        _panel("Declared", _declared(dist)),
    ]
    return _element(
        "div",
        _element("div", panels, class_="panels"),
        _modules(dist.modules),
        class_="details",
    )


def _panel(title: str, content: Child, *, class_: str | None = None) -> Markup | None:
    if content is None or content == []:
        return None
    return _element(
        "section", _element("h3", title), content, class_=f"panel {class_ or ''}".strip()
    )


def _why(dist: DistributionReport) -> Child:
    items: list[Markup] = []
    if dist.reason:
        items.append(_element("li", dist.reason))
    # The reason of a gil-enabled verdict already says how it is triggered; without one, say it.
    trigger = None if dist.reason else dist.gil_trigger
    if trigger is GilTrigger.ON_IMPORT:
        items.append(_element("li", "Importing its top-level package already enables the GIL."))
    elif trigger is GilTrigger.SUBMODULE:
        items.append(
            _element(
                "li",
                "Only a submodule loaded on demand enables the GIL; the top-level import "
                "keeps it off.",
            )
        )
    for culprit in dist.culprits:
        how = (
            "the interpreter's RuntimeWarning named it: it switched the GIL on"
            if culprit.warned
            else "it does not declare free-threading support either"
        )
        items.append(
            _element(
                "li",
                _element("code", culprit.module),
                " reached through ",
                _element("code", culprit.reached_through),
                f": {how}",
            )
        )
    for reach in dist.reaches:
        items.append(
            _element(
                "li",
                "Its import of ",
                _element("code", reach.through),
                " loads ",
                _element("code", reach.module),
                " of ",
                _element("a", reach.owner, href=f"#dist-{reach.owner}"),
                " (blamed on that distribution).",
            )
        )
    if dist.verdict is Verdict.READY and not items:
        items.append(_element("li", "Every module imported and the GIL stayed disabled."))
    return _element("ul", items) if items else None


def _remedy(evidence: Evidence | None) -> Child:
    if evidence is None or evidence.remedy is None:
        return None
    remedy = evidence.remedy
    return [
        _element("p", remedy.text, class_="remedy"),
        _element("p", "Follow: ", _link(remedy.url)) if remedy.url else None,
    ]


def _evidence(evidence: Evidence | None, abi: str) -> Child:
    if evidence is None:
        return None
    return _element(
        "dl",
        _tracker_facts(evidence.tracker),
        _index_facts(evidence.index, abi),
        class_="kv",
    )


def _fact(term: str, value: Child) -> Markup:
    return _element("div", _element("dt", term), _element("dd", value))


def _tracker_facts(tracker: TrackerRecord | None) -> list[Markup]:
    if tracker is None:
        return [
            _fact(
                "Tracker",
                "not tracked (the tracker leaves pure-Python projects out on purpose)",
            )
        ]
    facts = [
        _fact("Tracker", tracker.display_name),
        _fact("Supported since", tracker.first_version or "no release yet"),
        _fact("Tested in CI", _yes_no(tracker.tested_in_ci)),
        _fact("Release on the index", _yes_no(tracker.release_on_index)),
        _fact(
            "Nightly wheels",
            _link(tracker.nightly_url, "yes")
            if tracker.nightly_wheels and tracker.nightly_url
            else _yes_no(tracker.nightly_wheels),
        ),
    ]
    if tracker.issue_url:
        facts.append(_fact("Upstream issue", _link(tracker.issue_url)))
    facts += [_fact("Note", note) for note in tracker.notes]
    return facts


def _index_facts(index: IndexEvidence | None, abi: str) -> list[Markup]:
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


def _declared(dist: DistributionReport) -> Child:
    return _element(
        "dl",
        _fact("Declared at", str(dist.origin) if dist.origin is not None else "—"),
        _fact("Dependency", "direct" if dist.direct else "transitive"),
        _fact("Built from source", _yes_no(dist.built_from_source)),
        _fact("Import time", _seconds(dist.import_seconds)),
        class_="kv",
    )


def _modules(modules: tuple[ImportObservation, ...]) -> Markup:
    if not modules:
        return _element("p", "No module was imported.", class_="muted")
    rows = []
    for observation in modules:
        gil = observation.gil_enabled_after
        rows.append(
            _element(
                "tr",
                _element("td", _element("code", observation.step.module)),
                _element("td", observation.step.kind.value),
                _element(
                    "td",
                    _STATUS_WORDS[observation.status],
                    class_=f"status status-{observation.status.value}",
                ),
                _element("td", _seconds(observation.seconds), class_="num"),
                _element(
                    "td",
                    "—" if gil is None else ("on" if gil else "off"),
                    class_="gil-on" if gil else None,
                ),
                _element(
                    "td",
                    _join([_element("code", module) for module in observation.gil_modules]),
                    " (named by the warning)"
                    if observation.warned_module is not None
                    and observation.warned_module in observation.gil_modules
                    else None,
                ),
                _element("td", observation.error or "", class_="error"),
                _element("td", str(observation.process), class_="num"),
            )
        )
    table = _element(
        "table",
        _element("caption", "Modules tried, in order"),
        _element(
            "thead",
            _element(
                "tr",
                [
                    _element("th", label, scope="col")
                    for label in (
                        "module",
                        "kind",
                        "status",
                        "time",
                        "GIL after",
                        "loaded modules that need the GIL",
                        "error",
                        "process",
                    )
                ],
            ),
        ),
        _element("tbody", rows),
        class_="modules",
    )
    return _element("div", table, class_="modules-wrap")


def _link(url: str | None, text: str | None = None) -> Child:
    """Return a link to ``url`` when it is a web address, else ``url`` as plain text."""
    if url is None:
        return text
    # Only http(s): a javascript: or data: URL from a tampered snapshot must not become a link.
    if url.startswith(("https://", "http://")):
        return _element("a", text or url, href=url, rel="noopener noreferrer")
    return text or url


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _join(items: list[Markup], separator: str = ", ") -> Markup:
    return Markup(html.escape(separator).join(items))


def _seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"
