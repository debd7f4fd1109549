from __future__ import annotations

import dataclasses

from readiness.policy import EXIT_FAILED, EXIT_READY, Policy
from readiness.report import Verdict
from tests.samples import sample_report


def test_default_policy_fails_on_blockers_not_on_inconclusive() -> None:
    report = sample_report()
    policy = Policy.from_options(None, strict=False)

    assert {d.name for d in policy.failures(report)} == {
        "speedy",
        "pillowish",
        "segv",
        "slow",
        "nowheel",
    }
    assert [d.name for d in policy.inconclusive(report)] == ["broken"]
    assert policy.exit_code(report) == EXIT_FAILED


def test_strict_fails_on_import_errors() -> None:
    policy = Policy.from_options(frozenset({Verdict.GIL_ENABLED}), strict=True)

    assert {d.name for d in policy.failures(sample_report())} == {"speedy", "pillowish", "broken"}
    assert policy.inconclusive(sample_report()) == []


def test_a_ready_stack_passes() -> None:
    report = sample_report()
    ready = dataclasses.replace(report, distributions=tuple(report.by_verdict(Verdict.READY)))

    assert Policy().exit_code(ready) == EXIT_READY
