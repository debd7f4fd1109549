"""The terminal table: blockers first, each with the module to blame or the reason."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from readiness.formats.interface import BLOCKER_ORDER, ReportFormat
from readiness.report import DistributionReport, GilTrigger, Report, Verdict

VERDICT_STYLES = {
    Verdict.READY: "green",
    Verdict.GIL_ENABLED: "bold red",
    Verdict.NOT_INSTALLABLE: "red",
    Verdict.CRASHED: "red",
    Verdict.TIMEOUT: "red",
    Verdict.IMPORT_ERROR: "yellow",
    Verdict.SKIPPED: "dim",
}


class TableFormat(ReportFormat):
    """Render the report as a rich table."""

    def __init__(self, *, color: bool = False, width: int | None = None) -> None:
        self.color = color
        self.width = width

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
        console.print(build_table(report))
        # Rich pads the title to the console's width; a report file needs no trailing blanks.
        return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def build_table(report: Report) -> Table:
    """Return the rich table of ``report``, blockers first."""
    interpreter = report.interpreter
    table = Table(
        title=f"GIL readiness on CPython {interpreter.version_string} "
        f"free-threaded ({interpreter.abi_tag}, {interpreter.platform})",
        title_justify="left",
    )
    table.add_column("distribution", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("culprit module / reason", overflow="fold")
    table.add_column("declared", overflow="fold", style="dim")
    order = {verdict: index for index, verdict in enumerate(BLOCKER_ORDER)}
    for dist in sorted(report.distributions, key=lambda d: (order[d.verdict], d.name)):
        table.add_row(
            dist.name,
            str(dist.version) if dist.version is not None else "",
            Text(dist.verdict.value, style=VERDICT_STYLES[dist.verdict]),
            _detail(dist),
            str(dist.origin) if dist.origin else "(transitive)",
        )
    return table


def _detail(dist: DistributionReport) -> str:
    parts = []
    if dist.verdict is Verdict.GIL_ENABLED:
        modules = ", ".join(dict.fromkeys(culprit.module for culprit in dist.culprits))
        if dist.gil_trigger is GilTrigger.ON_IMPORT:
            parts.append(f"{modules} (on import)")
        else:
            parts.append(f"{modules} (when loaded; the top-level import keeps the GIL off)")
    elif dist.reason:
        parts.append(dist.reason)
    parts += [f"loads {reach.module} of {reach.owner}" for reach in dist.reaches]
    if dist.built_from_source:
        parts.append("built from source")
    return "; ".join(parts)
