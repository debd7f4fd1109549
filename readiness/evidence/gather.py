"""Put the tracker and the index side by side for each distribution, with the remedy."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.evidence.index import IndexService, Prefetch
from readiness.evidence.interface import Evidence, IndexEvidence, Query, WheelKind
from readiness.evidence.remedy import (
    pin_older_than_tracker,
    remedy_for,
    tracker_says_since,
)
from readiness.evidence.tracker import TrackerService


@dataclass(frozen=True)
class EvidenceSources:
    """The services a scan asks, chosen by the command line."""

    tracker: TrackerService
    """The tracker snapshot (the user's cached copy, else the one shipped)."""

    index: IndexService | None
    """The package index, or None when it must not be asked."""

    abi: str
    """The interpreter's free-threaded ABI tag (``cp314t``), as remedies name it."""

    def prefetch(self, queries: Sequence[Query]) -> Prefetch | None:
        """Start asking the index for ``queries`` in the background (see IndexService)."""
        return self.index.prefetch(queries) if self.index is not None else None

    def gather(
        self, queries: Sequence[Query], blockers: Collection[NormalizedName]
    ) -> dict[NormalizedName, Evidence]:
        """Return the evidence for every query; a remedy for the names in ``blockers``."""
        tracked = self.tracker.query_all(queries)
        indexed: dict[NormalizedName, IndexEvidence | None] = (
            self.index.query_all(queries) if self.index is not None else {}
        )
        gathered = {}
        for query in queries:
            tracker, index = tracked.get(query.name), indexed.get(query.name)
            remedy = (
                remedy_for(query.name, query.version, index, tracker, self.abi)
                if query.name in blockers
                else None
            )
            gathered[query.name] = Evidence(tracker=tracker, index=index, remedy=remedy)
        return gathered


def disagreements(
    gil_enabled: bool, version: Version | None, evidence: Evidence, abi: str
) -> tuple[str, ...]:
    """Say plainly where the probe and the evidence disagree, or the pin and the tracker."""
    found = []
    index, tracker = evidence.index, evidence.tracker
    if gil_enabled and index is not None and index.wheel is WheelKind.FREE_THREADED_WHEEL:
        found.append(
            f"the index has {abi} wheels for {version}, yet its extension re-enabled the GIL"
        )
    if gil_enabled and index is not None and index.classifier is not None:
        found.append(
            f"it declares {index.classifier.split(' :: ')[-1]!r} free-threading "
            "support, yet re-enabled the GIL"
        )
    since = tracker.first_version_parsed if tracker is not None else None
    if since is not None and version is not None:
        if version < since:
            found.append(pin_older_than_tracker(since, version))
        elif gil_enabled:
            found.append(f"{tracker_says_since(since)}, yet {version} re-enabled the GIL")
    return tuple(found)
