"""Making and filling a probe environment: what a run with something to install needs.

:mod:`readiness.environment.venv` finds an environment as a run left it; what is here makes
one and puts into it what it lacks (the installer's batch, then each line alone), so a warm
run never imports it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from readiness._cache import atomic_write
from readiness._records import to_record
from readiness._state import Progress
from readiness.environment.interface import (
    InstalledDistribution,
    Installer,
    InstallFailed,
    InstallFailure,
    InstallResult,
    ProbeEnvironment,
)
from readiness.environment.trials import (
    Installation,
    ScratchEnvironments,
    Trial,
    install_alone,
    install_side_by_side,
)
from readiness.environment.uv import UvInstaller
from readiness.environment.venv import (
    COMPLETION_MARKER,
    CREATE_TIMEOUT,
    FinishedInstall,
    Refusals,
    describe_environment,
    installed_distributions,
    run_environment_command,
)
from readiness.installer_requirements import checked_line
from readiness.model import IndexOptions
from readiness.sources.interface import ResolvedDependency

KEPT_IN_ENVIRONMENT = NormalizedName("pip")
"""What ``python -m venv`` puts in an environment for its own use: never removed."""


def creation_command(
    python: Path, root: Path, installer: Installer, *, with_pip: bool
) -> list[str]:
    """Return the command that creates an environment of ``python`` at ``root``.

    ``uv venv`` for uv, ``-m venv`` (with pip unless ``with_pip`` is false) for every other
    installer.
    """
    if isinstance(installer, UvInstaller):
        # --no-project: the user's project must not narrow the interpreter chosen here.
        return [
            str(installer.executable),
            "venv",
            "--no-project",
            "--python",
            str(python),
            str(root),
        ]
    return [str(python), "-m", "venv", *([] if with_pip else ["--without-pip"]), str(root)]


def fill(
    env: ProbeEnvironment,
    requirements: Sequence[ResolvedDependency],
    request: dict[str, object],
    last: FinishedInstall | None,
    *,
    complete: bool,
    installer: Installer,
    no_build: bool,
    index_options: IndexOptions | None,
    progress: Progress,
    refusals: Refusals | None,
    jobs: int | None,
) -> InstallResult:
    """Install into ``env`` what ``request`` asks and ``last`` did not put there; return all.

    The work of :func:`readiness.environment.venv.install_dependencies` once the environment
    is found to need it; ``request`` records the finished install, ``last`` is the one
    recorded before (None: none).
    """
    lines = [dep.requirement() for dep in requirements]
    # A lock lists everything: what the last finished install of it put in is there still,
    # so only the lines it did not have go to the installer (one changed pin: one line).
    before = _installed_lines(last, request) if complete and last is not None else {}
    # Checked here first only to name where the file declares a line to refuse; every
    # installer checks each line again where it writes it (readiness.installer_requirements).
    # What the last install put in was checked before it did.
    for dep, line in zip(requirements, lines, strict=True):
        if line not in before:
            checked_line(line, dep.origin)
    # The environment is about to change: until it is finished, it records nothing.
    (env.root / COMPLETION_MARKER).unlink(missing_ok=True)

    built: set[NormalizedName] = set()
    failures: list[InstallFailure] = []
    if refusals is not None:
        # What the last install put in was not refused.
        known = [None if line in before else refusals.known(line) for line in lines]
        failures += [failure for failure in known if failure is not None]
        requirements = [dep for dep, found in zip(requirements, known, strict=True) if not found]
        lines = [line for line, found in zip(lines, known, strict=True) if not found]
    pending = []
    for dep, line in zip(requirements, lines, strict=True):
        if line not in before:
            pending.append((dep.name, line))
        elif before[line]:
            built.add(dep.name)  # built from source by the install that put it there
    if pending:
        how = Installation(
            installer, no_deps=complete, no_build=no_build, index_options=index_options
        )
        progress.start(f"installing with {installer.name}")
        try:
            built |= how.install(env, [line for _, line in pending], progress.message)
        except InstallFailed:
            progress.start(f"installing one by one with {installer.name}", total=len(pending))
            jobs = min(jobs or os.cpu_count() or 1, len(pending))
            trials = _one_by_one(env, pending, how, progress, jobs)
            for (_, line), trial in zip(pending, trials, strict=True):
                built |= trial.built
                if trial.failure is not None:
                    failures.append(trial.failure)
                    if refusals is not None:
                        refusals.keep(line, trial.failure)
        progress.finish()

    if before and last is not None:
        # The rest of the environment is as the last install recorded it: only the
        # distributions of what went to the installer are read again.
        changed = {name for name, _ in pending}
        installed = tuple(
            sorted(
                [
                    *(dist for dist in last.result.installed if dist.name not in changed),
                    *installed_distributions(env, built, names=changed),
                ],
                key=lambda dist: dist.name,
            )
        )
    else:
        installed = installed_distributions(env, built)
    if complete:
        # A lock lists everything: whatever else the environment holds is left over from an
        # earlier lock (the environment is reused), or an old version of what failed now.
        installed = _remove_unrequested(env, installed, requirements, failures, installer, progress)
    result = InstallResult(installed=installed, failures=tuple(failures))
    atomic_write(
        env.root / COMPLETION_MARKER,
        json.dumps({"request": request, "result": to_record(result)}, indent=1),
    )
    return result


def _one_by_one(
    env: ProbeEnvironment,
    named: Sequence[tuple[NormalizedName, str]],
    how: Installation,
    progress: Progress,
    jobs: int,
) -> list[Trial]:
    """Install each line alone; return what each did, in order.

    With one job, each line into ``env`` after the other. With more: each line into a
    scratch environment beside ``env``, ``jobs`` at a time, then the lines that installed
    there into ``env`` in one batch (quick: what they built is in the installer's cache); if
    that batch fails still (two lines that conflict, when the installer resolves), those
    lines as with one job. The scratch environments are removed in every case, Ctrl-C too.
    """
    if jobs < 2:
        trials = []
        for name, line in named:
            progress.advance(str(name), steps=0)
            trials.append(install_alone(env, name, line, how, progress.message))
            progress.advance()
        return trials
    with tempfile.TemporaryDirectory(
        prefix=f"{env.root.name}.trials-", dir=env.root.parent, ignore_cleanup_errors=True
    ) as folder:
        scratch = _ScratchEnvironments.beside(env, how.installer, Path(folder))
        trials = install_side_by_side(named, how, scratch=scratch, jobs=jobs, progress=progress)
    installed = [index for index, trial in enumerate(trials) if trial.failure is None]
    if installed:
        try:
            built = how.install(env, [named[index][1] for index in installed], progress.message)
        except InstallFailed:
            again = _one_by_one(env, [named[index] for index in installed], how, progress, 1)
            for index, trial in zip(installed, again, strict=True):
                trials[index] = trial
        else:
            for index in installed:
                trials[index] = Trial(None, trials[index].built | built)
    return trials


@dataclass(frozen=True)
class _ScratchEnvironments(ScratchEnvironments):
    """Empty environments of ``env``'s interpreter, made in ``folder`` for one line each."""

    env: ProbeEnvironment
    installer: Installer
    folder: Path
    pip: Path | None
    """The pip package of ``env``, lent to each scratch environment; None: each has its own."""

    @classmethod
    def beside(cls, env: ProbeEnvironment, installer: Installer, folder: Path) -> Self:
        """Return the scratch environments for ``installer`` in ``folder``.

        ``-m venv`` installs pip from its bundled wheel, which takes seconds for each
        environment; pip's own package copied once from ``env`` takes none. Without a pip in
        ``env`` to lend (or for uv, which needs none), each gets its own.
        """
        found = [path / "pip" for path in env.site_packages if (path / "pip").is_dir()]
        if isinstance(installer, UvInstaller) or not found:
            return cls(env, installer, folder, None)
        shutil.copytree(found[0], folder / "pip" / "pip")
        return cls(env, installer, folder, found[0])

    def create(self, index: int) -> ProbeEnvironment:
        """Create the ``index``-th scratch environment; return it.

        Raises :class:`InstallerError` when it cannot be created.
        """
        root = self.folder / str(index)
        with_pip = self.pip is None
        argv = creation_command(self.env.python, root, self.installer, with_pip=with_pip)
        run_environment_command(
            argv, what=f"creating the scratch environment {root}", timeout=CREATE_TIMEOUT
        )
        scratch = describe_environment(root)
        if self.pip is not None:
            (scratch.site_packages[0] / "readiness-pip.pth").write_text(
                f"{self.folder / 'pip'}\n", encoding="utf-8"
            )
        return scratch

    def stands_for(self, scratch: ProbeEnvironment) -> dict[str, str]:
        """Return the scratch environment's root and the lent pip, with ``env``'s own."""
        paths = {str(scratch.root): str(self.env.root)}
        if self.pip is not None:
            paths[str(self.folder / "pip" / "pip")] = str(self.pip)
        return paths


def _remove_unrequested(
    env: ProbeEnvironment,
    installed: Sequence[InstalledDistribution],
    requirements: Sequence[ResolvedDependency],
    failures: Sequence[InstallFailure],
    installer: Installer,
    progress: Progress,
) -> tuple[InstalledDistribution, ...]:
    """Uninstall what ``installed`` holds and ``requirements`` do not; return what is left.

    A requirement that failed to install is not kept: what ``env`` holds of it is older.
    """
    failed = {failure.name for failure in failures}
    keep = {dep.name for dep in requirements if dep.name not in failed} | {KEPT_IN_ENVIRONMENT}
    extra = sorted(dist.name for dist in installed if dist.name not in keep)
    if extra:
        progress.message(f"removing {', '.join(extra)}")
        installer.uninstall(env, extra, on_line=progress.message)
    return tuple(dist for dist in installed if dist.name in keep)


def _installed_lines(last: FinishedInstall, request: dict[str, object]) -> dict[str, bool]:
    """Return the lines ``last`` put into its environment, each with whether it built.

    Only when that install was asked with the same options as ``request`` (installer, index,
    builds): its lines are then installed as those options install them. A line whose
    distribution failed is not among them.
    """
    asked = last.request
    lines = asked.get("requirements")
    if not isinstance(lines, list):
        return {}
    options = {key: value for key, value in request.items() if key != "requirements"}
    if {key: value for key, value in asked.items() if key != "requirements"} != options:
        return {}
    installed = {dist.name: dist for dist in last.result.installed}
    failed = {failure.name for failure in last.result.failures}
    found = {}
    for line in map(str, lines):
        try:
            name = canonicalize_name(Requirement(line).name)
        except InvalidRequirement:
            continue
        if name in installed and name not in failed:
            found[line] = installed[name].built_from_source
    return found
