"""What a test run observed: one verdict per test, and the run around them."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._errors import ReadinessError
from readiness.interpreter.interface import Interpreter
from readiness.probe.interface import ModuleName
from readiness.report import GilTrigger


class TestRunError(ReadinessError):
    """Raised when the test run itself cannot go on: pytest cannot start, or breaks protocol."""

    __test__ = False  # a name pytest would otherwise collect as a test class


class CaseVerdict(enum.StrEnum):
    """What one test (or one test module's collection) came to."""

    PASSED = "passed"
    """It passed, and the GIL stayed off."""

    FAILED = "failed"
    """It failed (or errored) on its own, with the GIL off."""

    GIL_ENABLED = "gil-enabled"
    """Something it loaded switched the GIL on: the module, its distribution and the phase."""

    THREAD_UNSAFE = "thread-unsafe"
    """It passed alone and failed (or crashed, or hung) when run in several threads at once."""

    CRASHED = "crashed"
    """Its process died during it (a signal, an abort, an exit); the rest ran in a fresh one."""

    TIMEOUT = "timeout"
    """It did not finish within the time limit; its process was killed."""

    SKIPPED = "skipped"
    """pytest skipped it (or it failed as expected: an xfail)."""


GATE_DEFAULT = frozenset(
    {CaseVerdict.GIL_ENABLED, CaseVerdict.THREAD_UNSAFE, CaseVerdict.CRASHED, CaseVerdict.TIMEOUT}
)
"""The verdicts that fail the gate by default; ``failed`` alone does not (``--strict`` adds it)."""


STARTUP_ID = "<startup>"
"""The id of the one result of a run whose GIL was on before any test was collected."""


class Phase(enum.StrEnum):
    """Where in a test's life something happened.

    ``startup`` is pytest's start, when it loads the plugins and the first conftest.py files
    (before any test: no test can be judged); ``collection`` is the import of a test module,
    or of a folder's conftest.py, while pytest collects it; ``setup`` and ``teardown`` are a
    test's fixtures'; ``call`` is the test function itself; ``between-tests`` is outside
    every phase, where a thread an earlier test left behind loaded the module: the test named
    is the first one that would have run with the GIL on.
    """

    STARTUP = "startup"
    COLLECTION = "collection"
    SETUP = "setup"
    CALL = "call"
    TEARDOWN = "teardown"
    BETWEEN_TESTS = "between-tests"


@dataclass(frozen=True)
class GilSwitch:
    """Where the GIL went on during a test."""

    module: ModuleName | None
    """The module that switched it on, as the interpreter's warning names it."""

    distribution: NormalizedName | None
    """The installed distribution that ships that module, when one does."""

    phase: Phase
    """The phase of the test (or the collection) during which it happened."""


@dataclass(frozen=True)
class CaseResult:
    """One test's verdict, or one test module's when its collection decided it."""

    nodeid: str
    """pytest's node id: ``tests/test_x.py::test_y``; ``tests/test_x.py`` or ``tests/sub`` for
    a module or a folder decided at collection; :data:`STARTUP_ID` for pytest's start."""

    verdict: CaseVerdict
    """What it came to."""

    gil: GilSwitch | None = None
    """For ``gil-enabled``: the module, the distribution and the phase."""

    detail: str = ""
    """The failure's text, the signal, the time limit or the skip reason."""

    process: int = 1
    """Which child process ran it, counted from 1."""


@dataclass(frozen=True)
class DistributionSummary:
    """One distribution that switched the GIL on during the tests."""

    name: NormalizedName
    """Its normalized name."""

    version: Version | None
    """The installed version."""

    modules: tuple[ModuleName, ...]
    """Its modules that switched the GIL on during the tests, in run order."""

    tests: tuple[str, ...]
    """The results (test, module or folder ids) that named it, in run order."""

    scan_trigger: GilTrigger | None
    """What ``scan``'s probe found: ``on-import`` (its top-level import already switches the
    GIL on), ``submodule`` (only a module loaded on demand does: the lazily loaded kind that
    only the tests find in use), or None when the probe saw no module of it needing the GIL."""

    remedy: str | None
    """The tracker's advice for it, when it has some."""

    @property
    def lazy(self) -> bool:
        """True when ``scan``'s import of the stack keeps the GIL off for it."""
        return self.scan_trigger is not GilTrigger.ON_IMPORT


@dataclass(frozen=True)
class SuiteRun:
    """What the runner observed: the verdicts, and how many children it took."""

    results: tuple[CaseResult, ...]
    """Every verdict, in the order the tests ran."""

    processes: int
    """How many child processes ran (one more per GIL switch, crash and timeout)."""

    threads: int = 1
    """How many threads ran each test that passed alone, a second time (1: no second run)."""

    reruns: int = 0
    """How many times more a test that failed only in threads ran alone, to rule out a flaky
    test (0 without threads)."""


@dataclass(frozen=True)
class SuiteReport:
    """The whole run: every test's verdict, on which interpreter, and what to know about it."""

    project: Path
    """The project folder whose suite ran."""

    interpreter: Interpreter
    """The free-threaded interpreter whose probe environment ran it."""

    run: SuiteRun
    """The verdicts, in run order, and the number of processes."""

    warnings: tuple[str, ...] = ()
    """What the user should know about the run (``PYTHON_GIL=0`` removed)."""

    distributions: tuple[DistributionSummary, ...] = ()
    """Each distribution whose module switched the GIL on during the tests, as scan sees it."""

    @property
    def results(self) -> tuple[CaseResult, ...]:
        """Every verdict, in run order."""
        return self.run.results

    @property
    def interpreter_name(self) -> str:
        """``CPython 3.13.5 (cp313t)``, for the report."""
        return f"CPython {self.interpreter.version_string} ({self.interpreter.abi_tag})"

    def counts(self) -> dict[CaseVerdict, int]:
        """Return how many results have each verdict (verdicts present only), in enum order."""
        found = [result.verdict for result in self.results]
        return {verdict: found.count(verdict) for verdict in CaseVerdict if verdict in found}


def gate_verdicts(fail_on: Iterable[CaseVerdict] | None, *, strict: bool) -> frozenset[CaseVerdict]:
    """Return the verdicts that fail the gate: ``fail_on`` (default GATE_DEFAULT), and more.

    ``strict`` adds ``failed``: a test that fails on its own says nothing about the GIL.
    """
    chosen = frozenset(GATE_DEFAULT if fail_on is None else fail_on)
    return chosen | {CaseVerdict.FAILED} if strict else chosen
