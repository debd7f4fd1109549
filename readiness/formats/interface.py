"""What every report format provides."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import ClassVar

from readiness.evidence.interface import Evidence
from readiness.evidence.remedy import pin_older_than_tracker, tracker_says_since
from readiness.policy import PolicyOutcome, default_outcome
from readiness.report import DistributionReport, GilTrigger, Reach, Report, Verdict

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


def scanned_on(report: Report) -> str:
    """Return what the report scanned: ``CPython 3.14.0 free-threaded (cp314t, linux-x86_64)``."""
    interpreter = report.interpreter
    on = (
        f"a synthesized free-threaded CPython {interpreter.version_tag}"
        if interpreter.synthetic
        else f"CPython {interpreter.version_string} free-threaded"
    )
    return f"{on} ({interpreter.abi_tag}, {interpreter.platform})"


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
    parts = [text("the scanned project's own code")] if dist.project else []
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
    parts += [reach_summary(reach, code=code, text=text) for reach in dist.reaches]
    if dist.built_from_source:
        parts.append("built from source")
    return "; ".join(parts)


def reach_summary(
    reach: Reach, *, code: Callable[[str], str] = str, text: Callable[[str], str] = str
) -> str:
    """Return ``loads MODULE of OWNER``, and where the project's own code imports it."""
    said = f"loads {code(reach.module)} of {code(reach.owner)}"
    site = reach.project_site
    if site is None:
        return said
    return f"{said} ({text('imported at')} {code(f'{site.file}:{site.line}')})"


def evidence_facts(
    evidence: Evidence,
    abi: str,
    *,
    text: Callable[[str], str] = str,
    tracker_said: bool = False,
) -> list[str]:
    """Return what the index and the tracker say, a few words each: ``index: sdist only``.

    ``text`` formats what comes from outside (Markdown escapes it). ``tracker_said`` leaves
    out the tracker's "supported since", which the row has quoted already.
    """
    facts = []
    index = evidence.index
    if index is not None:
        if index.unavailable is not None:
            facts.append(f"index: {text(index.unavailable)}")
        else:
            facts.append(f"index: {index.wheel.brief(abi)}")
        if index.yanked:
            facts.append("yanked")
    tracker = evidence.tracker
    if tracker is None:
        facts.append("not tracked")
    elif tracker.first_version:
        if not tracker_said:
            facts.append(f"tracker: since {text(tracker.first_version)}")
    else:
        facts.append("tracker: no release yet")
    return facts


def evidence_beside_remedy(
    dist: DistributionReport, abi: str, *, text: Callable[[str], str] = str
) -> tuple[list[str], list[str]]:
    """Return the disagreements and the facts to show beside a row's remedy, each fact once.

    The remedy may quote the tracker ("the tracker says supported since 3.0.0"), and an
    upgrade from the pin already says that the pin is older than that: neither is said
    again, by a disagreement or by the ``tracker: since`` fact. ``text`` formats each.
    """
    evidence = dist.evidence
    if evidence is None:
        return [text(found) for found in dist.disagreements], []
    remedy = evidence.remedy
    since = evidence.tracker.first_version_parsed if evidence.tracker is not None else None
    implied = None
    upgrades = remedy is not None and remedy.upgrade_to is not None
    if upgrades and since is not None and dist.version is not None:
        implied = pin_older_than_tracker(since, dist.version)
    shown = [found for found in dist.disagreements if found != implied]
    said = " ".join([remedy.text if remedy is not None else "", *shown])
    tracker_said = since is not None and tracker_says_since(since) in said
    # The project is no one's to track or to publish: nothing to say of the index or tracker.
    facts = (
        [] if dist.project else evidence_facts(evidence, abi, text=text, tracker_said=tracker_said)
    )
    return [text(found) for found in shown], facts


class ReportFormat(ABC):
    """A way to render a report."""

    charset: ClassVar[str | None] = "utf-8"
    """The encoding the document is written in, wherever it goes (what it declares, for
    XML and HTML); None for text meant for a terminal, written in the destination's own."""

    def __init__(self, gate: PolicyOutcome | None = None) -> None:
        self.gate = gate
        """The gate's decision on the report, where the command line made one."""

    def outcome(self, report: Report) -> PolicyOutcome:
        """Return the gate's decision on ``report``: the one given, else the default gate's."""
        return self.gate or default_outcome(report)

    @abstractmethod
    def render(self, report: Report) -> str:
        """Return the whole report as text."""
