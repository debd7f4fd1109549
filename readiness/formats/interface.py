"""What every report format provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from readiness.report import DistributionReport, GilTrigger, Report, Verdict

BLOCKER_ORDER = (
    Verdict.GIL_ENABLED,
    Verdict.NOT_INSTALLABLE,
    Verdict.NO_FREE_THREADED_WHEEL,
    Verdict.CRASHED,
    Verdict.TIMEOUT,
    Verdict.IMPORT_ERROR,
    Verdict.SOURCE_BUILD_REQUIRED,
    Verdict.UNKNOWN,
    Verdict.READY,
    Verdict.FREE_THREADED_WHEEL,
    Verdict.PURE,
    Verdict.SKIPPED,
)
"""The order rows are shown in: what blocks free-threading first."""


def culprit_summary(
    dist: DistributionReport,
    *,
    code: Callable[[str], str] = str,
    text: Callable[[str], str] = str,
) -> str:
    """Return a row's culprit modules (or its reason), its reaches, and any source build.

    One line, for the table, Markdown and HTML alike. ``code`` formats a module or
    distribution name, ``text`` free text (Markdown escapes both).
    """
    parts = []
    if dist.verdict is Verdict.GIL_ENABLED and dist.culprits:
        modules = ", ".join(
            code(module) for module in dict.fromkeys(c.module for c in dist.culprits)
        )
        if dist.gil_trigger is GilTrigger.ON_IMPORT:
            parts.append(f"{modules} (on import)")
        else:
            parts.append(f"{modules} (when loaded; the top-level import keeps the GIL off)")
    elif dist.reason:
        parts.append(text(dist.reason))
    parts += [f"loads {code(reach.module)} of {code(reach.owner)}" for reach in dist.reaches]
    if dist.built_from_source:
        parts.append("built from source")
    return "; ".join(parts)


class ReportFormat(ABC):
    """A way to render a report."""

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the whole report as text."""
