"""The terminal table: blockers first, each with the module to blame or the reason."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from readiness.formats.interface import (
    BLOCKER_ORDER,
    ReportFormat,
    culprit_summary,
    evidence_facts,
)
from readiness.policy import PolicyOutcome
from readiness.report import DistributionReport, Report, Verdict

VERDICT_STYLES = {
    Verdict.READY: "green",
    Verdict.GIL_ENABLED: "bold red",
    Verdict.NOT_INSTALLABLE: "red",
    Verdict.CRASHED: "red",
    Verdict.TIMEOUT: "red",
    Verdict.IMPORT_ERROR: "yellow",
    Verdict.SKIPPED: "dim",
    Verdict.FREE_THREADED_WHEEL: "green",
    Verdict.PURE: "green",
    Verdict.SOURCE_BUILD_REQUIRED: "yellow",
    Verdict.NO_FREE_THREADED_WHEEL: "red",
    Verdict.UNKNOWN: "yellow",
}


class TableFormat(ReportFormat):
    """Render the report as a rich table."""

    def __init__(
        self, *, color: bool = False, width: int | None = None, gate: PolicyOutcome | None = None
    ) -> None:
        self.color = color
        self.width = width
        self.gate = gate

    def render(self, report: Report) -> str:
        """Return the table, with ANSI colours when ``color`` was asked for."""
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width or 120,
            color_system="standard" if self.color else None,
            force_terminal=self.color,
            highlight=False,
        )
        console.print(build_table(report, self.gate))
        # Rich pads the title to the console's width; a report file needs no trailing blanks.
        return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def build_table(report: Report, gate: PolicyOutcome | None = None) -> Table:
    """Return the rich table of ``report``, blockers first; blockers ``gate`` allows say so."""
    interpreter = report.interpreter
    on = (
        f"a synthesized free-threaded CPython {interpreter.version_tag}"
        if interpreter.synthetic
        else f"CPython {interpreter.version_string} free-threaded"
    )
    kind = "static scan" if report.static else "GIL readiness"
    table = Table(
        title=f"{kind} on {on} ({interpreter.abi_tag}, {interpreter.platform})",
        title_justify="left",
    )
    table.add_column("distribution", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("culprit module / reason", overflow="fold")
    with_evidence = any(dist.evidence is not None for dist in report.distributions)
    if with_evidence:
        table.add_column("evidence / remedy", overflow="fold")
    table.add_column("declared", overflow="fold", style="dim")
    order = {verdict: index for index, verdict in enumerate(BLOCKER_ORDER)}
    for dist in sorted(report.distributions, key=lambda d: (order[d.verdict], d.name)):
        allowance = gate.allowance_for(dist) if gate is not None else None
        verdict = Text(dist.verdict.value, style=VERDICT_STYLES[dist.verdict])
        detail = culprit_summary(dist)
        if allowance is not None:
            # Still shown as a blocker: the allowlist changes the exit code, not the finding.
            verdict.append(" (allowed)", style="bold")
            until = f" until {allowance.until}" if allowance.until else ""
            detail = "; ".join(filter(None, [detail, f"allowed{until}: {allowance.reason}"]))
        cells: list[str | Text] = [
            dist.name,
            str(dist.version) if dist.version is not None else "",
            verdict,
            detail,
        ]
        if with_evidence:
            cells.append(_evidence(dist, interpreter.abi_tag))
        cells.append(str(dist.origin) if dist.origin else "(transitive)")
        table.add_row(*cells)
    if report.static:
        table.caption = (
            "static scan: from the index's files alone; a wheel does not prove the GIL stays off"
        )
    return table


def _evidence(dist: DistributionReport, abi: str) -> Text:
    """Return the remedy, then disagreements, then what the index and the tracker say."""
    text = Text()
    evidence = dist.evidence
    if evidence is None:
        return text
    if evidence.remedy is not None:
        text.append(evidence.remedy.text, style="bold")
        text.append("; ")
    for disagreement in dist.disagreements:
        text.append(f"disagreement: {disagreement}", style="yellow")
        text.append("; ")
    facts = evidence_facts(evidence, abi)
    text.append("; ".join(facts), style="dim")
    return text
