"""Which releases a verification tries, in which order, and what the remedy then says."""

from __future__ import annotations

import dataclasses

from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness.evidence.interface import (
    Evidence,
    IndexEvidence,
    Remedy,
    TrackerRecord,
    TriedRelease,
    WheelKind,
)
from readiness.evidence.remedy import upgrade_candidates, verified_remedy

LXML = canonicalize_name("lxml")
ISSUE = "https://example.invalid/lxml/issues/7"
TRACKER = TrackerRecord(
    display_name="lxml",
    distributions=(LXML,),
    issue_url=ISSUE,
    tested_in_ci=False,
    release_on_index=False,
    first_version=None,
    nightly_wheels=False,
    nightly_url=None,
)


def evidence(*later: str, first: str | None = None, named: str | None = None) -> Evidence:
    index = IndexEvidence(
        wheel=WheelKind.FREE_THREADED_WHEEL,
        first_free_threaded=Version(first) if first else None,
        later_releases=tuple(Version(version) for version in later),
    )
    remedy = Remedy("the reading", Version(named), None) if named else None
    return Evidence(tracker=None, index=index, remedy=remedy)


def versions(*texts: str) -> tuple[Version, ...]:
    return tuple(Version(text) for text in texts)


def test_the_reading_first_then_the_newest_releases_at_most_three() -> None:
    found = upgrade_candidates(
        Version("1.0"), evidence("1.1", "2.0", "2.1", "3.0", "3.1", first="1.1", named="2.0")
    )
    assert found == versions("2.0", "1.1", "3.1")


def test_without_a_reading_the_first_free_threaded_release_comes_first() -> None:
    found = upgrade_candidates(Version("1.0"), evidence("2.0", "3.0", first="2.0"))
    assert found == versions("2.0", "3.0")


def test_the_newest_release_comes_last_even_without_a_wheel() -> None:
    # netifaces 0.10.9: 0.11.0, its newest, is an sdist: built and probed, it proves or not.
    only_sdist = IndexEvidence(wheel=WheelKind.SOURCE_BUILD_REQUIRED, latest=Version("0.11.0"))
    found = upgrade_candidates(Version("0.10.9"), Evidence(tracker=None, index=only_sdist))
    assert found == versions("0.11.0")
    index = evidence("2.0", "3.0", first="2.0").index
    assert index is not None
    with_wheels = Evidence(tracker=None, index=dataclasses.replace(index, latest=Version("3.1")))
    assert upgrade_candidates(Version("1.0"), with_wheels) == versions("2.0", "3.0", "3.1")


def test_nothing_at_or_before_the_pin_is_tried() -> None:
    assert upgrade_candidates(Version("3.0"), evidence("2.0", "3.0", named="2.0")) == ()


def test_nothing_is_tried_when_the_index_could_not_say() -> None:
    unavailable = Evidence(
        tracker=None,
        index=IndexEvidence(wheel=WheelKind.UNKNOWN, unavailable="timed out"),
        remedy=Remedy("upgrade lxml 5.0 -> 6.0", Version("6.0"), None),
    )
    assert upgrade_candidates(Version("5.0"), unavailable) == ()
    assert upgrade_candidates(Version("5.0"), Evidence(tracker=None, index=None)) == ()


def test_a_proven_release_is_the_upgrade_and_the_refuted_ones_are_named() -> None:
    tried = [
        TriedRelease(Version("5.3"), verified=False, why="re-enables the GIL (lxml.etree)"),
        TriedRelease(Version("6.0"), verified=True),
    ]

    remedy = verified_remedy(LXML, Version("5.2"), tried, "cp314t", TRACKER)

    assert remedy.verified is True
    assert remedy.upgrade_to == Version("6.0")
    assert remedy.url == ISSUE
    assert remedy.tried == tuple(tried)
    assert remedy.text == (
        "upgrade lxml 5.2 -> 6.0: verified, the GIL stays off on cp314t "
        "(tried first: 5.3 re-enables the GIL (lxml.etree))"
    )


def test_no_proven_release_keeps_the_issue_to_follow() -> None:
    tried = [
        TriedRelease(Version("6.0"), verified=False, why="does not install: no wheel"),
        TriedRelease(Version("5.3"), verified=False, why="re-enables the GIL (lxml.etree)"),
    ]

    remedy = verified_remedy(LXML, Version("5.2"), tried, "cp314t", TRACKER)

    assert remedy.verified is False
    assert remedy.upgrade_to is None
    assert remedy.url == ISSUE
    assert remedy.text == (
        "no release keeps the GIL off yet (not verified: tried 6.0 does not install: no wheel; "
        f"5.3 re-enables the GIL (lxml.etree)); follow {ISSUE}"
    )
