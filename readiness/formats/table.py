"""The terminal table: blockers first, each with the module to blame or the reason.

Every cell is a :class:`rich.text.Text`, never a string rich would read as markup (a reason
holding ``[/]`` is text, not a closing tag), with control characters shown escaped. The
table is drawn for the encoding of where it goes: box-drawing characters fall back to ASCII
where that encoding has none (a ``C`` locale on a minimal CI image), and any other character
it cannot carry becomes ``?``.
"""

from __future__ import annotations

import io
from typing import ClassVar

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from readiness.formats.control_chars import escape_controls
from readiness.formats.interface import (
    BLOCKER_ORDER,
    ReportFormat,
    culprit_summary,
    evidence_beside_remedy,
    scanned_on,
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

    charset: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        color: bool = False,
        width: int | None = None,
        gate: PolicyOutcome | None = None,
        encoding: str = "utf-8",
    ) -> None:
        super().__init__(gate)
        self.color = color
        self.width = width
        self.encoding = encoding
        """The encoding of where the table goes (stdout's): the text fits in it."""

    def render(self, report: Report) -> str:
        """Return the table, with ANSI colours when ``color`` was asked for."""
        return render_text(
            build_table(report, self.gate),
            color=self.color,
            width=self.width,
            encoding=self.encoding,
        )


def render_text(
    table: Table, *, color: bool = False, width: int | None = None, encoding: str = "utf-8"
) -> str:
    """Return ``table`` drawn as text that ``encoding`` can carry, ending with a newline.

    Box-drawing characters fall back to ASCII where ``encoding`` has none; any other
    character it lacks becomes as many ``?`` as it takes columns, so the columns still line up.
    """
    if table.box is not None and not _fits(_glyphs(table.box), encoding):
        table.box = box.ASCII
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 120,
        color_system="standard" if color else None,
        force_terminal=color,
        highlight=False,
    )
    console.print(table)
    # Rich pads the title to the console's width; a report file needs no trailing blanks.
    text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
    if _fits(text, encoding):
        return text
    return "".join(char if _fits(char, encoding) else "?" * max(cell_len(char), 1) for char in text)


def cell(text: str, style: str = "") -> Text:
    """Return ``text`` as a table cell: never read as markup, control characters escaped."""
    return Text(escape_controls(text), style=style)


def _glyphs(drawing: box.Box) -> str:
    widths = [1, 1]
    return "".join(
        [
            drawing.get_top(widths),
            drawing.get_row(widths, "head"),
            drawing.get_row(widths, "row"),
            drawing.get_bottom(widths),
            drawing.head_left,
            drawing.head_vertical,
            drawing.mid_left,
            drawing.mid_vertical,
        ]
    )


def _fits(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def build_table(report: Report, gate: PolicyOutcome | None = None) -> Table:
    """Return the rich table of ``report``, blockers first; blockers ``gate`` allows say so."""
    kind = "static scan" if report.static else "GIL readiness"
    table = Table(
        title=cell(f"{kind} on {scanned_on(report)}"),
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
        verdict = cell(dist.verdict.value, VERDICT_STYLES[dist.verdict])
        detail = culprit_summary(dist)
        if allowance is not None:
            # Still shown as a blocker: the allowlist changes the exit code, not the finding.
            verdict.append(" (allowed)", style="bold")
            until = f" until {allowance.until}" if allowance.until else ""
            detail = "; ".join(filter(None, [detail, f"allowed{until}: {allowance.reason}"]))
        cells = [
            cell(dist.name),
            cell(str(dist.version) if dist.version is not None else ""),
            verdict,
            cell(detail),
        ]
        if with_evidence:
            cells.append(_evidence(dist, report.interpreter.abi_tag))
        cells.append(cell(str(dist.origin) if dist.origin else "(transitive)"))
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
        text.append(escape_controls(evidence.remedy.text), style="bold")
        text.append("; ")
    disagreements, facts = evidence_beside_remedy(dist, abi, text=escape_controls)
    for disagreement in disagreements:
        text.append(f"disagreement: {disagreement}", style="yellow")
        text.append("; ")
    text.append("; ".join(facts), style="dim")
    return text
