"""Turn what was installed and what the probe observed into one verdict per distribution."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence

from packaging.utils import NormalizedName

from readiness.environment.interface import InstallResult
from readiness.probe.interface import (
    ImportObservation,
    ImportStatus,
    ModuleKind,
    ModuleName,
    ProbePlan,
)
from readiness.report import Culprit, DistributionReport, GilTrigger, Reach, Verdict
from readiness.sources.interface import Dependency, ResolvedDependency, SkippedDependency


def judge(
    dependencies: Sequence[Dependency],
    install: InstallResult,
    plan: ProbePlan,
    observations: Sequence[ImportObservation],
) -> list[DistributionReport]:
    """Return a report for every distribution: declared ones in file order, then the rest.

    Blame goes to the distribution whose RECORD ships the module that needs the GIL, never
    to a pure package that merely imports it: that one's report lists the module as a reach.
    """
    declared = {dep.name: dep for dep in dependencies}
    installed = {dist.name: dist for dist in install.installed}
    failures = {failure.name: failure for failure in install.failures}

    culprits: dict[NormalizedName, list[tuple[Culprit, ImportObservation]]] = defaultdict(list)
    reaches: dict[NormalizedName, list[Reach]] = defaultdict(list)
    for observation in observations:
        for culprit in _culprits_of(observation):
            owner = plan.extension_owners.get(culprit.module, observation.step.distribution)
            culprits[owner].append((culprit, observation))
            if owner != observation.step.distribution:
                reaches[observation.step.distribution].append(
                    Reach(
                        module=culprit.module,
                        owner=owner,
                        through=observation.step.module,
                        chain=next(
                            (c.sites for c in observation.chains if c.module == culprit.module),
                            (),
                        ),
                    )
                )
    for observation, reach in _reaches_through_imports(culprits, observations):
        reaches[observation.step.distribution].append(reach)
    own_observations: dict[NormalizedName, list[ImportObservation]] = defaultdict(list)
    for observation in observations:
        own_observations[observation.step.distribution].append(observation)

    reports = []
    for name in [*declared, *sorted(set(installed) - set(declared))]:
        dependency = declared.get(name)
        direct = isinstance(dependency, ResolvedDependency) and dependency.direct
        origin = dependency.origin if dependency is not None else None
        if isinstance(dependency, SkippedDependency):
            reports.append(
                DistributionReport(
                    name=name,
                    version=dependency.version,
                    verdict=Verdict.SKIPPED,
                    direct=True,
                    origin=origin,
                    reason=dependency.reason,
                )
            )
            continue
        if name in failures or name not in installed:
            pinned = dependency.version if isinstance(dependency, ResolvedDependency) else None
            failure = failures.get(name)
            reports.append(
                DistributionReport(
                    name=name,
                    version=pinned,
                    verdict=Verdict.NOT_INSTALLABLE,
                    direct=direct,
                    origin=origin,
                    reason=failure.reason if failure else "the installer did not install it",
                    install_log=(failure.log or None) if failure else None,
                )
            )
            continue
        dist = installed[name]
        verdict, reason, trigger = _verdict_for(name, own_observations[name], culprits[name])
        reports.append(
            DistributionReport(
                name=name,
                version=dist.version,
                verdict=verdict,
                direct=direct if dependency is not None else False,
                origin=origin,
                reason=reason,
                culprits=_one_per_module(culprit for culprit, _ in culprits[name]),
                gil_trigger=trigger,
                reaches=_one_per_reach(reaches[name]),
                modules=tuple(own_observations[name]),
                built_from_source=dist.built_from_source,
            )
        )
    return reports


def _reaches_through_imports(
    culprits: Mapping[NormalizedName, Sequence[tuple[Culprit, ImportObservation]]],
    observations: Sequence[ImportObservation],
) -> Iterator[tuple[ImportObservation, Reach]]:
    """Yield the culprits each import reached by importing a package that loads them.

    A culprit that its own distribution's top-level import loads is loaded once, by that
    step; a later package whose import runs ``import owner`` reaches it all the same.
    """
    loaded_by_top_level = [
        (owner, culprit, observation.step.module)
        for owner, found in culprits.items()
        for culprit, observation in found
        if observation.step.kind is ModuleKind.TOP_LEVEL and observation.step.distribution == owner
    ]
    for observation in observations:
        for owner, culprit, top_level in loaded_by_top_level:
            if owner != observation.step.distribution and any(
                name == top_level or name.startswith(f"{top_level}.")
                for name in observation.imported
            ):
                reach = Reach(module=culprit.module, owner=owner, through=observation.step.module)
                yield observation, reach


def _culprits_of(observation: ImportObservation) -> list[Culprit]:
    """Every module needing the GIL that ``observation``'s import loaded, the warned one marked."""
    modules = list(observation.gil_modules)
    # NOTE: an interpreter that lacks the `-v` message still names the first culprit in its
    # RuntimeWarning (CPython Python/import.c, _PyImport_CheckGILForModule).
    if observation.warned_module is not None and observation.warned_module not in modules:
        modules.insert(0, observation.warned_module)
    return [
        Culprit(
            module=module,
            reached_through=observation.step.module,
            warned=module == observation.warned_module,
        )
        for module in modules
    ]


def _verdict_for(
    name: NormalizedName,
    own: Sequence[ImportObservation],
    culprits: Sequence[tuple[Culprit, ImportObservation]],
) -> tuple[Verdict, str | None, GilTrigger | None]:
    if culprits:
        # The plan imports each distribution's top-level modules before any distribution that
        # depends on it, so a culprit loaded during its own top-level import is loaded by
        # `import top_level` alone; loaded later, it comes only with a submodule.
        on_import = any(
            observation.step.kind is ModuleKind.TOP_LEVEL and observation.step.distribution == name
            for _, observation in culprits
        )
        trigger = GilTrigger.ON_IMPORT if on_import else GilTrigger.SUBMODULE
        modules = ", ".join(dict.fromkeys(culprit.module for culprit, _ in culprits))
        if on_import:
            reason = f"importing it enables the GIL: {modules} does not declare support"
        else:
            reason = (
                f"{modules} enables the GIL when it is loaded "
                "(the top-level import alone keeps it disabled)"
            )
        return Verdict.GIL_ENABLED, reason, trigger
    for status, verdict in (
        (ImportStatus.CRASHED, Verdict.CRASHED),
        (ImportStatus.TIMEOUT, Verdict.TIMEOUT),
        (ImportStatus.ERROR, Verdict.IMPORT_ERROR),
    ):
        failed = [observation for observation in own if observation.status is status]
        if failed:
            first = failed[0]
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            return verdict, f"import {first.step.module}: {first.error}{more}", None
    if not any(observation.status is ImportStatus.OK for observation in own):
        return Verdict.READY, "ships no importable module", None
    return Verdict.READY, None, None


def _one_per_module(culprits: Iterable[Culprit]) -> tuple[Culprit, ...]:
    """Keep each module's first sighting; a child restarted after a crash loads it again."""
    first: dict[ModuleName, Culprit] = {}
    for culprit in culprits:
        seen = first.setdefault(culprit.module, culprit)
        if culprit.warned and not seen.warned:
            first[culprit.module] = dataclasses.replace(seen, warned=True)
    return tuple(first.values())


def _one_per_reach(reaches: Iterable[Reach]) -> tuple[Reach, ...]:
    """Keep one reach per culprit and import: the first, which knows the most of its chain."""
    first: dict[tuple[ModuleName, NormalizedName, ModuleName], Reach] = {}
    for reach in reaches:
        seen = first.setdefault((reach.module, reach.owner, reach.through), reach)
        if reach.chain and not seen.chain:
            first[(reach.module, reach.owner, reach.through)] = reach
    return tuple(first.values())
