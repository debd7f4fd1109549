"""What every report format provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from readiness.evidence.gather import Evidence
from readiness.evidence.interface import WheelKind
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


WHEEL_WORDS = {
    WheelKind.FREE_THREADED_WHEEL: "{abi} wheel",
    WheelKind.PURE: "pure wheel",
    WheelKind.SOURCE_BUILD_REQUIRED: "sdist only",
    WheelKind.NO_FREE_THREADED_WHEEL: "no {abi} wheel, no sdist",
    WheelKind.UNKNOWN: "version not on the index",
}
"""What the index offers, in a few words, for the compact formats."""


def evidence_facts(evidence: Evidence, abi: str, *, text: Callable[[str], str] = str) -> list[str]:
    """Return what the index and the tracker say, a few words each: ``index: sdist only``.

    ``text`` formats what comes from outside (Markdown escapes it).
    """
    facts = []
    index = evidence.index
    if index is not None:
        if index.unavailable is not None:
            facts.append(f"index: {text(index.unavailable)}")
        else:
            facts.append(f"index: {WHEEL_WORDS[index.wheel].format(abi=abi)}")
        if index.yanked:
            facts.append("yanked")
    tracker = evidence.tracker
    if tracker is None:
        facts.append("not tracked")
    elif tracker.first_version:
        facts.append(f"tracker: since {text(tracker.first_version)}")
    else:
        facts.append("tracker: no release yet")
    return facts


class ReportFormat(ABC):
    """A way to render a report."""

    charset: ClassVar[str | None] = "utf-8"
    """The encoding the document is written in, wherever it goes (what it declares, for
    XML and HTML); None for text meant for a terminal, written in the destination's own."""

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the whole report as text."""
