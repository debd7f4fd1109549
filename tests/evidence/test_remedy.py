from __future__ import annotations

from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness.evidence.interface import IndexEvidence, Remedy, TrackerRecord, WheelKind
from readiness.evidence.remedy import remedy_for

PYYAML = canonicalize_name("pyyaml")
ISSUE = "https://example.invalid/yaml/pyyaml/issues/1"


def tracker(
    first_version: str | None = None,
    *,
    issue_url: str | None = ISSUE,
    release_on_index: bool = False,
    nightly_url: str | None = None,
) -> TrackerRecord:
    return TrackerRecord(
        display_name="PyYAML",
        distributions=(PYYAML,),
        issue_url=issue_url,
        tested_in_ci=False,
        release_on_index=release_on_index,
        first_version=first_version,
        nightly_wheels=nightly_url is not None,
        nightly_url=nightly_url,
    )


def index(wheel: WheelKind, first: str | None = None) -> IndexEvidence:
    return IndexEvidence(
        wheel=wheel,
        first_free_threaded=Version(first) if first else None,
        latest=Version("6.0.3"),
    )


def test_upgrade_to_the_first_release_with_free_threaded_wheels() -> None:
    remedy = remedy_for(
        PYYAML, Version("6.0.1"), index(WheelKind.SOURCE_BUILD_REQUIRED, "6.0.3"), None, "cp314t"
    )
    assert remedy == Remedy(
        "upgrade pyyaml 6.0.1 -> 6.0.3, the first release with cp314t wheels",
        Version("6.0.3"),
        None,
    )


def test_the_tracker_agreeing_is_not_mentioned() -> None:
    remedy = remedy_for(
        PYYAML,
        Version("6.0.1"),
        index(WheelKind.SOURCE_BUILD_REQUIRED, "6.0.3"),
        tracker("6.0.3", release_on_index=True),
        "cp314t",
    )
    assert remedy is not None
    assert remedy.text == "upgrade pyyaml 6.0.1 -> 6.0.3, the first release with cp314t wheels"
    assert remedy.url == ISSUE


def test_the_tracker_disagreeing_is_quoted() -> None:
    remedy = remedy_for(
        PYYAML,
        Version("6.0.1"),
        index(WheelKind.NO_FREE_THREADED_WHEEL, "6.0.3"),
        tracker("6.0.2", release_on_index=True),
        "cp314t",
    )
    assert remedy is not None
    assert remedy.text == (
        "upgrade pyyaml 6.0.1 -> 6.0.3, the first release with cp314t wheels "
        "(the tracker says supported since 6.0.2)"
    )
    assert remedy.upgrade_to == Version("6.0.3")


def test_no_release_yet_follows_the_issue() -> None:
    remedy = remedy_for(
        PYYAML, Version("6.0.1"), index(WheelKind.SOURCE_BUILD_REQUIRED), tracker(), "cp314t"
    )
    assert remedy == Remedy(f"no release with cp314t wheels yet; follow {ISSUE}", None, ISSUE)


def test_no_release_yet_without_a_tracker_row() -> None:
    remedy = remedy_for(
        PYYAML, Version("6.0.1"), index(WheelKind.SOURCE_BUILD_REQUIRED), None, "cp313t"
    )
    assert remedy == Remedy("no release with cp313t wheels yet", None, None)


def test_nightly_wheels_are_named() -> None:
    remedy = remedy_for(
        PYYAML,
        Version("6.0.1"),
        index(WheelKind.SOURCE_BUILD_REQUIRED),
        tracker(nightly_url="https://example.invalid/nightly"),
        "cp314t",
    )
    assert remedy is not None
    assert remedy.text.endswith("; nightly wheels: https://example.invalid/nightly")


def test_the_tracker_alone_when_the_index_was_unavailable() -> None:
    unavailable = IndexEvidence(wheel=WheelKind.UNKNOWN, unavailable="HTTP 503 (after 3 tries)")
    remedy = remedy_for(PYYAML, Version("6.0.1"), unavailable, tracker("6.0.3"), "cp314t")
    assert remedy == Remedy(
        "upgrade pyyaml 6.0.1 -> 6.0.3: the tracker says supported since 6.0.3",
        Version("6.0.3"),
        ISSUE,
    )


def test_the_tracker_ahead_of_the_index() -> None:
    remedy = remedy_for(
        PYYAML, Version("6.0.1"), index(WheelKind.SOURCE_BUILD_REQUIRED), tracker("6.0.3"), "cp314t"
    )
    assert remedy is not None
    assert remedy.text == (
        "upgrade pyyaml 6.0.1 -> 6.0.3: the tracker says supported since 6.0.3, "
        "though the index has no release after it with cp314t wheels"
    )


def test_nothing_to_say_for_a_pin_with_free_threaded_wheels() -> None:
    evidence = index(WheelKind.FREE_THREADED_WHEEL, "6.0.3")
    assert remedy_for(PYYAML, Version("6.0.1"), evidence, tracker("6.0.1"), "cp314t") is None


def test_nothing_to_say_for_a_pure_pin() -> None:
    assert remedy_for(PYYAML, Version("6.0.1"), index(WheelKind.PURE), None, "cp314t") is None


def test_no_evidence_at_all() -> None:
    assert remedy_for(PYYAML, Version("6.0.1"), None, None, "cp314t") is None


def test_a_tracker_row_without_a_release() -> None:
    remedy = remedy_for(PYYAML, Version("6.0.1"), None, tracker(), "cp314t")
    assert remedy == Remedy(f"no release yet; follow {ISSUE}", None, ISSUE)


def test_an_unpinned_distribution() -> None:
    remedy = remedy_for(PYYAML, None, index(WheelKind.UNKNOWN, "6.0.3"), None, "cp314t")
    assert remedy is not None
    assert remedy.text == "upgrade pyyaml to 6.0.3, the first release with cp314t wheels"
