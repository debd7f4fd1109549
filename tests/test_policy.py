from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness._errors import InputError
from readiness.formats.json import JsonFormat
from readiness.formats.table import TableFormat
from readiness.policy import (
    DEFAULT_FAIL_ON,
    EXIT_FAILED,
    EXIT_READY,
    Allowance,
    Baseline,
    BaselineEntry,
    MessageLevel,
    Policy,
    PolicyOutcome,
)
from readiness.report import DistributionReport, Verdict
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
    assert policy.evaluate(report).exit_code == EXIT_FAILED


def test_strict_fails_on_import_errors() -> None:
    policy = Policy.from_options(frozenset({Verdict.GIL_ENABLED}), strict=True)

    assert {d.name for d in policy.failures(sample_report())} == {"speedy", "pillowish", "broken"}
    assert policy.inconclusive(sample_report()) == []


def test_a_ready_stack_passes() -> None:
    report = sample_report()
    ready = dataclasses.replace(report, distributions=tuple(report.by_verdict(Verdict.READY)))

    assert Policy().evaluate(ready).exit_code == EXIT_READY


TODAY = date(2025, 6, 1)


def allow(
    dist: str,
    reason: str = "upstream is on it",
    *,
    version: str | None = None,
    until: date | None = None,
) -> Allowance:
    return Allowance(
        name=canonicalize_name(dist),
        reason=reason,
        version=SpecifierSet(version) if version is not None else None,
        until=until,
    )


def gate(
    *allowances: Allowance, baseline: Baseline | None = None, fail_on: str | None = None
) -> PolicyOutcome:
    chosen = frozenset(Verdict(v) for v in fail_on.split(",")) if fail_on else None
    policy = Policy.from_options(chosen, strict=False, allow=allowances, baseline=baseline)
    return dataclasses.replace(policy, today=TODAY).evaluate(sample_report())


def names(dists: Iterable[DistributionReport]) -> set[str]:
    return {dist.name for dist in dists}


def test_an_allowed_blocker_passes_but_stays_a_blocker() -> None:
    outcome = gate(allow("speedy"), fail_on="gil-enabled")

    assert names(outcome.blockers) == {"speedy", "pillowish"}
    assert names(outcome.failed) == {"pillowish"}
    speedy = next(d for d in outcome.blockers if d.name == "speedy")
    assert outcome.allowance_for(speedy) == allow("speedy")
    assert outcome.exit_code == EXIT_FAILED


def test_allowing_every_blocker_passes_the_gate() -> None:
    outcome = gate(*(allow(n) for n in ("speedy", "pillowish", "segv", "slow", "nowheel")))

    assert outcome.passed
    assert outcome.exit_code == EXIT_READY
    assert outcome.stale == ()
    assert [m.level for m in outcome.messages()] == [MessageLevel.INFO] * 5


def test_a_version_range_allows_only_the_versions_in_it() -> None:
    outcome = gate(allow("pillowish", version="<2"), allow("speedy", version="<2"))

    assert "pillowish" in names(outcome.failed)  # pillowish is 2.0
    assert "speedy" not in names(outcome.failed)  # speedy is 1.0
    assert [a.name for a in outcome.stale] == ["pillowish"]


def test_an_expired_allowance_fails_with_its_date_and_reason() -> None:
    outcome = gate(
        allow("speedy", "fix due in May", until=date(2025, 5, 31)), fail_on="gil-enabled"
    )

    assert names(outcome.failed) == {"speedy", "pillowish"}
    assert [(e.allowance.name, e.distribution.name) for e in outcome.expired] == [
        ("speedy", "speedy")
    ]
    errors = [m.text for m in outcome.messages() if m.level is MessageLevel.ERROR]
    assert len(errors) == 1
    assert "speedy" in errors[0]
    assert "EXPIRED on 2025-05-31" in errors[0]
    assert "fix due in May" in errors[0]


def test_an_allowance_holds_through_its_until_day() -> None:
    outcome = gate(allow("speedy", until=TODAY), fail_on="gil-enabled")

    assert names(outcome.failed) == {"pillowish"}
    assert outcome.expired == ()


def test_an_entry_that_matches_no_blocker_is_stale_and_does_not_fail() -> None:
    # "fine" is ready; "numpy" is not in the report at all.
    outcome = gate(allow("fine"), allow("numpy"), fail_on="crashed")

    assert [a.name for a in outcome.stale] == ["fine", "numpy"]
    assert names(outcome.failed) == {"segv"}
    warnings = [m.text for m in outcome.messages() if m.level is MessageLevel.WARNING]
    assert len(warnings) == 2
    assert all("stale" in text for text in warnings)


def test_stale_never_fails_even_with_strict() -> None:
    policy = Policy.from_options(
        frozenset({Verdict.GIL_ENABLED}), strict=True, allow=(allow("numpy"),)
    )
    ready = dataclasses.replace(
        sample_report(), distributions=tuple(sample_report().by_verdict(Verdict.READY))
    )

    outcome = policy.evaluate(ready)

    assert outcome.passed
    assert [a.name for a in outcome.stale] == ["numpy"]


def test_a_report_passes_against_its_own_baseline() -> None:
    report = sample_report()
    baseline = Baseline.from_report(report, DEFAULT_FAIL_ON)

    outcome = gate(baseline=baseline)

    assert outcome.passed
    assert names(outcome.baselined) == {"speedy", "pillowish", "segv", "slow", "nowheel"}
    assert outcome.fixed == ()


def test_only_blockers_missing_from_the_baseline_fail() -> None:
    full = Baseline.from_report(sample_report(), DEFAULT_FAIL_ON)
    baseline = Baseline(entries=tuple(e for e in full.entries if e.name != "speedy"))

    outcome = gate(baseline=baseline)

    assert names(outcome.failed) == {"speedy"}
    errors = [m.text for m in outcome.messages() if m.level is MessageLevel.ERROR]
    assert errors == ["new blocker, not in the baseline: speedy 1.0 (gil-enabled)"]


def test_a_baselined_blocker_that_no_longer_blocks_is_fixed() -> None:
    gone = BaselineEntry(name=canonicalize_name("gone"), version=None, verdict=Verdict.CRASHED)
    # "fine" is ready now: fixed as well.
    was_broken = BaselineEntry(
        name=canonicalize_name("fine"), version=Version("0.9"), verdict=Verdict.GIL_ENABLED
    )

    outcome = gate(baseline=Baseline(entries=(gone, was_broken)), fail_on="gil-enabled")

    assert outcome.fixed == (gone, was_broken)
    infos = [m.text for m in outcome.messages() if m.level is MessageLevel.INFO]
    assert any(text.startswith("fixed: gone (crashed)") for text in infos)


def test_the_baseline_matches_by_name_and_verdict_not_version() -> None:
    older = BaselineEntry(
        name=canonicalize_name("speedy"), version=Version("0.5"), verdict=Verdict.GIL_ENABLED
    )
    other_verdict = BaselineEntry(
        name=canonicalize_name("pillowish"), version=Version("2.0"), verdict=Verdict.CRASHED
    )

    outcome = gate(baseline=Baseline(entries=(older, other_verdict)), fail_on="gil-enabled")

    assert names(outcome.baselined) == {"speedy"}
    assert names(outcome.failed) == {"pillowish"}
    assert outcome.fixed == (other_verdict,)


def test_an_expired_allowance_fails_even_a_baselined_blocker() -> None:
    baseline = Baseline.from_report(sample_report(), DEFAULT_FAIL_ON)

    outcome = gate(allow("speedy", until=date(2020, 1, 1)), baseline=baseline)

    assert names(outcome.failed) == {"speedy"}
    assert [m.level for m in outcome.messages()].count(MessageLevel.ERROR) == 1


def test_the_baseline_file_round_trips(tmp_path: Path) -> None:
    baseline = Baseline.from_report(sample_report(), DEFAULT_FAIL_ON)
    path = tmp_path / "ci" / "baseline.json"

    # As --write-baseline writes it (readiness/destination.py): the JSON of to_json().
    path.parent.mkdir()
    path.write_text(baseline.to_json())

    document = json.loads(path.read_text())
    assert document["readiness_baseline"] == 1
    speedy = next(b for b in document["blockers"] if b["name"] == "speedy")
    assert speedy == {
        "name": "speedy",
        "version": "1.0",
        "verdict": "gil-enabled",
        "culprits": ["speedy._core"],
    }
    assert Baseline.read(path) == dataclasses.replace(baseline, path=path)


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ('{"readiness_baseline": 1,\n "blockers": [}', "not JSON", 2),
        ('{"blockers": []}', "not a readiness baseline", None),
        ('{"readiness_baseline": 1}', 'no "blockers"', None),
        (
            '{"readiness_baseline": 1, "blockers": [{"name": "x", "verdict": "bad"}]}',
            "not a verdict",
            None,
        ),
    ],
)
def test_a_bad_baseline_is_an_input_error(
    tmp_path: Path, text: str, message: str, line: int | None
) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(text)

    with pytest.raises(InputError, match=message) as caught:
        Baseline.read(path)

    assert caught.value.path == path
    assert caught.value.line == line


def test_a_missing_baseline_says_how_to_write_one(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        Baseline.read(tmp_path / "nope.json")

    assert "--write-baseline" in (caught.value.hint or "")


def test_json_and_table_show_the_allowance_and_the_gate() -> None:
    outcome = gate(allow("speedy", "C API port pending", until=date(2025, 12, 31)), allow("numpy"))

    document = json.loads(JsonFormat(gate=outcome).render(sample_report()))
    table = TableFormat(width=200, gate=outcome).render(sample_report())

    allowed = {d["name"]: d["allowed"] for d in document["distributions"]}
    assert allowed["speedy"]["reason"] == "C API port pending"
    assert allowed["speedy"]["until"] == "2025-12-31"
    assert allowed["pillowish"] is None
    assert document["gate"]["passed"] is False
    assert document["gate"]["allowed"] == ["speedy"]
    assert set(document["gate"]["failed"]) == {"pillowish", "segv", "slow", "nowheel"}
    assert [s["name"] for s in document["gate"]["stale"]] == ["numpy"]
    assert document["gate"]["fail_on"] == ["crashed", "gil-enabled", "not-installable", "timeout"]
    row = next(line for line in table.splitlines() if "speedy" in line)
    assert "gil-enabled (allowed)" in row
    assert "allowed until 2025-12-31: C API port pending" in row


def test_json_without_a_gate_says_null() -> None:
    document = json.loads(JsonFormat().render(sample_report()))

    assert document["gate"] is None
    assert all(d["allowed"] is None for d in document["distributions"])


def test_a_baseline_that_is_no_regular_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    # A FIFO would block a plain read forever; the one document reader refuses it.
    path = tmp_path / "baseline.json"
    os.mkfifo(path)

    with pytest.raises(InputError, match="not a regular file") as caught:
        Baseline.read(path)

    assert caught.value.path == path
    assert "--write-baseline" in (caught.value.hint or "")
