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

EXIT_READY = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Policy:
    """Which verdicts fail the gate."""

    fail_on: frozenset[Verdict] = DEFAULT_FAIL_ON
    """The verdicts that make the scan exit 1."""

    @classmethod
    def from_options(cls, fail_on: frozenset[Verdict] | None, *, strict: bool) -> Policy:
        """Build the policy from ``--fail-on`` (None: the default set) and ``--strict``."""
        chosen = DEFAULT_FAIL_ON if fail_on is None else fail_on
        return cls(fail_on=chosen | INCONCLUSIVE if strict else chosen)

    def failures(self, report: Report) -> list[DistributionReport]:
        """Return the distributions that fail the gate."""
        return [dist for dist in report.distributions if dist.verdict in self.fail_on]

    def inconclusive(self, report: Report) -> list[DistributionReport]:
        """Return the distributions the scan could not judge that the gate lets pass."""
        return [
            dist
            for dist in report.distributions
            if dist.verdict in INCONCLUSIVE and dist.verdict not in self.fail_on
        ]

    def exit_code(self, report: Report) -> int:
        """Return 0 when nothing fails the gate, else 1."""
        return EXIT_FAILED if self.failures(report) else EXIT_READY
