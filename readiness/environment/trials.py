"""Each requirement line installed alone, several at once, each into a scratch environment.

When the installer refuses a batch, each line is tried alone to learn which ones it refuses and
why. One after the other, two sdists that take a minute each to fail cost two minutes; side by
side in the one environment, two installers would write into the same site-packages at once.
So each line goes into a scratch environment of its own, up to ``jobs`` at a time: what was
built then sits in the installer's cache (uv's, pip's wheel cache), and the lines that
installed alone go into the real environment afterwards in one quick batch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from packaging.utils import NormalizedName

from readiness._state import Progress
from readiness.environment.interface import (
    Installer,
    InstallFailed,
    InstallFailure,
    ProbeEnvironment,
)
from readiness.model import IndexOptions

if TYPE_CHECKING:
    from concurrent.futures import Future


@dataclass(frozen=True)
class Installation:
    """How requirement lines are installed: by which installer, with which options."""

    installer: Installer
    """Who installs."""

    no_deps: bool
    """Install exactly the lines given (``--no-deps``): a lock lists everything."""

    no_build: bool
    """Never build from source."""

    index_options: IndexOptions | None = None
    """Where to look, from the dependency file, beside the user's own configuration."""

    def install(
        self, env: ProbeEnvironment, lines: Sequence[str], on_line: Callable[[str], None]
    ) -> set[NormalizedName]:
        """Install ``lines`` into ``env``; return what was built from source.

        Raises what :meth:`Installer.install` raises.
        """
        return self.installer.install(
            env,
            lines,
            no_deps=self.no_deps,
            no_build=self.no_build,
            on_line=on_line,
            index_options=self.index_options,
        )


@dataclass(frozen=True)
class Trial:
    """What one requirement line did when it was installed alone."""

    failure: InstallFailure | None
    """Why the installer refused it, with its reason and log; None when it installed."""

    built: frozenset[NormalizedName] = frozenset()
    """What the installer built from source for it."""


def install_alone(
    env: ProbeEnvironment,
    name: NormalizedName,
    line: str,
    how: Installation,
    on_line: Callable[[str], None],
) -> Trial:
    """Install ``line`` (the requirement of ``name``) alone into ``env``; return what it did.

    A refusal is data: its :class:`InstallFailure` carries the installer's reason and log.
    Raises :class:`readiness.environment.interface.InstallerError` only when the installer
    cannot run at all.
    """
    try:
        return Trial(None, frozenset(how.install(env, [line], on_line)))
    except InstallFailed as failed:
        return Trial(InstallFailure(name=name, reason=failed.reason, log=failed.log))


class _Stopped(Exception):
    """Raised inside a trial whose run was given up (an error elsewhere, Ctrl-C)."""


class ScratchEnvironments(Protocol):
    """Where lines are tried alone: an empty environment for each."""

    def create(self, index: int) -> ProbeEnvironment:
        """Create the empty environment the ``index``-th line is tried in; return it.

        Raises :class:`readiness.environment.interface.InstallerError` when it cannot.
        """

    def stands_for(self, scratch: ProbeEnvironment) -> dict[str, str]:
        """Return each path of ``scratch`` an installer may print, with what it stands for.

        A failure is read as if its line had been tried in the real environment: a scratch
        path in its log is not a place the user could look at afterwards.
        """


def install_side_by_side(
    requirements: Sequence[tuple[NormalizedName, str]],
    how: Installation,
    *,
    scratch: ScratchEnvironments,
    jobs: int,
    progress: Progress,
) -> list[Trial]:
    """Install each ``(name, line)`` alone, ``jobs`` at a time; return the trials in order.

    Each line goes into its own environment from ``scratch``, which the caller removes
    afterwards; its failure is read with the paths of that environment replaced by what they
    stand for. Each finished line advances ``progress`` with the time it took.
    Raises :class:`readiness.environment.interface.InstallerError` when a scratch
    environment cannot be created or the installer cannot run. Then, and on Ctrl-C, the
    lines not started are never tried, and each running trial is given up at the next line
    its installer prints, or when it ends if it prints nothing more.
    """
    stopping = threading.Event()

    def on_line(text: str) -> None:
        # The installer runs in a session of its own (readiness._stream): an interrupt does
        # not reach it. Raising here makes run_streaming kill it and all it started.
        if stopping.is_set():
            raise _Stopped
        progress.message(text)

    def attempt(index: int) -> tuple[Trial, float]:
        started = time.monotonic()
        trying = scratch.create(index)
        name, line = requirements[index]
        trial = install_alone(trying, name, line, how, on_line)
        return _read_as(trial, scratch.stands_for(trying)), time.monotonic() - started

    # Imported here: a warm run installs nothing.
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="readiness-trial") as pool:
        futures: dict[Future[tuple[Trial, float]], int] = {
            pool.submit(attempt, index): index for index in range(len(requirements))
        }
        trials: dict[int, Trial] = {}
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    trial, seconds = future.result()
                    index = futures[future]
                    trials[index] = trial
                    verdict = "installed" if trial.failure is None else "refused"
                    progress.advance(f"{requirements[index][0]} {verdict} in {seconds:.1f} s")
        except BaseException:
            stopping.set()
            for future in futures:
                future.cancel()
            raise
    return [trials[index] for index in range(len(requirements))]


def _read_as(trial: Trial, paths: dict[str, str]) -> Trial:
    if trial.failure is None:
        return trial
    reason, log = trial.failure.reason, trial.failure.log
    # Longest first: a path inside another is replaced as itself.
    for here in sorted(paths, key=len, reverse=True):
        reason, log = reason.replace(here, paths[here]), log.replace(here, paths[here])
    return replace(trial, failure=replace(trial.failure, reason=reason, log=log))
