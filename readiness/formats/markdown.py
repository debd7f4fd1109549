"""The Markdown report: for a pull-request comment or ``$GITHUB_STEP_SUMMARY``.

A summary line with the gate's decision, a table of the blockers (what fails the gate, what the
allowlist or the baseline lets pass, and what the scan could not judge), and every other
distribution folded in a ``<details>`` block so that a green stack makes a short comment.

Every cell is escaped: ``|`` would end the cell, and a reason or an error message may hold
``*``, ``_``, ``<`` or ``[`` that Markdown (and the HTML that GitHub lets through) would read as
markup. CommonMark lets a backslash escape any ASCII punctuation character (CommonMark 0.31,
section 2.4), and a GitHub table needs the pipe escaped even inside a code span (GFM spec 0.29,
section 4.10, "Tables"). Names and modules go in code spans built by :func:`code_span`, which a
backtick in the name cannot close; every other text goes through :func:`escape`. Both show
control characters escaped (:mod:`readiness.formats.control_chars`).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from urllib.parse import quote

from readiness import __version__
from readiness.evidence.tracker import STALE_AFTER_DAYS
from readiness.formats.control_chars import escape_controls
from readiness.formats.interface import (
    BLOCKER_ORDER,
    ReportFormat,
    culprit_summary,
    evidence_beside_remedy,
    scanned_on,
)
from readiness.policy import PolicyOutcome
from readiness.report import DistributionReport, Report

BLOCKER_COLUMNS = (
    "distribution",
    "version",
    "verdict",
    "gate",
    "culprit module / reason",
    "evidence",
    "remedy",
    "declared",
)
"""The columns of the blockers table."""

BLOCKER_COLUMNS_WITHOUT_EVIDENCE = tuple(
    column for column in BLOCKER_COLUMNS if column not in ("evidence", "remedy")
)
"""The columns of the blockers table when no evidence was gathered (``--offline`` and no
tracker, or a report built without it)."""

OTHER_COLUMNS = ("distribution", "version", "verdict", "note", "declared")
"""The columns of the folded table of every other distribution."""

_ORDER = {verdict: rank for rank, verdict in enumerate(BLOCKER_ORDER)}

# The characters Markdown or inline HTML would read as markup inside a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&!#])")

_BACKTICKS = re.compile("`+")


class MarkdownFormat(ReportFormat):
    """Render the report as GitHub-flavoured Markdown."""

    def render(self, report: Report) -> str:
        """Return the summary, the blockers table and the rest folded, ending with a newline."""
        outcome = self.outcome(report)
        blockers = _blockers(report, outcome)
        blocking = {dist.name for dist in blockers}
        others = [dist for dist in _sorted(report.distributions) if dist.name not in blocking]
        lines = [_heading(report, outcome), "", summary_line(report, outcome), ""]
        if blockers:
            # As in the terminal table: no evidence columns when no evidence was gathered.
            with_evidence = any(dist.evidence is not None for dist in blockers)
            rows = [_blocker_row(d, report, outcome, with_evidence) for d in blockers]
            columns = BLOCKER_COLUMNS if with_evidence else BLOCKER_COLUMNS_WITHOUT_EVIDENCE
            lines += table_lines(columns, rows)
        else:
            lines.append("No blockers.")
        lines.append("")
        if others:
            counts = Counter(dist.verdict for dist in others)
            words = ", ".join(f"{counts[v]} {v.value}" for v in BLOCKER_ORDER if v in counts)
            lines += [
                "<details>",
                f"<summary>{len(others)} other distributions ({html.escape(words)})</summary>",
                "",
                *table_lines(OTHER_COLUMNS, [_other_row(dist) for dist in others]),
                "",
                "</details>",
                "",
            ]
        lines += _notes(report)
        return "\n".join(lines).rstrip("\n") + "\n"


def summary_line(report: Report, outcome: PolicyOutcome) -> str:
    """Return the one line with the count of each verdict and the gate's decision."""
    counts = Counter(dist.verdict for dist in report.distributions)
    parts = ", ".join(f"{counts[v]} {v.value}" for v in BLOCKER_ORDER if v in counts) or "none"
    line = f"**{len(report.distributions)} distributions**: {escape(parts)}; "
    if outcome.passed:
        line += "**gate passed**"
    else:
        line += f"**gate failed** ({escape(', '.join(dist.name for dist in outcome.failed))})"
    accepted = len(outcome.blockers) - len(outcome.failed)
    if accepted:
        line += f"; {accepted} blocker(s) let pass by the allowlist or the baseline"
    if outcome.inconclusive:
        line += f"; {len(outcome.inconclusive)} inconclusive (`--strict` fails on them)"
    return line


def escape(text: str) -> str:
    """Return ``text`` safe in a table cell: one line, controls shown, markup characters escaped."""
    return _SPECIAL.sub(r"\\\1", _one_line(text))


def code_span(text: str) -> str:
    """Return ``text`` as an inline code span that is safe in a table cell.

    Nothing inside a code span is markup, but a run of backticks as long as its fence would
    close it, and what follows would be read as Markdown and HTML. So the fence is one backtick
    longer than the longest run inside, with a space inside each end where the text starts or
    ends with a backtick (CommonMark 0.31, section 6.1, strips one such space); and ``|`` is
    escaped, which GFM undoes inside the cell before reading the span (GFM 0.29, section 4.10).
    """
    shown = _one_line(text)
    if not shown:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    body = shown.replace("|", "\\|")
    return f"{fence}{pad}{body}{pad}{fence}"


def _one_line(text: str) -> str:
    return " ".join(escape_controls(text).split())


def _heading(report: Report, outcome: PolicyOutcome) -> str:
    kind = "Static scan" if report.static else "GIL readiness"
    mark = "✅" if outcome.passed else "❌"
    return f"### {mark} {kind} on {escape(scanned_on(report))}"


def _blockers(report: Report, outcome: PolicyOutcome) -> list[DistributionReport]:
    """Return what the gate fails, lets pass as a known blocker, or could not judge."""
    names = {dist.name for dist in (*outcome.blockers, *outcome.inconclusive)}
    return [dist for dist in _sorted(report.distributions) if dist.name in names]


def _sorted(distributions: tuple[DistributionReport, ...]) -> list[DistributionReport]:
    return sorted(distributions, key=lambda dist: (_ORDER[dist.verdict], dist.name))


def _gate(dist: DistributionReport, outcome: PolicyOutcome) -> str:
    """Say what the gate made of one blocker."""
    if any(failed.name == dist.name for failed in outcome.failed):
        return "**fails**"
    allowance = outcome.allowance_for(dist)
    if allowance is not None:
        until = f" until {allowance.until}" if allowance.until else ""
        return f"allowed{until}: {escape(allowance.reason)}"
    if any(known.name == dist.name for known in outcome.baselined):
        return "in the baseline"
    return "inconclusive"


def _blocker_row(
    dist: DistributionReport, report: Report, outcome: PolicyOutcome, with_evidence: bool
) -> list[str]:
    cells = [
        code_span(dist.name),
        escape(str(dist.version)) if dist.version is not None else "",
        dist.verdict.value,
        _gate(dist, outcome),
        culprit_summary(dist, code=code_span, text=escape),
    ]
    if with_evidence:
        evidence = dist.evidence
        remedy = ""
        if evidence is not None and evidence.remedy is not None:
            remedy = escape(evidence.remedy.text)
            if evidence.remedy.url:
                remedy += f" ({_upstream_link(evidence.remedy.url)})"
        cells += [_evidence(dist, report.interpreter.abi_tag), remedy]
    return [*cells, _declared(dist)]


def _other_row(dist: DistributionReport) -> list[str]:
    return [
        code_span(dist.name),
        escape(str(dist.version)) if dist.version is not None else "",
        dist.verdict.value,
        culprit_summary(dist, code=code_span, text=escape),
        _declared(dist),
    ]


def _evidence(dist: DistributionReport, abi: str) -> str:
    evidence = dist.evidence
    if evidence is None:
        return ""
    disagreements, facts = evidence_beside_remedy(dist, abi, text=escape)
    return "; ".join([*(f"disagreement: {text}" for text in disagreements), *facts])


def _declared(dist: DistributionReport) -> str:
    return escape(str(dist.origin)) if dist.origin is not None else "(transitive)"


def _upstream_link(url: str) -> str:
    # Only a web address becomes a link: a tampered snapshot's javascript: URL stays text.
    if not url.startswith(("https://", "http://")):
        return f"upstream: {escape(url)}"
    return f"[upstream issue]({_link_target(url)})"


def _link_target(url: str) -> str:
    # A link destination ends at a space or a closing parenthesis, a `|` would end the table
    # cell, and `&` starts a character reference there (CommonMark 0.31, 6.3): percent-encode
    # all but the URL's own delimiters, and write `&` as a reference to itself.
    return quote(url, safe="/:?#@!$&'*+,;=%~").replace("&", "&amp;")


def table_lines(columns: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """Return a GFM table's lines: the heading, its rule, a line per row of escaped cells."""
    return [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join(" --- " for _ in columns) + "|",
        *("| " + " | ".join(cells) + " |" for cells in rows),
    ]


def _notes(report: Report) -> list[str]:
    notes = [f"- {escape(warning)}" for warning in report.warnings]
    if report.static:
        notes.append(
            "- static scan: verdicts from the index's files alone; a wheel does not prove that "
            "the GIL stays off"
        )
    tracker = report.tracker
    if tracker is not None and tracker.age_days > STALE_AFTER_DAYS:
        notes.append(
            f"- the tracker snapshot is {tracker.age_days} days old (`readiness tracker update`)"
        )
    footer = f"<sub>readiness {__version__}, {'static' if report.static else 'probe'} mode"
    if tracker is not None:
        footer += f", tracker snapshot of {tracker.taken.isoformat()}"
    return [*notes, *([""] if notes else []), footer + "</sub>"]
