"""Run the probe's child interpreter over a plan, and survive whatever an import does to it.

One child imports the plan's modules in order and reports each import as JSON lines
(``_child.py``). A crash or a hang ends that child; the runner records the import that did it
and starts a fresh child with the modules not yet tried. With ``-v`` one child finds every
module that needs the GIL; on an interpreter whose ``-v`` output does not name them, the
runner starts a fresh child after every import that switched the GIL on instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName

from readiness._state import Progress
from readiness.probe.interface import (
    ImportChain,
    ImportObservation,
    ImportSite,
    ImportStatus,
    ModuleName,
    ProbeError,
    ProbePlan,
    ProbeStep,
)
from readiness.probe.process import (
    EXIT_GRACE_SECONDS,
    SELF_INFLICTED_SIGNALS,
    ChildProcess,
    NoAnswer,
    read_end,
)

CHILD_SCRIPT = Path(__file__).with_name("_child.py")
"""The child's code, run by path: never pasted into ``-c``."""

_CHILD_START = (
    "import sys; sys.path.insert(0, sys.argv.pop()); import _child; "
    "del sys.path[0], sys.modules['_child']; _child.run()"
)
"""How the child starts: :data:`CHILD_SCRIPT` imported from its folder, given as the one
argument, so that its bytecode is cached (run as a script, it was compiled again by every
child: 7 ms of its start on 3.13t). The folder leaves ``sys.path`` and the module leaves
``sys.modules`` before any import of the plan's: neither can shadow one of its modules."""

PROTOCOL = 2
"""The protocol version the runner speaks (``_child.PROTOCOL``)."""

NOT_A_MODULE_MESSAGE = "dynamic module does not define module export function"
"""The ImportError of a shared library without ``PyInit_<name>`` (CPython, Python/importdl.c)."""

_STARTUP_GIL_LINE = re.compile(
    r"^# loading module '(?P<verbose>[^']+)', which requires the GIL$"
    r"|The global interpreter lock \(GIL\) has been enabled to load module '(?P<warned>[^']+)'",
    re.MULTILINE,
)
"""What a child's stderr says about a module loaded at start-up that needs the GIL: the ``-v``
line, or the RuntimeWarning that the default warning filter prints (Python/import.c)."""


class GilEnabledAtStartup(ProbeError):
    """Raised when the GIL is already on before the child imports anything.

    A ``.pth`` file or ``sitecustomize`` in the environment loaded a module that needs it,
    so every import the probe would observe runs with the GIL on: no verdict can be trusted.
    """

    def __init__(
        self,
        message: str,
        *,
        modules: tuple[ModuleName, ...],
        owners: Mapping[ModuleName, NormalizedName],
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.modules = modules
        """The modules that needed the GIL at start-up, as the child's stderr named them."""
        self.owners = dict(owners)
        """The distribution of each of those modules that the plan knows."""


def run_probe(
    python: Path,
    plan: ProbePlan,
    *,
    import_timeout: float = 60.0,
    progress: Progress | None = None,
    verbose: bool = True,
    processes: int | None = None,
    environment: Mapping[str, str] | None = None,
) -> list[ImportObservation]:
    """Perform every step of ``plan`` with the interpreter ``python``; one observation each.

    ``import_timeout`` bounds each import (and the child's start). ``verbose=False`` forces
    the restart strategy: children run without ``-v`` and one ends after every import that
    switched the GIL on, so that the next import starts from a GIL that is off.

    ``processes`` children run at once, each over a share of whole distributions (in plan
    order); None picks one per :data:`STEPS_PER_PROCESS` steps, at most one per core. A
    module that needs the GIL is then seen by every share that loads it, as by a child
    started after a crash: blame still goes to the distribution that ships it.

    Raises :class:`ProbeError` when the interpreter cannot run the child at all or breaks
    the protocol, and :class:`GilEnabledAtStartup` when the GIL is on before any import.
    ``environment`` adds variables to the children's clean environment (never a ``PYTHON*``
    one): a distribution's own switch to its pure-Python implementation, to prove it.
    """
    if not plan.steps:
        return []  # nothing to import (a warm run): no child, and no phase to show
    run = _Run(python, plan, import_timeout, progress, verbose, dict(environment or {}))
    shares = _shares(plan.steps, processes or _processes_for(len(plan.steps)))
    if progress is not None:
        progress.start("probing", total=len(plan.steps))
    try:
        if len(shares) <= 1:
            return run.share(plan.steps)
        done = run.shares_at_once(shares)
    finally:
        if progress is not None:
            progress.finish()
    # Every process gets its own number, and the observations go back into plan order.
    observed: dict[ProbeStep, ImportObservation] = {}
    first = 0
    for observations in done:
        for observation in observations:
            observed[observation.step] = dataclasses.replace(
                observation, process=first + observation.process
            )
        first += max((observation.process for observation in observations), default=0)
    return [observed[step] for step in plan.steps]


def _chains(chains: Mapping[str, Sequence[Sequence[Any]]]) -> tuple[ImportChain, ...]:
    """Return the ``done`` event's chains: ``{module: [[file, line, name], ...]}``.

    Raises TypeError or ValueError for one that is not of that shape.
    """
    if not isinstance(chains, Mapping):
        raise TypeError(f"chains is not an object: {chains!r}")
    return tuple(
        ImportChain(
            module=ModuleName(str(module)),
            sites=tuple(ImportSite(str(file), int(line), str(name)) for file, line, name in sites),
        )
        for module, sites in chains.items()
    )


STEPS_PER_PROCESS = 64
"""The fewest imports worth a probe process of their own: a smaller share gains less than
a second interpreter's start and its own imports of the shared dependencies cost."""


def _processes_for(steps: int) -> int:
    """Return how many children probe ``steps`` imports when the caller does not say."""
    return max(1, min(os.cpu_count() or 1, steps // STEPS_PER_PROCESS))


def _shares(steps: Sequence[ProbeStep], processes: int) -> list[tuple[ProbeStep, ...]]:
    """Split ``steps`` into at most ``processes`` shares of whole distributions.

    Each share is a run of distributions in plan order (dependencies first) with about as
    many steps as the others, and keeps the plan's order of its steps: a distribution's
    top-level import comes before its extension modules in its share as in the plan.
    """
    sizes: dict[NormalizedName, int] = {}
    for step in steps:
        sizes[step.distribution] = sizes.get(step.distribution, 0) + 1
    target = len(steps) / max(1, processes)
    share_of: dict[NormalizedName, int] = {}
    share, filled = 0, 0
    for name, size in sizes.items():
        if filled and filled + size / 2 > target and share < processes - 1:
            share, filled = share + 1, 0
        share_of[name] = share
        filled += size
    return [
        shared
        for number in range(share + 1)
        if (shared := tuple(step for step in steps if share_of[step.distribution] == number))
    ]


@dataclass(frozen=True)
class _Run:
    """One probe's settings: what every child of it is started with."""

    python: Path
    plan: ProbePlan
    import_timeout: float
    progress: Progress | None
    verbose: bool
    environment: Mapping[str, str]

    def shares_at_once(
        self, shares: Sequence[tuple[ProbeStep, ...]]
    ) -> list[list[ImportObservation]]:
        """Probe each share in a thread of its own, and return what each observed.

        When one fails, or the caller is interrupted, every other child is ended before the
        error goes on.
        """
        # Imported here: a warm run probes nothing.
        from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

        stop = threading.Event()
        with ThreadPoolExecutor(len(shares), thread_name_prefix="readiness-probe") as pool:
            futures = [pool.submit(self.share, share, stop) for share in shares]
            try:
                finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
                for future in finished:
                    future.result()  # the first failure, if any, raises here
                return [future.result() for future in futures]
            except BaseException:
                stop.set()
                raise

    def share(
        self, steps: Sequence[ProbeStep], stop: threading.Event | None = None
    ) -> list[ImportObservation]:
        """Perform ``steps`` in children started one after another; number them from 1."""
        observations: list[ImportObservation] = []
        use_verbose = self.verbose
        process = 0
        while len(observations) < len(steps):
            process += 1
            remaining = steps[len(observations) :]
            child = _ImportChild(
                self.python, remaining, process, use_verbose, self.import_timeout, stop
            )
            outcome = child.run(self.plan, self.progress, self.environment)
            if not outcome.observations:
                raise ProbeError(
                    f"the probe's interpreter {self.python} ended without importing anything "
                    f"(process {process}, before {remaining[0].module})",
                    hint="Run that interpreter by hand to see whether it starts at all.",
                )
            observations.extend(outcome.observations)
            if outcome.verbose_failed:
                # This interpreter does not name every module needing the GIL under -v:
                # from here on every child ends after the import that switched the GIL on.
                use_verbose = False
        return observations


@dataclass(frozen=True)
class _Outcome:
    """What one child did before it ended."""

    observations: list[ImportObservation]
    """The steps it performed, in order (the last one possibly a crash or a timeout)."""

    verbose_failed: bool
    """True when it found that its ``-v`` output does not name modules that need the GIL."""


class _ImportChild(ChildProcess):
    """One child that imports the steps not yet tried, in order, and reports each."""

    def __init__(
        self,
        python: Path,
        steps: Sequence[ProbeStep],
        number: int,
        verbose: bool,
        import_timeout: float,
        stop: threading.Event | None = None,
    ) -> None:
        super().__init__(python, number, import_timeout, stop)
        self.steps = steps
        self.verbose = verbose

    def run(
        self, plan: ProbePlan, progress: Progress | None, environment: Mapping[str, str]
    ) -> _Outcome:
        """Start the child, follow its imports and end it; return what it observed."""
        command = [
            str(self.python),
            "-I",
            *(["-v"] if self.verbose else []),
            "-c",
            _CHILD_START,
            str(CHILD_SCRIPT.parent),
        ]
        task = {"protocol": PROTOCOL, "modules": [step.module for step in self.steps]}
        with (
            tempfile.TemporaryDirectory(prefix="readiness-probe-") as workdir,
            tempfile.TemporaryFile(prefix="readiness-probe-stderr-") as stderr,
        ):
            try:
                # The working directory is empty and fresh: nothing in the user's project can
                # shadow a module.
                self.start(command, task, cwd=Path(workdir), stderr=stderr, environment=environment)
            except OSError as e:
                raise ProbeError(
                    f"cannot run the probe's interpreter {self.python}: {e}",
                    hint="Check that the probe environment still exists.",
                ) from e
            try:
                return self._converse(plan, progress)
            finally:
                self.end()

    def _converse(self, plan: ProbePlan, progress: Progress | None) -> _Outcome:
        observations: list[ImportObservation] = []
        verbose_failed = False
        hello = self.hello(PROTOCOL)
        if hello.get("gil_enabled"):
            raise self._gil_at_startup(plan)

        while True:
            try:
                event = self.next_event()
            except NoAnswer:
                # Between two imports the child only writes lines: a thread that an earlier
                # import started is stalling it. A fresh child goes on from the next module.
                return _Outcome(observations, verbose_failed)
            if event is None or event["event"] == "bye":
                return _Outcome(observations, verbose_failed)
            step = self.steps[len(observations)] if len(observations) < len(self.steps) else None
            if event["event"] != "start" or step is None or event.get("module") != step.module:
                raise self.broken(f"an unexpected event: {event!r}")
            started = time.monotonic()
            try:
                done = self.next_event()
            except NoAnswer:
                observations.append(self._timed_out(step, time.monotonic() - started))
                return _Outcome(observations, verbose_failed)
            if done is None:
                status = self.exit_status()
                observations.append(self._crashed(step, status, time.monotonic() - started))
                return _Outcome(observations, verbose_failed)
            if done["event"] != "done" or done.get("module") != step.module:
                raise self.broken(f"an unexpected event: {done!r}")
            observations.append(self._observed(step, done))
            if progress is not None:
                following = len(observations)
                progress.advance(
                    self.steps[following].module if following < len(self.steps) else None
                )
            if done.get("verbose_ok") is False:
                verbose_failed = True

    def _observed(self, step: ProbeStep, done: Mapping[str, Any]) -> ImportObservation:
        try:
            error = done["error"]
            warned = done["warned_module"]
            if done["ok"]:
                status = ImportStatus.OK
            elif isinstance(error, str) and NOT_A_MODULE_MESSAGE in error:
                status = ImportStatus.NOT_A_MODULE
            else:
                status = ImportStatus.ERROR
            return ImportObservation(
                step=step,
                status=status,
                seconds=float(done["seconds"]),
                gil_enabled_after=bool(done["gil_enabled_after"]),
                gil_modules=tuple(ModuleName(str(module)) for module in done["gil_modules"]),
                warned_module=ModuleName(str(warned)) if warned is not None else None,
                error=str(error) if error is not None else None,
                process=self.number,
                imported=tuple(ModuleName(str(module)) for module in done.get("imported", ())),
                chains=_chains(done.get("chains", {})),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise self.broken(f"a malformed done event: {done!r}") from e

    def _timed_out(self, step: ProbeStep, seconds: float) -> ImportObservation:
        how = f"no answer after {self.timeout:g} s"
        # The child registered faulthandler on SIGUSR1: where it hangs is worth a moment.
        tail = self.stderr_tail() if self.ask_where_it_hangs() else ""
        self.kill()
        return self._lost(step, ImportStatus.TIMEOUT, seconds, how, tail, from_outside=True)

    def _crashed(self, step: ProbeStep, status: int | None, seconds: float) -> ImportObservation:
        how = self.how_it_ended(status)
        if status is not None and status >= 0:
            how += " during the import"
        # An exit status, or a fault, is the import's own doing; a kill (by the runner after
        # the grace, by a user, by the kernel short of memory) is not.
        from_outside = status is None or (status < 0 and -status not in SELF_INFLICTED_SIGNALS)
        return self._lost(
            step, ImportStatus.CRASHED, seconds, how, self.stderr_tail(), from_outside=from_outside
        )

    def _lost(
        self,
        step: ProbeStep,
        status: ImportStatus,
        seconds: float,
        how: str,
        tail: str,
        *,
        from_outside: bool,
    ) -> ImportObservation:
        """Return the observation of an import the child did not live through."""
        return ImportObservation(
            step=step,
            status=status,
            seconds=seconds,
            gil_enabled_after=None,
            error=f"{how}\n{tail}" if tail else how,
            process=self.number,
            from_outside=from_outside,
        )

    def _gil_at_startup(self, plan: ProbePlan) -> GilEnabledAtStartup:
        self.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(EXIT_GRACE_SECONDS)
        text = read_end(self.stderr, 4 << 20).decode(errors="replace")
        found = (
            match.group("verbose") or match.group("warned")
            for match in _STARTUP_GIL_LINE.finditer(text)
        )
        modules = tuple(ModuleName(module) for module in dict.fromkeys(found))
        owners = {
            module: plan.extension_owners[module]
            for module in modules
            if module in plan.extension_owners
        }
        if modules:
            named = ", ".join(
                f"{module} (from {owners[module]})" if module in owners else module
                for module in modules
            )
            what = f"{named} loaded at start-up needs it"
        else:
            what = "no module it names is to blame (is it a free-threaded build at all?)"
        return GilEnabledAtStartup(
            f"the GIL is already enabled when {self.python} starts, before the probe imports "
            f"anything: {what}. A .pth file or sitecustomize in the environment imports it, "
            "so every import would be observed with the GIL on.",
            modules=modules,
            owners=owners,
            hint="Find the .pth file in site-packages that imports it; its distribution "
            "enables the GIL for every program in the environment.",
        )
