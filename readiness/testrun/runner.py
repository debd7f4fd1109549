"""Run a project's test suite in child interpreters, and restart after each GIL switch or crash.

One child runs pytest with the observer plugin (``_plugin.py``) and reports every phase as
JSON lines. A child ends after the test (or the module's collection) that switched the GIL on,
or dies with a crashing test, or is killed when a test exceeds the time limit; the runner then
starts a fresh child with the tests not yet run, so every such test is found, not only the
first. The process handling (a clean environment, a session of its own, the warden that ends
what a test left behind) is the import probe's :class:`~readiness.probe.process.ChildProcess`.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName

from readiness._state import Progress
from readiness.probe.interface import ModuleName
from readiness.probe.process import ChildProcess, NoAnswer, read_end
from readiness.probe.runner import CHILD_SCRIPT
from readiness.testrun.model import (
    STARTUP_ID,
    CaseResult,
    CaseVerdict,
    GilSwitch,
    Phase,
    SuiteRun,
    TestRunError,
)

PLUGIN_SCRIPT = Path(__file__).with_name("_plugin.py")
"""The child's code, run by path: never pasted into ``-c``."""

PROTOCOL = 2
"""The protocol version the runner speaks (``_plugin.PROTOCOL``)."""

STDERR_TAIL_CHARS = 2000
"""How much of the end of a dead or hung child's stderr a result keeps, after how it ended."""

GIL_WARNING_FILTER = "always:The global interpreter lock (GIL) has been enabled:RuntimeWarning"
"""A ``-W`` filter for the GIL's warning (Python/import.c): never an error, whatever the
project's ``filterwarnings`` says, so that a conftest.py that loads such a module at pytest's
start is reported rather than failing pytest. pytest escapes the message of ``-W`` filters."""

TRACEBACK_SEARCH_BYTES = 1 << 16
"""How far back from the end of a dead child's stderr its fatal error is looked for."""

_FATAL_ERROR = re.compile(r"Fatal Python error: ")
"""Where faulthandler's report of a fatal signal begins (Python/faulthandler.c): often on the
line where pytest's progress stopped, not at a line's start."""

FLAKY_RERUNS = 2
"""How many times more a test that passed alone and failed in threads runs alone before it
is called thread-unsafe: a test that fails alone on one of them is flaky, and ``failed``."""

PYTEST_USAGE_STATUSES = frozenset({2, 3, 4})
"""pytest's exit statuses for an interrupted run, an internal error and a usage error."""


@dataclass
class _Progress:
    """What the run has learned so far, across children."""

    results: dict[str, CaseResult] = field(default_factory=dict)
    """Every verdict reached, by node id, in run order."""

    collected: list[str] | None = None
    """Every test of the suite, once one child has collected all of it."""

    ignored: list[str] = field(default_factory=list)
    """Test modules decided at collection (GIL, crash, timeout): never collected again."""

    finished: bool = False
    """True once a child ran everything it was given to the end."""

    def remaining(self) -> list[str]:
        """Return the collected tests that have no verdict yet."""
        return [nodeid for nodeid in self.collected or () if nodeid not in self.results]


def run_suite(
    python: Path,
    project: Path,
    *,
    owners: Mapping[ModuleName, NormalizedName],
    test_timeout: float = 300.0,
    threads: int = 1,
    progress: Progress | None = None,
) -> SuiteRun:
    """Run the pytest suite of ``project`` with ``python`` (of the probe environment).

    ``owners`` names the distribution of each compiled module (from the environment's RECORD
    files). ``test_timeout`` bounds each test, and each module's collection. With ``threads``
    above 1, every test that passed alone runs again in that many threads at once
    (pytest-run-parallel, which must be installed); one that then fails, crashes or hangs is
    ``thread-unsafe``.
    Raises :class:`TestRunError` when pytest cannot run the suite at all.
    """
    runs = _Runs(python, project, owners, test_timeout, progress)
    alone = runs.run(_Progress(), ())
    results = dict(alone.results)
    passed = [nodeid for nodeid, result in results.items() if result.verdict is CaseVerdict.PASSED]
    if threads > 1 and passed:
        # --ignore-gil-enabled: the GIL is this runner's to watch, and every one of these
        # tests kept it off alone; pytest-run-parallel would otherwise end the session.
        options = (f"--parallel-threads={threads}", "--ignore-gil-enabled")
        in_threads = runs.run(_Progress(collected=passed), options)
        for nodeid, result in in_threads.results.items():
            if result.verdict is CaseVerdict.GIL_ENABLED:
                results[nodeid] = result  # a module only the threads loaded: the GIL's own
            elif result.verdict not in (CaseVerdict.PASSED, CaseVerdict.SKIPPED):
                results[nodeid] = replace(
                    result,
                    verdict=CaseVerdict.THREAD_UNSAFE,
                    detail=f"in {threads} threads, {result.verdict.value}:\n{result.detail}",
                )
        _rule_out_flaky(runs, results)
    return SuiteRun(
        results=tuple(results.values()),
        processes=runs.number,
        threads=threads,
        reruns=FLAKY_RERUNS if threads > 1 else 0,
    )


def _rule_out_flaky(runs: _Runs, results: dict[str, CaseResult]) -> None:
    """Run each thread-unsafe test alone FLAKY_RERUNS times more, to rule out a flaky test.

    One that fails alone on a re-run is ``failed`` (flaky), not blamed on the threads.
    """
    for attempt in range(1, FLAKY_RERUNS + 1):
        suspects = [
            nodeid
            for nodeid, result in results.items()
            if result.verdict is CaseVerdict.THREAD_UNSAFE
        ]
        if not suspects:
            return
        again = runs.run(_Progress(collected=suspects), ())
        for nodeid, result in again.results.items():
            if result.verdict not in (CaseVerdict.PASSED, CaseVerdict.SKIPPED):
                results[nodeid] = replace(
                    result,
                    verdict=CaseVerdict.FAILED,
                    detail=f"flaky: passed alone, failed in threads, then {result.verdict.value} "
                    f"alone on re-run {attempt} of {FLAKY_RERUNS}:\n{result.detail}",
                )


@dataclass
class _Runs:
    """Children, started one after another until every test has its verdict."""

    python: Path
    project: Path
    owners: Mapping[ModuleName, NormalizedName]
    test_timeout: float
    progress: Progress | None
    number: int = 0
    """How many children have run, in every pass."""

    def run(self, state: _Progress, options: Sequence[str]) -> _Progress:
        """Run children with pytest ``options`` until ``state`` has every verdict; return it."""
        while not state.finished:
            remaining = state.remaining()
            if state.collected is not None and not remaining:
                break
            self.number += 1
            args = [*options, *(f"--ignore={module}" for module in state.ignored), *remaining]
            before = (len(state.results), len(state.ignored))
            child = _SuiteChild(self.python, self.project, self.number, self.test_timeout)
            child.owners = self.owners
            child.run_tests(args, state)
            if self.progress is not None:
                self.progress.message(f"{len(state.results)} verdicts, {self.number} processes")
            if not state.finished and (len(state.results), len(state.ignored)) == before:
                raise TestRunError(
                    f"pytest in {self.python} ended without running a test (process {self.number})",
                    hint="Run pytest in the project with that interpreter to see why.",
                )
        return state


@dataclass
class _Running:
    """The test a child is running, and what its phases said so far."""

    nodeid: str
    failures: list[str] = field(default_factory=list)
    skipped: str | None = None
    gil: GilSwitch | None = None


class _SuiteChild(ChildProcess):
    """One pytest child: started, followed, and always ended with its process group."""

    def __init__(self, python: Path, project: Path, number: int, test_timeout: float) -> None:
        super().__init__(python, number, test_timeout)
        self.project = project
        self.owners: Mapping[ModuleName, NormalizedName] = {}
        """Each compiled module's distribution, to name the one that switched the GIL on."""
        self.collecting: str | None = None
        self.running: _Running | None = None

    def run_tests(self, args: Sequence[str], state: _Progress) -> None:
        """Start the child on ``args``, record its verdicts in ``state`` and end it."""
        task = {
            "protocol": PROTOCOL,
            "args": ["-p", "no:cacheprovider", "-W", GIL_WARNING_FILTER, *args],
            "probe_child": str(CHILD_SCRIPT),
        }
        with tempfile.TemporaryFile(prefix="readiness-test-stderr-") as stderr:
            try:
                # pytest runs where the user runs it, in the project's folder.
                self.start(
                    [str(self.python), "-I", str(PLUGIN_SCRIPT)],
                    task,
                    cwd=self.project,
                    stderr=stderr,
                )
            except OSError as e:
                raise TestRunError(f"cannot run {self.python}: {e}") from e
            try:
                self._follow(state)
            finally:
                self.end()

    def _follow(self, state: _Progress) -> None:
        hello = self.hello(PROTOCOL)
        if hello.get("gil_enabled"):
            raise self.fault(
                f"the GIL is already enabled when {self.python} starts, before any test runs",
                hint="A .pth file or sitecustomize in the environment loads a module that "
                "needs it: run `readiness scan` on the project to find it.",
            )
        while True:
            try:
                event = self.next_event(self._limit())
            except NoAnswer:
                self._unfinished(state, CaseVerdict.TIMEOUT, self._hung())
                return
            if event is None:
                self._unfinished(state, CaseVerdict.CRASHED, self._death())
                return
            if event["event"] == "bye":
                self._bye(event, state)
                return
            self._handle(event, state)

    def _limit(self) -> float:
        # Collecting a whole suite may take longer than one test; a test has its own limit.
        if self.running is None:
            return self.startup_timeout()
        return self.timeout

    def _handle(self, event: Mapping[str, Any], state: _Progress) -> None:
        try:
            kind = event["event"]
            if kind == "collecting":
                self.collecting = str(event["nodeid"])
            elif kind == "collected":
                self.collecting = None
                if state.collected is None:
                    state.collected = [str(nodeid) for nodeid in event["nodeids"]]
            elif kind == "start":
                self.running = _Running(str(event["nodeid"]))
            elif kind == "report":
                self._report(event, state)
            elif kind == "gil":
                self._gil(event, state)
            elif kind == "finish":
                self._finish(state)
            else:
                raise self.broken(f"an unexpected event: {event!r}")
        except (KeyError, TypeError, ValueError) as e:
            raise self.broken(f"a malformed event: {event!r}") from e

    def _report(self, event: Mapping[str, Any], state: _Progress) -> None:
        nodeid, when, outcome = str(event["nodeid"]), str(event["when"]), str(event["outcome"])
        text = str(event.get("longrepr") or "")
        if when == "collect":
            if outcome == "failed":
                self._decide(state, nodeid, CaseVerdict.FAILED, text)
            return
        if self.running is None or self.running.nodeid != nodeid:
            raise self.broken(f"a report for a test that is not running: {event!r}")
        if outcome == "failed":
            self.running.failures.append(f"{when}: {text}" if when != "call" else text)
        elif outcome == "skipped":
            self.running.skipped = text

    def _gil(self, event: Mapping[str, Any], state: _Progress) -> None:
        module = event.get("module")
        name = ModuleName(str(module)) if module is not None else None
        switch = GilSwitch(
            module=name,
            distribution=self.owners.get(name) if name is not None else None,
            phase=Phase(str(event["phase"])),
        )
        nodeid = str(event["nodeid"])
        if switch.phase is Phase.STARTUP or (switch.phase is Phase.COLLECTION and not nodeid):
            # Every test would run with the GIL on: none can be judged.
            self._decide(state, STARTUP_ID, CaseVerdict.GIL_ENABLED, gil=switch)
            state.finished = True
        elif switch.phase is Phase.COLLECTION:
            state.ignored.append(nodeid)
            self._decide(state, nodeid, CaseVerdict.GIL_ENABLED, gil=switch)
        elif self.running is not None:
            self.running.gil = switch

    def _finish(self, state: _Progress) -> None:
        running, self.running = self.running, None
        if running is None:
            raise self.broken("a finish without a start")
        if running.gil is not None:
            self._decide(state, running.nodeid, CaseVerdict.GIL_ENABLED, gil=running.gil)
        elif running.failures:
            self._decide(state, running.nodeid, CaseVerdict.FAILED, "\n".join(running.failures))
        elif running.skipped is not None:
            self._decide(state, running.nodeid, CaseVerdict.SKIPPED, running.skipped)
        else:
            self._decide(state, running.nodeid, CaseVerdict.PASSED)

    def _bye(self, event: Mapping[str, Any], state: _Progress) -> None:
        status = event.get("exitstatus")
        if event.get("stopped") or state.finished:
            return
        if status in PYTEST_USAGE_STATUSES and not state.results:
            raise self.fault(
                f"pytest in {self.python} could not run the suite (exit status {status})",
                hint="Run pytest in the project with that interpreter to see why.",
            )
        state.finished = True

    def _unfinished(self, state: _Progress, verdict: CaseVerdict, how: str) -> None:
        """Record the test (or module collection) that the child did not live through."""
        if self.running is not None:
            nodeid, self.running = self.running.nodeid, None
        elif self.collecting:
            nodeid = self.collecting
            state.ignored.append(nodeid)
        elif self.collecting is not None:
            # The root folder (its conftest.py): nothing is left to collect without it.
            nodeid = STARTUP_ID
            state.finished = True
        else:
            return  # between tests, or before collection: nothing to blame, no progress made
        self._decide(state, nodeid, verdict, how)

    def _hung(self) -> str:
        """Ask the hung child where it hangs, kill it; return what it said."""
        how = f"no answer after {self.timeout:g} s"
        # What it writes is faulthandler's dump, innermost frame first.
        dump = self.ask_where_it_hangs()
        self.kill()
        return f"{how}\n{dump[:STDERR_TAIL_CHARS]}" if dump.strip() else self._with_tail(how)

    def _death(self) -> str:
        """Say how the child ended, with the end of its stderr."""
        return self._with_tail(self.how_it_ended(self.exit_status()))

    def _with_tail(self, how: str) -> str:
        # faulthandler's report of a fatal signal names the innermost frame first, and a deep
        # pytest stack makes it longer than the probe's tail: its start is looked for further.
        end = read_end(self.stderr, TRACEBACK_SEARCH_BYTES).decode(errors="replace")
        fatal = list(_FATAL_ERROR.finditer(end))
        if fatal:
            return f"{how}\n{end[fatal[-1].start() :][:STDERR_TAIL_CHARS]}"
        tail = self.stderr_tail()
        if len(tail) > STDERR_TAIL_CHARS:
            # Cut at a line's start: the first line kept is whole.
            tail = tail[-STDERR_TAIL_CHARS:].partition("\n")[2]
        return f"{how}\n{tail}" if tail else how

    def _decide(
        self,
        state: _Progress,
        nodeid: str,
        verdict: CaseVerdict,
        detail: str = "",
        *,
        gil: GilSwitch | None = None,
    ) -> None:
        state.results.setdefault(
            nodeid,
            CaseResult(
                nodeid=nodeid,
                verdict=verdict,
                gil=gil,
                detail=detail,
                process=self.number,
            ),
        )
