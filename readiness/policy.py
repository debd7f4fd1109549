"""The gate: which verdicts fail a scan, and the exit code that says so."""

from __future__ import annotations

from dataclasses import dataclass

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

EXIT_READY = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Policy:
    """Which verdicts fail the gate."""

    fail_on: frozenset[Verdict] = DEFAULT_FAIL_ON
    """The verdicts that make the scan exit 1."""

    inconclusive_verdicts: frozenset[Verdict] = INCONCLUSIVE
    """The verdicts that say the scan could not judge."""

    @classmethod
    def from_options(
        cls, fail_on: frozenset[Verdict] | None, *, strict: bool, static: bool = False
    ) -> Policy:
        """Build the policy from ``--fail-on`` (None: the default set) and ``--strict``."""
        default, inconclusive = (
            (STATIC_FAIL_ON, STATIC_INCONCLUSIVE) if static else (DEFAULT_FAIL_ON, INCONCLUSIVE)
        )
        chosen = default if fail_on is None else fail_on
        return cls(
            fail_on=chosen | inconclusive if strict else chosen,
            inconclusive_verdicts=inconclusive,
        )

    def failures(self, report: Report) -> list[DistributionReport]:
        """Return the distributions that fail the gate."""
        return [dist for dist in report.distributions if dist.verdict in self.fail_on]

    def inconclusive(self, report: Report) -> list[DistributionReport]:
        """Return the distributions the scan could not judge that the gate lets pass."""
        return [
            dist
            for dist in report.distributions
            if dist.verdict in self.inconclusive_verdicts and dist.verdict not in self.fail_on
        ]

    def exit_code(self, report: Report) -> int:
        """Return 0 when nothing fails the gate, else 1."""
        return EXIT_FAILED if self.failures(report) else EXIT_READY
