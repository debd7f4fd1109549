"""The gate: which verdicts fail a scan, what the allowlist and baseline let pass, the exit code."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._documents import read_json
from readiness._errors import EXIT_FAILED as EXIT_FAILED  # re-exported: they lived here
from readiness._errors import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from readiness._errors import EXIT_READY as EXIT_READY
from readiness._errors import EXIT_TERMINATED as EXIT_TERMINATED
from readiness._errors import EXIT_USAGE as EXIT_USAGE
from readiness._errors import InputError
from readiness._records import to_record
from readiness.probe.interface import ModuleName
from readiness.report import DistributionReport, Report, Verdict

DEFAULT_FAIL_ON = frozenset(
    {Verdict.GIL_ENABLED, Verdict.NOT_INSTALLABLE, Verdict.CRASHED, Verdict.TIMEOUT}
)
"""What fails a scan unless ``--fail-on`` says otherwise."""

INCONCLUSIVE = frozenset({Verdict.IMPORT_ERROR})
"""Verdicts that neither pass nor fail a distribution: ``--strict`` makes them fail."""

STATIC_FAIL_ON = frozenset({Verdict.NO_FREE_THREADED_WHEEL})
"""What fails a static scan by default: only what is certain. A wheel does not prove that
the GIL stays off, and a source build may succeed."""

STATIC_INCONCLUSIVE = frozenset({Verdict.SOURCE_BUILD_REQUIRED, Verdict.UNKNOWN})
"""What a static scan cannot judge: ``--strict`` makes it fail."""

BASELINE_FORMAT = 1
"""The version of the baseline file's format, written as ``readiness_baseline``."""


@dataclass(frozen=True)
class Allowance:
    """One ``[[tool.readiness.allow]]`` entry: a blocker the team accepts, and why."""

    name: NormalizedName
    """The distribution it lets pass."""

    reason: str
    """Why the team accepts it: shown beside the row and in every gate message."""

    version: SpecifierSet | None = None
    """The versions it covers (``<3``); None for every version."""

    until: date | None = None
    """The last day it lets the blocker pass; from the next day on the gate fails again."""

    path: Path | None = None
    """The configuration file that declares it; None when built in code."""

    line: int | None = None
    """The line of that file where the entry starts, when known."""

    def covers(self, dist: DistributionReport) -> bool:
        """Return True when this entry names ``dist`` and its version is in ``version``."""
        if dist.name != self.name:
            return False
        if self.version is None:
            return True
        # An unknown version cannot be shown to be inside the range: the entry does not cover it.
        return dist.version is not None and self.version.contains(dist.version, prereleases=True)

    def expired(self, today: date) -> bool:
        """Return True when ``until`` has passed."""
        return self.until is not None and today > self.until

    def describe(self) -> str:
        """Return ``name[version]`` and where the entry is declared, for messages."""
        what = f"{self.name}{self.version}" if self.version else str(self.name)
        if self.path is None:
            return what
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{what} ({where})"


@dataclass(frozen=True)
class BaselineEntry:
    """A blocker recorded by ``--write-baseline``."""

    name: NormalizedName
    """The distribution."""

    version: Version | None
    """Its version when the baseline was written (informative: matching ignores it)."""

    verdict: Verdict
    """Its verdict then: a blocker matches the entry by name and verdict."""

    culprits: tuple[ModuleName, ...] = ()
    """The modules that re-enabled the GIL then (informative)."""


_WRITE_BASELINE = "write one with `readiness scan --write-baseline FILE`"


@dataclass(frozen=True)
class Baseline:
    """The blockers a team has accepted for now: only blockers outside it fail the gate."""

    entries: tuple[BaselineEntry, ...] = ()
    """The recorded blockers, sorted by name and verdict."""

    path: Path | None = None
    """The file it was read from; None when built in code."""

    @classmethod
    def from_report(cls, report: Report, fail_on: frozenset[Verdict]) -> Baseline:
        """Return the baseline of ``report``: every distribution whose verdict is in ``fail_on``."""
        entries = (
            BaselineEntry(
                name=dist.name,
                version=dist.version,
                verdict=dist.verdict,
                culprits=tuple(dict.fromkeys(culprit.module for culprit in dist.culprits)),
            )
            for dist in report.distributions
            if dist.verdict in fail_on
        )
        return cls(entries=tuple(sorted(entries, key=lambda e: (e.name, e.verdict.value))))

    def matches(self, dist: DistributionReport) -> bool:
        """Return True when the baseline records ``dist``'s name with its current verdict.

        The version is left out on purpose: an upgrade that still re-enables the GIL is the same
        known blocker, not a new regression; a change of verdict is a new blocker.
        """
        return any(e.name == dist.name and e.verdict is dist.verdict for e in self.entries)

    def to_json(self) -> str:
        """Return the baseline file's text: sorted, indented JSON, no timestamp to churn diffs."""
        document = {
            "readiness_baseline": BASELINE_FORMAT,
            "blockers": [to_record(entry) for entry in self.entries],
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def read(cls, path: Path) -> Baseline:
        """Read a baseline file; raise :class:`InputError` naming the file when it is not one."""
        try:
            document = read_json(path, what="the baseline", malformed="the baseline is not JSON")
        except InputError as e:
            e.hint = e.hint or _WRITE_BASELINE
            raise
        if not isinstance(document, dict) or document.get("readiness_baseline") != BASELINE_FORMAT:
            raise InputError(
                f"not a readiness baseline (expected an object with "
                f'"readiness_baseline": {BASELINE_FORMAT})',
                path=path,
                hint=_WRITE_BASELINE,
            )
        blockers = document.get("blockers")
        if not isinstance(blockers, list):
            raise InputError('the baseline has no "blockers" list', path=path)
        return cls(entries=tuple(_baseline_entry(item, path) for item in blockers), path=path)


def _baseline_entry(item: Any, path: Path) -> BaselineEntry:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise InputError(f"a baseline blocker is not an object with a name: {item!r}", path=path)
    name = item["name"]
    try:
        verdict = Verdict(str(item.get("verdict")))
    except ValueError:
        raise InputError(
            f"baseline blocker {name!r}: {item.get('verdict')!r} is not a verdict", path=path
        ) from None
    raw_version = item.get("version")
    try:
        version = Version(raw_version) if isinstance(raw_version, str) else None
    except InvalidVersion as e:
        raise InputError(f"baseline blocker {name!r}: {e}", path=path) from e
    culprits = item.get("culprits", [])
    if not isinstance(culprits, list) or not all(isinstance(c, str) for c in culprits):
        raise InputError(f"baseline blocker {name!r}: culprits is not a list of names", path=path)
    return BaselineEntry(
        name=canonicalize_name(name),
        version=version,
        verdict=verdict,
        culprits=tuple(ModuleName(c) for c in culprits),
    )


class MessageLevel(enum.StrEnum):
    """How loud a gate message is."""

    ERROR = "error"
    """It is why the gate fails."""

    WARNING = "warning"
    """It does not fail the gate, but the configuration needs care."""

    INFO = "info"
    """Good to know."""


@dataclass(frozen=True)
class GateMessage:
    """One line the command line prints on stderr after the summary."""

    level: MessageLevel
    """How loud it is."""

    text: str
    """The message, without a level prefix."""


@dataclass(frozen=True)
class ExpiredAllowance:
    """A blocker that fails because the only allowances that named it have expired."""

    allowance: Allowance
    """The expired entry (the latest ``until`` when several matched)."""

    distribution: DistributionReport
    """The blocker it used to let pass."""


@dataclass(frozen=True)
class PolicyOutcome:
    """The gate's decision on one report, with everything the allowlist and baseline did."""

    fail_on: frozenset[Verdict]
    """The verdicts that fail the gate."""

    blockers: tuple[DistributionReport, ...]
    """Every distribution whose verdict is in ``fail_on``, before the allowlist and baseline."""

    failed: tuple[DistributionReport, ...]
    """The blockers that fail the gate: neither allowed nor in the baseline (or expired)."""

    allowed: Mapping[NormalizedName, Allowance] = field(default_factory=dict)
    """Blockers an allowlist entry lets pass, by name, with the entry."""

    expired: tuple[ExpiredAllowance, ...] = ()
    """Blockers that fail because their allowance expired."""

    stale: tuple[Allowance, ...] = ()
    """Allowlist entries that match no blocker in the report: they can go."""

    baselined: tuple[DistributionReport, ...] = ()
    """Blockers the baseline records, which therefore do not fail the gate."""

    fixed: tuple[BaselineEntry, ...] = ()
    """Baseline entries that no longer block: the baseline can be rewritten."""

    inconclusive: tuple[DistributionReport, ...] = ()
    """Distributions the scan could not judge that the gate lets pass."""

    baseline: Baseline | None = None
    """The baseline applied, if any."""

    @property
    def passed(self) -> bool:
        """True when nothing fails the gate."""
        return not self.failed

    @property
    def exit_code(self) -> int:
        """0 when the gate passes, else 1."""
        return EXIT_READY if self.passed else EXIT_FAILED

    def allowance_for(self, dist: DistributionReport) -> Allowance | None:
        """Return the entry that lets ``dist`` pass, or None."""
        return self.allowed.get(dist.name)

    def messages(self) -> tuple[GateMessage, ...]:
        """Return what the allowlist and baseline did, loudest first, for stderr."""
        messages = [
            GateMessage(
                MessageLevel.ERROR,
                f"the allowance for {item.allowance.describe()} EXPIRED on "
                f"{item.allowance.until}: {item.distribution.name} is "
                f"{item.distribution.verdict.value} and fails the gate again "
                f"(reason given: {item.allowance.reason})",
            )
            for item in self.expired
        ]
        if self.baseline is not None:
            expired = {item.distribution.name for item in self.expired}
            new = [dist for dist in self.failed if dist.name not in expired]
            messages += [
                GateMessage(
                    MessageLevel.ERROR,
                    f"new blocker, not in the baseline: {dist.name} {_version(dist)}"
                    f"({dist.verdict.value})",
                )
                for dist in new
            ]
        messages += [
            GateMessage(
                MessageLevel.WARNING,
                f"stale allowance: {allowance.describe()} matches no blocker in this report; "
                "remove it",
            )
            for allowance in self.stale
        ]
        messages += [
            GateMessage(
                MessageLevel.INFO,
                f"allowed: {dist.name} {_version(dist)}({dist.verdict.value})"
                + (f" until {allowance.until}" if allowance.until else "")
                + f": {allowance.reason}",
            )
            for dist in self.blockers
            if (allowance := self.allowance_for(dist)) is not None
        ]
        if self.baselined:
            names = ", ".join(f"{dist.name} ({dist.verdict.value})" for dist in self.baselined)
            messages.append(
                GateMessage(MessageLevel.INFO, f"in the baseline, not failing: {names}")
            )
        messages += [
            GateMessage(
                MessageLevel.INFO,
                f"fixed: {entry.name} ({entry.verdict.value}) is in the baseline but no longer "
                "blocks; rewrite it with --write-baseline",
            )
            for entry in self.fixed
        ]
        return tuple(messages)


def _version(dist: DistributionReport) -> str:
    return f"{dist.version} " if dist.version is not None else ""


@dataclass(frozen=True)
class Policy:
    """Which verdicts fail the gate, and what the allowlist and baseline let pass."""

    fail_on: frozenset[Verdict] = DEFAULT_FAIL_ON
    """The verdicts that make the scan exit 1."""

    inconclusive_verdicts: frozenset[Verdict] = INCONCLUSIVE
    """The verdicts that say the scan could not judge."""

    allow: tuple[Allowance, ...] = ()
    """The allowlist: blockers the team accepts, each with a reason and maybe a deadline."""

    baseline: Baseline | None = None
    """Blockers recorded earlier: only blockers outside it fail."""

    today: date | None = None
    """The day ``until`` dates are compared with; None for the real today."""

    @classmethod
    def from_options(
        cls,
        fail_on: frozenset[Verdict] | None,
        *,
        strict: bool,
        static: bool = False,
        allow: tuple[Allowance, ...] = (),
        baseline: Baseline | None = None,
    ) -> Policy:
        """Build the policy from ``--fail-on`` (None: the default set) and ``--strict``."""
        default, inconclusive = (
            (STATIC_FAIL_ON, STATIC_INCONCLUSIVE) if static else (DEFAULT_FAIL_ON, INCONCLUSIVE)
        )
        chosen = default if fail_on is None else fail_on
        return cls(
            fail_on=chosen | inconclusive if strict else chosen,
            inconclusive_verdicts=inconclusive,
            allow=allow,
            baseline=baseline,
        )

    def evaluate(self, report: Report) -> PolicyOutcome:
        """Decide the gate on ``report``.

        A blocker (a verdict in ``fail_on``) passes when a live allowlist entry covers it, or
        when the baseline records it. An allowance whose ``until`` has passed fails the blocker
        even when the baseline records it: a deadline the team set is kept. An allowlist entry
        that covers no blocker is stale: a warning, never a failure (not even with
        ``--strict``, which is about results the scan could not judge).
        """
        today = self.today or date.today()
        blockers = tuple(dist for dist in report.distributions if dist.verdict in self.fail_on)
        allowed: dict[NormalizedName, Allowance] = {}
        expired: list[ExpiredAllowance] = []
        baselined: list[DistributionReport] = []
        failed: list[DistributionReport] = []
        for dist in blockers:
            covering = [allowance for allowance in self.allow if allowance.covers(dist)]
            live = [allowance for allowance in covering if not allowance.expired(today)]
            if live:
                allowed[dist.name] = live[0]
            elif covering:
                latest = max(covering, key=lambda allowance: allowance.until or date.max)
                expired.append(ExpiredAllowance(allowance=latest, distribution=dist))
                failed.append(dist)
            elif self.baseline is not None and self.baseline.matches(dist):
                baselined.append(dist)
            else:
                failed.append(dist)
        stale = tuple(
            allowance
            for allowance in self.allow
            if not any(allowance.covers(dist) for dist in blockers)
        )
        fixed = (
            ()
            if self.baseline is None
            else tuple(
                entry
                for entry in self.baseline.entries
                if not any(d.name == entry.name and d.verdict is entry.verdict for d in blockers)
            )
        )
        return PolicyOutcome(
            fail_on=self.fail_on,
            blockers=blockers,
            failed=tuple(failed),
            allowed=allowed,
            expired=tuple(expired),
            stale=stale,
            baselined=tuple(baselined),
            fixed=fixed,
            inconclusive=tuple(self.inconclusive(report)),
            baseline=self.baseline,
        )

    def failures(self, report: Report) -> list[DistributionReport]:
        """Return the distributions that fail the gate."""
        return list(self.evaluate(report).failed)

    def inconclusive(self, report: Report) -> list[DistributionReport]:
        """Return the distributions the scan could not judge that the gate lets pass."""
        return [
            dist
            for dist in report.distributions
            if dist.verdict in self.inconclusive_verdicts and dist.verdict not in self.fail_on
        ]


def default_outcome(report: Report) -> PolicyOutcome:
    """Return the default gate's decision on ``report``, for a format given no decision."""
    return Policy.from_options(None, strict=False, static=report.static).evaluate(report)
