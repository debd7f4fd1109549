"""What to do about a distribution that is not ready: the release to upgrade to, or whom to follow.

The index is the first witness (a release has wheels for the free-threaded ABI or it has
not); the tracker's "supported since" is the second, quoted where the two disagree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.evidence.interface import (
    Evidence,
    IndexEvidence,
    Remedy,
    TrackerRecord,
    TriedRelease,
    WheelKind,
)

NEEDS_A_WHEEL = (
    WheelKind.SOURCE_BUILD_REQUIRED,
    WheelKind.NO_FREE_THREADED_WHEEL,
    WheelKind.UNKNOWN,
)
"""What the index may say of a pinned version that an upgrade to wheels would cure."""


def tracker_says_since(since: Version) -> str:
    """Return how a remedy or a disagreement quotes the tracker's "supported since".

    One wording, so that a report can tell that a row has said it already.
    """
    return f"the tracker says supported since {since}"


def pin_older_than_tracker(since: Version, pinned: Version) -> str:
    """Return the disagreement of a pin older than the tracker's "supported since"."""
    return f"{tracker_says_since(since)}; {pinned} is older"


def remedy_for(
    name: NormalizedName,
    pinned: Version | None,
    index: IndexEvidence | None,
    tracker: TrackerRecord | None,
    abi: str,
) -> Remedy | None:
    """Return the advice for ``name`` at ``pinned``, or None when the evidence suggests none.

    ``abi`` is the interpreter's free-threaded ABI tag (``cp314t``), as the advice names it.
    """
    index_known = index is not None and index.unavailable is None
    since = tracker.first_version_parsed if tracker is not None else None
    issue_url = tracker.issue_url if tracker is not None else None
    from_pin = f"{name} {pinned} ->" if pinned is not None else f"{name} to"

    if index is not None and index_known and index.wheel in NEEDS_A_WHEEL:
        first = index.first_free_threaded
        if first is not None and (pinned is None or first > pinned):
            text = f"upgrade {from_pin} {first}, the first release with {abi} wheels"
            if since is not None and since != first:
                text += f" ({tracker_says_since(since)})"
            return Remedy(text, first, issue_url)

    if since is not None and (pinned is None or since > pinned):
        text = f"upgrade {from_pin} {since}: {tracker_says_since(since)}"
        if index is not None and index_known and index.wheel in NEEDS_A_WHEEL:
            text += f", though the index has no release after it with {abi} wheels"
        return Remedy(text, since, issue_url)

    if index is not None and index_known and index.wheel in NEEDS_A_WHEEL:
        text = f"no release with {abi} wheels yet"
        return Remedy(_follow(text, tracker), None, issue_url)

    if tracker is not None and not tracker.release_on_index and since is None:
        return Remedy(_follow("no release yet", tracker), None, issue_url)
    return None


def _follow(text: str, tracker: TrackerRecord | None) -> str:
    if tracker is None:
        return text
    if tracker.issue_url:
        text += f"; follow {tracker.issue_url}"
    if tracker.nightly_wheels and tracker.nightly_url:
        text += f"; nightly wheels: {tracker.nightly_url}"
    return text


MAX_CANDIDATES = 3
"""Releases a verification tries at most for one distribution: each costs an install."""


def upgrade_candidates(
    pinned: Version | None, evidence: Evidence, limit: int = MAX_CANDIDATES
) -> tuple[Version, ...]:
    """Return the releases to try, in order, for a blocker: a pin that re-enables the GIL.

    Or one that cannot be installed.

    First the release the remedy names (else the first later one with free-threaded wheels):
    the reading of the evidence, proven or refuted. Then the index's later releases that
    install without a build, newest first, since a later release is likelier to declare
    support. Then the newest release, whatever it ships: a source build may declare support
    where no wheel says so (it is built, unless ``--no-build`` refuses it). At most
    ``limit``, each after ``pinned``; none when the index was not asked.
    """
    index = evidence.index
    if index is None or index.unavailable is not None:
        return ()
    named = evidence.remedy.upgrade_to if evidence.remedy is not None else None
    ordered = [named, index.first_free_threaded, *reversed(index.later_releases), index.latest]
    later = dict.fromkeys(
        version
        for version in ordered
        if version is not None and (pinned is None or version > pinned)
    )
    return tuple(later)[:limit]


NO_RELEASE_PROVEN = "no release keeps the GIL off yet"
"""What a verified remedy says when every release it tried re-enabled the GIL (or failed)."""


def verified_remedy(
    name: NormalizedName,
    pinned: Version | None,
    tried: Sequence[TriedRelease],
    abi: str,
    tracker: TrackerRecord | None,
) -> Remedy:
    """Return the remedy that the releases ``tried`` prove, in the order they were tried.

    The last one tried is the upgrade when it kept the GIL off; otherwise none is, and the
    remedy says so (with the tracker's issue to follow). ``tried`` is never empty.
    """
    issue_url = tracker.issue_url if tracker is not None else None
    proven = tried[-1] if tried[-1].verified else None
    failed = [release for release in tried if not release.verified]
    if proven is None:
        text = f"{NO_RELEASE_PROVEN} (not verified: tried {_tried_words(failed)})"
        return Remedy(_follow(text, tracker), None, issue_url, verified=False, tried=tuple(tried))
    from_pin = f"{name} {pinned} ->" if pinned is not None else f"{name} to"
    text = f"upgrade {from_pin} {proven.version}: verified, the GIL stays off on {abi}"
    if failed:
        text += f" (tried first: {_tried_words(failed)})"
    return Remedy(text, proven.version, issue_url, verified=True, tried=tuple(tried))


def _tried_words(releases: Sequence[TriedRelease]) -> str:
    return "; ".join(f"{release.version} {release.why or 'failed'}" for release in releases)


def with_workaround(
    remedy: Remedy | None, name: NormalizedName, setting: str, source: str, abi: str
) -> Remedy:
    """Return ``remedy`` (None: there was none) with a proven switch to pure Python added.

    ``setting`` is how it is set (``MULTIDICT_NO_EXTENSIONS=1``), ``source`` where the
    distribution reads or documents it.
    """
    text = (
        f"workaround: set {setting} ({name}'s pure-Python implementation, {source}): "
        f"verified, the GIL stays off on {abi}"
    )
    if remedy is None:
        return Remedy(text, None, None, workaround=setting)
    return dataclasses.replace(remedy, text=f"{remedy.text}; {text}", workaround=setting)


def fitted(remedy: Remedy, forced: Sequence[str], conflict: str | None) -> Remedy:
    """Return ``remedy`` with what its upgrade forces on the rest of the stack said.

    ``forced`` are the other pins it changes (``name==version``); ``conflict`` is the
    resolver's reason when no resolution holds the upgrade.
    """
    text = remedy.text
    if forced:
        text += f"; it also needs {', '.join(forced)}"
    if conflict:
        text += f"; it does not fit the rest of the stack: {conflict}"
    return dataclasses.replace(remedy, text=text, also_upgrade=tuple(forced))
