"""What every report format provides."""

from __future__ import annotations

from abc import ABC, abstractmethod

from readiness.report import Report, Verdict

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


class ReportFormat(ABC):
    """A way to render a report."""

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the whole report as text."""
