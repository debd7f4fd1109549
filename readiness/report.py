"""The report: one verdict per distribution, with the evidence behind it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.evidence.interface import Evidence
from readiness.interpreter.interface import Interpreter
from readiness.probe.interface import ImportObservation, ImportSite, ModuleName
from readiness.sources.interface import Origin

SCHEMA_VERSION = 1
"""The version of the JSON report's schema; bumped when a field changes meaning or goes away."""


class Verdict(enum.StrEnum):
    """What the scan concluded about one distribution."""

    READY = "ready"
    """Every module imported and the GIL stayed disabled."""

    GIL_ENABLED = "gil-enabled"
    """A module it ships re-enabled the GIL."""

    NOT_INSTALLABLE = "not-installable"
    """It could not be installed for the interpreter (no wheel and no sdist, or a failed build)."""

    IMPORT_ERROR = "import-error"
    """A module raised on import, so the scan could not tell: inconclusive."""

    CRASHED = "crashed"
    """Importing a module killed the interpreter."""

    TIMEOUT = "timeout"
    """Importing a module did not finish within the time limit."""

    SKIPPED = "skipped"
    """Its marker excludes it for this interpreter; nothing was installed."""

    # A static scan (--static) judges from the index's files alone: nothing is imported.
    FREE_THREADED_WHEEL = "free-threaded-wheel"
    """Static: the index has a wheel for the interpreter's free-threaded ABI."""

    PURE = "pure"
    """Static: only pure-Python wheels, which the interpreter accepts."""

    SOURCE_BUILD_REQUIRED = "source-build-required"
    """Static: no wheel for the interpreter, but an sdist: installing builds it here."""

    NO_FREE_THREADED_WHEEL = "no-free-threaded-wheel"
    """Static: no wheel for the interpreter and no sdist: it cannot be installed."""

    UNKNOWN = "unknown"
    """Static: the index does not list that version, or could not be asked."""


class GilTrigger(enum.StrEnum):
    """How much of a distribution must be imported before the GIL comes back on."""

    ON_IMPORT = "on-import"
    """Importing its top-level package already enables the GIL."""

    SUBMODULE = "submodule"
    """Only a submodule loaded on demand does; the top-level import keeps the GIL off."""


@dataclass(frozen=True)
class Culprit:
    """A module that re-enabled (or would re-enable) the GIL."""

    module: ModuleName
    """The module that does not declare free-threading support."""

    reached_through: ModuleName
    """The probe's import that loaded it (the module itself, or one that imports it)."""

    warned: bool
    """True when the interpreter's RuntimeWarning named it (it switched the GIL on)."""


@dataclass(frozen=True)
class Reach:
    """A culprit of another distribution that this distribution's imports loaded."""

    module: ModuleName
    """The culprit module."""

    owner: NormalizedName
    """The distribution that ships it, and is blamed for it."""

    through: ModuleName
    """This distribution's module whose import loaded it."""

    chain: tuple[ImportSite, ...] = ()
    """The import statements that led from ``through`` to the culprit, outermost first, as
    far as the probe saw them (empty when it loaded straight from ``through``, or was loaded
    already). The last one of the scanned project's is where its code reaches the culprit."""

    @property
    def project_site(self) -> ImportSite | None:
        """Return the project's own statement nearest the culprit; None if none is the project's."""
        own = [site for site in self.chain if site.in_project]
        return own[-1] if own else None


@dataclass(frozen=True)
class DistributionReport:
    """Everything the scan found about one distribution."""

    name: NormalizedName
    """The normalized distribution name."""

    version: Version | None
    """The installed (or pinned) version; None when the file pinned none and nothing installed."""

    verdict: Verdict
    """The conclusion."""

    direct: bool
    """True when the project declares it itself; False when only another dependency pulls it in."""

    origin: Origin | None
    """Where the dependency file declares it; None for what the installer added."""

    reason: str | None = None
    """One sentence on why, for every verdict but ``ready``."""

    culprits: tuple[Culprit, ...] = ()
    """For ``gil-enabled``: every module of this distribution that requires the GIL."""

    gil_trigger: GilTrigger | None = None
    """For ``gil-enabled``: whether the top-level import or only a submodule enables the GIL."""

    reaches: tuple[Reach, ...] = ()
    """Culprits of other distributions that importing this one loaded (not blamed on it)."""

    modules: tuple[ImportObservation, ...] = ()
    """Every import the probe performed for it, in order."""

    built_from_source: bool = False
    """True when the installer built it from source on this machine."""

    install_log: str | None = None
    """For ``not-installable``: the installer's whole output for it (``reason`` is its cause
    line); None otherwise, and where the installer gave no output of its own."""

    evidence: Evidence | None = None
    """What the tracker and the index say, and the remedy; None when not gathered."""

    disagreements: tuple[str, ...] = ()
    """Where the probe and the evidence (or the pin and the tracker) disagree, in words."""

    cached: bool = False
    """True when its observations came from the result cache: nothing imported this run."""

    project: bool = False
    """True for the scanned project itself: built from its folder, its own code probed."""

    @property
    def import_seconds(self) -> float:
        """Time spent importing its modules."""
        return sum(observation.seconds for observation in self.modules)


@dataclass(frozen=True)
class TrackerSnapshotInfo:
    """The tracker snapshot a report's evidence comes from."""

    source: str
    """Where the snapshot was taken from."""

    taken: date
    """The date of its content."""

    age_days: int
    """Its age when the report was made; over 30 days, the report says so."""


@dataclass(frozen=True)
class Report:
    """The outcome of one scan."""

    interpreter: Interpreter
    """The free-threaded interpreter probed."""

    inputs: tuple[Path, ...]
    """The dependency files read."""

    source_kind: str
    """What kind of file they are (``requirements``, ``pylock``, ``uv.lock``)."""

    distributions: tuple[DistributionReport, ...]
    """Every distribution, in the order the file lists them, then what the installer added."""

    installer: str
    """The installer that filled the probe environment (``uv`` or ``pip``)."""

    warnings: tuple[str, ...] = ()
    """Things the user should know that are not about one distribution."""

    timings: Mapping[str, float] = field(default_factory=dict)
    """Seconds spent per phase: ``collect``, ``environment``, ``install``, ``probe``."""

    processes: int = 0
    """How many child interpreters the probe started."""

    static: bool = False
    """True for a static scan: verdicts from the index's files alone, nothing imported."""

    tracker: TrackerSnapshotInfo | None = None
    """Which tracker snapshot the evidence came from; None when none was read."""

    def by_verdict(self, *verdicts: Verdict) -> list[DistributionReport]:
        """Return the distributions whose verdict is one of ``verdicts``."""
        return [dist for dist in self.distributions if dist.verdict in verdicts]
