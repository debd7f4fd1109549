"""What every evidence service provides, and the evidence it returns."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._errors import ReadinessError


class ServiceError(ReadinessError):
    """Raised when an evidence service cannot work at all (a corrupt snapshot, a bad URL).

    One distribution the index cannot answer for is not an error but data: its evidence
    is ``unavailable``, with the reason.
    """


@dataclass(frozen=True)
class Query:
    """A distribution to find evidence for."""

    name: NormalizedName
    """Its normalized name."""

    version: Version | None
    """The pinned or installed version; None when there is none."""

    classifiers: tuple[str, ...] | None = None
    """The free-threading trove classifiers of that version as installed, where its
    metadata was read: the index is not asked for them. None: the index is asked."""


class WheelKind(enum.StrEnum):
    """What the index offers the probed interpreter for the pinned version.

    These are also the verdicts of a static scan (``--static``).
    """

    FREE_THREADED_WHEEL = "free-threaded-wheel"
    """A wheel built for the interpreter's free-threaded ABI (``cp314t``) that it accepts."""

    PURE = "pure"
    """Only pure-Python wheels (``py3-none-any``) the interpreter accepts."""

    SOURCE_BUILD_REQUIRED = "source-build-required"
    """No wheel the interpreter accepts, but an sdist: installing it builds from source."""

    NO_FREE_THREADED_WHEEL = "no-free-threaded-wheel"
    """No wheel the interpreter accepts and no sdist: it cannot be installed."""

    UNKNOWN = "unknown"
    """The index does not list that version, or could not be asked."""

    def words(self, abi: str) -> str:
        """Return what the index offers, as a phrase: ``a wheel for cp314t``."""
        return _WHEEL_WORDS[self][0].format(abi=abi)

    def brief(self, abi: str) -> str:
        """Return what the index offers in a few words, for compact formats: ``sdist only``."""
        return _WHEEL_WORDS[self][1].format(abi=abi)


_WHEEL_WORDS = {
    WheelKind.FREE_THREADED_WHEEL: ("a wheel for {abi}", "{abi} wheel"),
    WheelKind.PURE: ("pure-Python wheels only", "pure wheel"),
    WheelKind.SOURCE_BUILD_REQUIRED: ("no wheel for {abi}, only an sdist", "sdist only"),
    WheelKind.NO_FREE_THREADED_WHEEL: (
        "no wheel for {abi} and no sdist",
        "no {abi} wheel, no sdist",
    ),
    WheelKind.UNKNOWN: ("the index does not list this version", "version not on the index"),
}
"""Each kind in words: a phrase, then a few words (``{abi}`` is the interpreter's ABI tag)."""


@dataclass(frozen=True)
class IndexEvidence:
    """What the package index says about one pinned distribution."""

    wheel: WheelKind
    """What it offers the interpreter for the pinned version."""

    yanked: bool = False
    """The pinned version's files are all yanked."""

    yanked_reason: str | None = None
    """The index's reason for yanking, if it gives one."""

    classifier: str | None = None
    """Its ``Programming Language :: Python :: Free Threading :: ...`` classifier, if any."""

    classifier_of: Version | None = None
    """The release ``classifier`` was read from: the pinned one (its core metadata), or
    the latest when only the project JSON had it (it holds the latest release's alone)."""

    first_free_threaded: Version | None = None
    """The earliest release after the pinned one with a wheel for the interpreter's
    free-threaded tags; None when no later release has one."""

    latest: Version | None = None
    """The newest release on the index (not pre-releases unless pinned to one)."""

    later_releases: tuple[Version, ...] = ()
    """Every release after the pinned one with a wheel the interpreter installs (for its
    free-threaded ABI, or pure), oldest first, leaving out what ``latest`` leaves out: the
    upgrades a remedy's verification may try."""

    unavailable: str | None = None
    """Why the index could not be asked (after retries); every other field is then unknown."""


@dataclass(frozen=True)
class TrackerRecord:
    """One row of the py-free-threading tracker, normalized."""

    display_name: str
    """The project as the tracker names it (``NumPy``)."""

    distributions: tuple[NormalizedName, ...]
    """The index distribution names it covers; empty for what is not a distribution (CMake)."""

    issue_url: str | None
    """The upstream issue or pull request that tracks free-threading support."""

    tested_in_ci: bool
    """Tested against a free-threaded interpreter in the project's CI."""

    release_on_index: bool
    """A release with free-threaded wheels is on the index."""

    first_version: str | None
    """The first version with support, as the tracker writes it (``2.1.0``)."""

    nightly_wheels: bool
    """Nightly free-threaded wheels exist."""

    nightly_url: str | None
    """Where the nightly wheels are."""

    notes: tuple[str, ...] = ()
    """The texts of the row's footnotes."""

    @property
    def first_version_parsed(self) -> Version | None:
        """``first_version`` as a version, where it is one."""
        from packaging.version import InvalidVersion

        if self.first_version is None:
            return None
        try:
            return Version(self.first_version)
        except InvalidVersion:
            return None


@dataclass(frozen=True)
class TriedRelease:
    """One release a remedy's verification installed into a scratch environment and probed."""

    version: Version
    """The release tried."""

    verified: bool
    """Every module of the distribution imported with the GIL kept off."""

    why: str | None = None
    """When not verified, why, in a few words: ``re-enables the GIL (yaml._yaml)``."""


@dataclass(frozen=True)
class Fit:
    """What pinning an upgrade does to the rest of the stack: kept with the tried releases."""

    forced: tuple[str, ...]
    """The other pins it changes, as ``name==version``, by name."""

    conflict: str | None = None
    """uv's reason when no resolution holds the upgrade; None when one does."""


@dataclass(frozen=True)
class Remedy:
    """One sentence of advice for one distribution."""

    text: str
    """The advice: ``upgrade pyyaml 6.0.1 -> 6.0.3, the first release with cp314t wheels``."""

    upgrade_to: Version | None
    """The release to upgrade to, when the advice is an upgrade."""

    url: str | None
    """Where to follow the work upstream (the tracker's issue), when known."""

    verified: bool | None = None
    """True when ``upgrade_to`` was installed on the probed interpreter and keeps the GIL
    off; False when every release tried re-enabled it (or failed); None when none was tried."""

    tried: tuple[TriedRelease, ...] = ()
    """The releases the verification tried, in the order it tried them."""

    also_upgrade: tuple[str, ...] = ()
    """Other pins the upgrade forces (``name==version``); empty when none, or not checked."""

    workaround: str | None = None
    """A proven way to keep the GIL off without an upgrade; None when there is none."""


@dataclass(frozen=True)
class Evidence:
    """What the tracker and the index say about one distribution, and what to do."""

    tracker: TrackerRecord | None
    """Its tracker row; None means "not tracked" (never "unsupported": the tracker leaves
    pure-Python projects out on purpose)."""

    index: IndexEvidence | None
    """What the index offers; None when the index was not asked (``--offline``, or a
    dependency file that says ``--no-index``)."""

    remedy: Remedy | None = None
    """For a blocker: the release to upgrade to, or the issue to follow."""


@dataclass(frozen=True)
class TrackerSnapshot:
    """The tracker as of one date."""

    source: str
    """Where the snapshot was taken from (a URL or a file), and its revision where known."""

    taken: date
    """The date of the snapshot's content."""

    records: tuple[TrackerRecord, ...]
    """Every row of the table, in the tracker's order."""

    def by_distribution(self) -> Mapping[NormalizedName, TrackerRecord]:
        """Return each covered distribution's record."""
        return {name: record for record in self.records for name in record.distributions}


EvidenceT = TypeVar("EvidenceT", IndexEvidence, TrackerRecord)


class EvidenceService(ABC, Generic[EvidenceT]):
    """A source of evidence about distributions: the tracker, the index."""

    @abstractmethod
    def query(self, query: Query) -> EvidenceT | None:
        """Return the evidence for one distribution (None: this service knows nothing of it)."""

    def query_all(self, queries: Iterable[Query]) -> dict[NormalizedName, EvidenceT | None]:
        """Return the evidence for every query; an implementation may run them concurrently."""
        return {query.name: self.query(query) for query in queries}
