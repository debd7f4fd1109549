"""Prove a remedy: install the release it names into a scratch environment, and probe it.

A free-threaded wheel does not prove that the GIL stays off (the ground truth has several
that re-enable it), so an upgrade is advised as ``verified`` only after the same
interpreter imported every module of that release with the GIL kept off, in an environment
of its own with its dependencies. A release that does not is named with why, and the next
candidate is tried (:func:`readiness.evidence.remedy.upgrade_candidates`). Each release's
outcome is kept in the cache under what decides it, so a warm scan installs nothing.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._cache import RecordStore
from readiness._defaults import DEFAULT_IMPORT_TIMEOUT
from readiness._state import Progress
from readiness.environment.interface import (
    Installer,
    InstallerError,
    InstallResult,
    ProbeEnvironment,
)
from readiness.environment.venv import REFUSAL_MAX_AGE, environment_lock
from readiness.evidence.interface import Fit, TriedRelease
from readiness.evidence.remedy import (
    fitted,
    upgrade_candidates,
    verified_remedy,
    with_workaround,
)
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from readiness.probe.interface import ImportStatus, ProbeError
from readiness.remedies.workarounds import ProbeTimedOut, Workaround, proves
from readiness.report import DistributionReport, Verdict
from readiness.sources.interface import Origin, ResolvedDependency
from readiness.verdicts import judge

VERIFIED_FOLDER = "verified"
"""Where in the cache directory each tried release's outcome is kept."""

VERIFIED_FORMAT = 1
"""The layout of a kept outcome: bumped when :class:`TriedRelease` changes."""

FITS_FOLDER = "fits"
"""Inside :data:`VERIFIED_FOLDER`: what each proven upgrade forces on the stack it was
resolved with."""

SWITCHES_FOLDER = "switches"
"""Inside :data:`VERIFIED_FOLDER`: whether each distribution's switch to pure Python kept the
GIL off for its pinned release."""


@dataclass(frozen=True)
class SwitchOutcome:
    """Whether a switch to pure Python was proven on a pinned release."""

    works: bool
    """True when the release imported with the switch set and the GIL stayed off."""


VERIFIED_VERDICTS = frozenset({Verdict.GIL_ENABLED, Verdict.NOT_INSTALLABLE})
"""The verdicts whose upgrades are proven: the blockers an upgrade can remove."""


_Kept = TypeVar("_Kept")
"""What one of the verifications' stores keeps."""

REFUSED_FOLDER = "refused"
"""Inside :data:`VERIFIED_FOLDER`: the releases the installer refused, believed for a day
only, as the scan's own refusals are (a network failure passes)."""


@dataclass(frozen=True)
class RemedyVerifier:
    """Tries the upgrades of the distributions whose pin re-enables the GIL."""

    interpreter: Interpreter
    """The probed free-threaded interpreter: each release is tried on it."""

    installer: Installer
    """The installer that filled the probe environment."""

    cache_dir: Path
    """Where scratch environments are made and outcomes are kept."""

    no_build: bool = False
    """Never build from source (``--no-build``): a release without a wheel is refused."""

    index_options: IndexOptions | None = None
    """Where the dependency file says to look, as for the scan's own install."""

    import_timeout: float = DEFAULT_IMPORT_TIMEOUT
    """Seconds one import may take."""

    use_kept: bool = True
    """Believe kept outcomes (``--no-cache`` tries every release again, and keeps the new)."""

    refresh: bool = False
    """Try a release the installer refused lately again (``--refresh``)."""

    stack: tuple[ResolvedDependency, ...] = ()
    """What the scan installed, pinned: a proven upgrade is resolved with it, to name the
    other pins it forces (:mod:`readiness.remedies.fit`); empty: not checked."""

    scanned: ProbeEnvironment | None = None
    """The environment the scan probed, where each pin is installed: a workaround is proven
    there, on the pinned release (only imported, never changed); None: none is tried."""

    workarounds: Mapping[NormalizedName, Workaround] = dataclasses.field(default_factory=dict)
    """Each distribution's switch to its pure-Python implementation
    (:func:`readiness.remedies.workarounds.load_workarounds`)."""

    def verify_all(
        self, distributions: Sequence[DistributionReport], progress: Progress
    ) -> list[DistributionReport]:
        """Return ``distributions``, each blocker's remedy proven or refuted.

        A blocker is ``gil-enabled``, or ``not-installable``: its upgrade must install and
        keep the GIL off alike. A distribution without an upgrade candidate keeps its remedy
        as it was.
        """
        blockers = [
            dist.name
            for dist in distributions
            if dist.verdict in VERIFIED_VERDICTS
            and dist.evidence is not None
            and (upgrade_candidates(dist.version, dist.evidence) or self._switch(dist.name))
        ]
        if not blockers:
            return list(distributions)
        progress.start("verifying remedies", total=len(blockers))
        verified = []
        for dist in distributions:
            verified.append(self.verify(dist, progress))
            if dist.name in blockers:
                progress.advance()
        progress.finish()
        return verified

    def verify(self, dist: DistributionReport, progress: Progress) -> DistributionReport:
        """Return ``dist`` with its remedy proven: the first candidate that keeps the GIL off."""
        if dist.verdict not in VERIFIED_VERDICTS or dist.evidence is None:
            return dist
        candidates = upgrade_candidates(dist.version, dist.evidence)
        # A switch is proven on the pinned release, as installed: only a gil-enabled one is.
        switch = self._switch(dist.name) if dist.verdict is Verdict.GIL_ENABLED else None
        if not candidates and switch is None:
            return dist
        tried = []
        for version in candidates:
            progress.message(f"verifying the upgrade to {dist.name} {version}")
            tried.append(self.try_release(dist.name, version, progress))
            if tried[-1].verified:
                break
        abi = self.interpreter.abi_tag
        remedy = (
            verified_remedy(dist.name, dist.version, tried, abi, dist.evidence.tracker)
            if tried
            else dist.evidence.remedy
        )
        if switch is not None and (remedy is None or not remedy.verified):
            # No release helps: the distribution's own switch may, once it is proven.
            progress.message(f"trying {dist.name} with {switch.setting()}")
            if self.switch_works(dist.name, dist.version, switch):
                remedy = with_workaround(remedy, dist.name, switch.setting(), switch.source, abi)
        if remedy is None:
            return dist
        if remedy.upgrade_to is not None and self.stack:
            progress.message(f"resolving the stack with {dist.name} {remedy.upgrade_to}")
            fit = self.fit(dist.name, remedy.upgrade_to)
            if fit is not None:
                remedy = fitted(remedy, fit.forced, fit.conflict)
        return dataclasses.replace(dist, evidence=dataclasses.replace(dist.evidence, remedy=remedy))

    def try_release(
        self, name: NormalizedName, version: Version, progress: Progress
    ) -> TriedRelease:
        """Return what ``name`` ``version`` does on the interpreter: kept, else tried now."""
        key = self._key(name, version)
        kept = self._load(key)
        if kept is not None:
            return kept
        root_key = f"verify-{self.interpreter.abi_tag}-{key[:16]}"
        with environment_lock(self.cache_dir / "envs" / root_key):
            # Another run may have tried it while this one waited.
            kept = self._load(key)
            if kept is not None:
                return kept
            outcome = self._try(name, version, root_key, progress)
            if outcome is None:
                return TriedRelease(version, verified=False, why="could not be tried")
            tried, was_refused = outcome
            self._stores()[1 if was_refused else 0].store(key, tried)
            return tried

    def fit(self, name: NormalizedName, version: Version) -> Fit | None:
        """Return what pinning ``name`` ``version`` into the stack forces: kept, else asked.

        None when uv is not at hand or cannot say (nothing is kept then).
        """
        store = self._kept(Fit, FITS_FOLDER)
        key = store.key(
            self._key(name, version),
            sorted([dep.requirement(), dep.direct] for dep in self.stack),
        )
        kept = store.load(key) if self.use_kept else None
        if kept is not None:
            return kept
        # Imported here, as in _try: a kept outcome needs no resolver.
        from readiness._uv import find_uv
        from readiness.environment.uv import UvInstaller
        from readiness.remedies.fit import FitError, fit_of

        uv = self.installer.executable if isinstance(self.installer, UvInstaller) else find_uv()
        if uv is None:
            return None
        try:
            found = fit_of(
                uv,
                self.interpreter.executable,
                self.stack,
                (name, version),
                self.index_options,
            )
        except FitError:
            return None
        store.store(key, found)
        return found

    def switch_works(
        self, name: NormalizedName, version: Version | None, switch: Workaround
    ) -> bool:
        """Return whether ``switch`` keeps the GIL off for the pinned release: kept, else tried.

        Tried by importing it in the scanned environment with the switch set; an outcome is
        kept under the release, the interpreter and the switch, like a release's.
        """
        if self.scanned is None or version is None:
            return False  # an installed release always has its version
        store = self._kept(SwitchOutcome, SWITCHES_FOLDER)
        key = store.key(self._key(name, version), switch.setting())
        kept = store.load(key) if self.use_kept else None
        if kept is not None:
            return kept.works
        try:
            works = proves(switch, name, self.scanned, import_timeout=self.import_timeout)
        except ProbeTimedOut:
            return False  # says nothing lasting: not kept
        store.store(key, SwitchOutcome(works))
        return works

    def _switch(self, name: NormalizedName) -> Workaround | None:
        """Return ``name``'s switch to pure Python, when there is one to prove it with."""
        return self.workarounds.get(name) if self.scanned is not None else None

    def _stores(self) -> tuple[RecordStore[TriedRelease], RecordStore[TriedRelease]]:
        """Return where the outcomes are kept: what was probed, and what was refused."""
        return self._kept(TriedRelease), self._kept(TriedRelease, REFUSED_FOLDER)

    def _kept(self, record: type[_Kept], *folders: str) -> RecordStore[_Kept]:
        """Return the store of ``record`` entries in the verifications' folder (or below)."""
        return RecordStore(
            self.cache_dir.joinpath(VERIFIED_FOLDER, *folders), record, VERIFIED_FORMAT
        )

    def _key(self, name: NormalizedName, version: Version) -> str:
        """Return the outcome's key: the release, the interpreter build, installer and options."""
        return self._stores()[0].key(
            str(self.interpreter.executable.resolve()),
            self.interpreter.build_info,
            self.installer.name,
            self.no_build,
            repr(self.index_options),
            name,
            str(version),
        )

    def _load(self, key: str) -> TriedRelease | None:
        if not self.use_kept:
            return None
        probed, refused = self._stores()
        found = probed.load(key)
        if found is None and not self.refresh:
            found = refused.load(key, max_age=REFUSAL_MAX_AGE)
        return found

    def _try(
        self, name: NormalizedName, version: Version, root_key: str, progress: Progress
    ) -> tuple[TriedRelease, bool] | None:
        """Install ``name`` ``version`` with its dependencies alone, probe it, remove it all.

        Return what it did, and whether the installer refused it; None when that says nothing
        lasting of the release: an import timed out, a child was ended from outside, or the
        environment could not be made.
        """
        # Imported here: a run whose outcomes are all kept tries nothing, and loads none of it.
        from readiness.environment.trials import Installation, install_alone
        from readiness.environment.venv import create_environment, installed_distributions
        from readiness.probe.plan import plan_probe
        from readiness.probe.runner import run_probe

        environment = None
        try:
            environment = create_environment(
                self.interpreter, root_key, cache_dir=self.cache_dir, installer=self.installer
            )
            how = Installation(
                self.installer,
                no_deps=False,
                no_build=self.no_build,
                index_options=self.index_options,
            )
            trial = install_alone(environment, name, f"{name}=={version}", how, progress.message)
            if trial.failure is not None:
                reason = trial.failure.reason.strip().splitlines() or ["refused"]
                why = f"does not install: {reason[0]}"
                return TriedRelease(version, verified=False, why=why), True
            installed = InstallResult(installed_distributions(environment, set(trial.built)))
            plan = plan_probe(environment.site_packages, [name])
            observations = run_probe(environment.python, plan, import_timeout=self.import_timeout)
        except (InstallerError, ProbeError):
            return None
        finally:
            if environment is not None:
                shutil.rmtree(environment.root, ignore_errors=True)
        if any(o.from_outside or o.status is ImportStatus.TIMEOUT for o in observations):
            return None
        origin = Origin(environment.root, entry=f"{name} {version}, tried")
        dependency = ResolvedDependency(name=name, origin=origin, version=version)
        [report] = [
            dist for dist in judge([dependency], installed, plan, observations) if dist.name == name
        ]
        return TriedRelease(version, *_outcome(report)), False


def _outcome(report: DistributionReport) -> tuple[bool, str | None]:
    """Return whether ``report`` proves its release, and if not, why in a few words."""
    if report.verdict is Verdict.READY:
        return True, None
    if report.verdict is Verdict.GIL_ENABLED:
        modules = ", ".join(culprit.module for culprit in report.culprits)
        return False, f"re-enables the GIL ({modules})"
    return False, f"{report.verdict.value}: {report.reason}"
