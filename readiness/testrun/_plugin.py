"""The test run's child: pytest inside the free-threaded interpreter, watched for the GIL.

STANDARD LIBRARY AND PYTEST ONLY: this file runs in the probe environment of the interpreter
under test, as ``python -I _plugin.py``. It never imports readiness; what it shares with the
import probe (the warden, the protocol writer, the GIL's warning text) it loads from the
probe's own child file, whose path comes in the task: that file is standard-library only too.

The task arrives on stdin in marshal's format, as the probe's child reads it:
``{"protocol": 2, "runner": PID, "probe_child": PATH, "args": [...]}``. The answer is JSON
lines on what was stdout: ``hello``; ``collecting`` and ``collected`` around collection;
``start``, ``report`` (one per phase) and ``finish`` around each test; ``gil`` when a phase
switched the GIL on; ``bye`` at the end.

After the phase that switched the GIL on, the test still finishes (its teardown runs), then
the process ends: every later observation would be made with the GIL on. The runner starts
a fresh child with the tests not yet run. A GIL switched on while a module is collected ends
the process at once, after that module's report.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import marshal
import os
import signal
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable
    from types import ModuleType
    from typing import Any, NoReturn

PROTOCOL = 2
"""The version of the task and event formats; the runner sends the one it speaks."""

LONGREPR_MAX_CHARS = 4000
"""A failure's text is cut to this length: one protocol line stays small."""


def load_probe_child(path: str) -> ModuleType:
    """Load the import probe's child file (standard library only) as a module of its own."""
    spec = importlib.util.spec_from_file_location("_readiness_probe_child", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the probe's child from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _extension_modules(names: Iterable[str]) -> list[str]:
    """Return those of the loaded modules ``names`` that are compiled extension modules."""
    from importlib.machinery import ExtensionFileLoader

    found = []
    for name in names:
        loader = getattr(getattr(sys.modules.get(name), "__spec__", None), "loader", None)
        if isinstance(loader, ExtensionFileLoader):
            found.append(name)
    return found


def _first_extension(names: Iterable[str]) -> str | None:
    """Return the first, in name order, of the extension modules among ``names``."""
    found = sorted(_extension_modules(names))
    return found[0] if found else None


class GilWatch:
    """Runs one phase and tells whether it switched the GIL on, and which module did it.

    The interpreter's RuntimeWarning names the module (Python/import.c,
    ``_PyImport_CheckGILForModule``). It is caught here, innermost: a project's
    ``filterwarnings = error`` would otherwise turn it into the failure of the import, after
    the GIL is on anyway. Every other warning of the phase is issued again as it came.
    """

    def __init__(self, child: ModuleType) -> None:
        self.child = child
        self.module: str | None = None
        """The module that switched the GIL on in the last phase watched; None if none did."""
        self.switched = False
        self.between = False
        """True when the GIL went on between the last phase watched and this one."""
        self._left: set[str] | None = None
        """The loaded modules' names when the last watched phase ended, with the GIL off."""

    def around(self, began: Callable[[], None] | None = None) -> Generator[None, object, object]:
        """Wrap one hook call (a pluggy wrapper body), whether it returns or raises.

        ``began`` is called once :attr:`between` is known, before the hook runs.
        """
        before = self.child.gil_enabled()
        # Only the names: which of the new ones are extensions is asked only after a switch.
        loaded = set(sys.modules)
        # A thread an earlier test left behind may load a module between two phases, where
        # nothing watches: the GIL is then on before this phase starts.
        self.between = before and self._left is not None
        if self.between:
            self.module = _first_extension(loaded - (self._left or set()))
        if began is not None:
            began()
        caught: list[warnings.WarningMessage] = []
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                return (yield)
        finally:
            warned = self._warned(caught)
            self.switched = not before and self.child.gil_enabled()
            if self.switched:
                # Without the warning (a test that silenced it), the extension modules the
                # phase loaded are the suspects; the first in name order is named.
                self.module = warned or _first_extension(set(sys.modules) - loaded)
            self._left = None if self.child.gil_enabled() else set(sys.modules)

    def _warned(self, caught: list[warnings.WarningMessage]) -> str | None:
        named: str | None = None
        for warning in caught:
            module = self.child.warned_module(str(warning.message))
            if module is not None and issubclass(warning.category, RuntimeWarning):
                named = named or module
                continue
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
        return named


_FILE_COLLECTORS: tuple[type, ...] = (
    pytest.File,
    *([pytest.Directory] if hasattr(pytest, "Directory") else []),
)
"""The collectors whose collection imports code: test files, and folders (pytest 8 and
later) whose conftest.py is loaded as they are collected."""


class Observer:
    """The pytest plugin: reports every phase and every switch of the GIL to the runner."""

    def __init__(self, protocol: Any, child: ModuleType) -> None:
        self.protocol = protocol
        self.watch = GilWatch(child)
        self.gil_test: str | None = None
        """The test during which the GIL went on: the process ends once it has finished."""
        self.conftests: list[Path] = []
        """The folders of the conftest.py files loaded since the last collector was watched."""
        self.startup_module: str | None = None
        """The module the GIL's warning named while pytest started (initial conftests)."""

    def _send(self, **event: object) -> None:
        self.protocol.send(event)

    def _gil(self, nodeid: str, phase: str, module: str | None = None) -> None:
        self._send(event="gil", nodeid=nodeid, phase=phase, module=module or self.watch.module)

    def _stop(self) -> NoReturn:
        self._send(event="bye", exitstatus=None, stopped=True)
        os._exit(0)

    @pytest.hookimpl(wrapper=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> Generator[None, object, object]:
        """Override what the project's options say about how much runs, and where.

        Every test runs, in this process: ``-x`` or ``--maxfail`` would leave tests without
        a verdict, a collection error would stop the session, and pytest-xdist's workers
        (``-n``) would run the tests where no observer watches the GIL.
        """
        config.option.maxfail = 0
        config.option.continue_on_collection_errors = True
        if hasattr(config.option, "numprocesses"):
            # pytest-xdist reads these in its own pytest_cmdline_main (xdist/plugin.py).
            config.option.numprocesses = 0
            config.option.distload = False
            config.option.dist = "no"
        return (yield)

    def pytest_plugin_registered(self, plugin: object) -> None:
        """Note each conftest.py pytest loads: its import may switch the GIL on."""
        path = getattr(plugin, "__file__", None)
        if isinstance(path, str) and Path(path).name == "conftest.py":
            self.conftests.append(Path(path).parent)

    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        """Keep the module the GIL's warning names, when pytest recorded it (at start-up)."""
        module = self.watch.child.warned_module(str(warning_message.message))
        if module is not None and self.startup_module is None:
            self.startup_module = module

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Stop if the GIL is on already: a conftest.py or a plugin loaded at start-up did it."""
        if self.watch.child.gil_enabled():
            self._gil("", "startup", self.startup_module)
            self._stop()

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, object, object]:
        """Watch the collection of each folder and file: an import may switch the GIL on.

        A test module's import, or a folder's conftest.py: the runner leaves out that file,
        or that conftest.py's folder, from then on.
        """
        if not isinstance(collector, _FILE_COLLECTORS):
            return (yield)
        self._send(event="collecting", nodeid=collector.nodeid)
        self.conftests.clear()
        result = yield from self.watch.around()
        if self.watch.switched:
            nodeid = collector.nodeid
            if self.conftests:
                # Loaded while its parent folder was collected: the conftest's folder is to
                # blame, not every test beside it.
                rootpath = collector.config.rootpath
                nodeid = self.conftests[-1].relative_to(rootpath).as_posix()
            else:
                self._report(nodeid, "collect", result)
            self._gil(nodeid, "collection")
            self._stop()
        return result

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Report a module that could not be collected."""
        if report.failed:
            self._report(report.nodeid, "collect", report)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Name every test the run will perform."""
        self._send(event="collected", nodeids=[item.nodeid for item in session.items])

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        """Say which test runs: a crash or a hang from here on is this test's."""
        self._send(event="start", nodeid=nodeid)

    def _phase(self, item: pytest.Item, phase: str) -> Generator[None, object, object]:
        def began() -> None:
            if self.watch.between and self.gil_test is None:
                # On before this test began: it is the first test to run with the GIL on.
                self.gil_test = item.nodeid
                self._gil(item.nodeid, "between-tests")

        try:
            return (yield from self.watch.around(began))
        finally:
            if self.watch.switched and self.gil_test is None:
                self.gil_test = item.nodeid
                self._gil(item.nodeid, phase)

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, object, object]:
        """Watch a test's setup (its fixtures)."""
        return (yield from self._phase(item, "setup"))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, object, object]:
        """Watch a test's call."""
        return (yield from self._phase(item, "call"))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, object, object]:
        """Watch a test's teardown."""
        return (yield from self._phase(item, "teardown"))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Report a phase of a test that failed or skipped; a passed one says nothing."""
        if report.failed or report.skipped:
            self._report(report.nodeid, report.when or "call", report)

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        """Say the test is over; end the process if the GIL went on during it."""
        self._send(event="finish", nodeid=nodeid)
        if self.gil_test is not None:
            self._stop()

    def _report(self, nodeid: str, when: str, report: Any) -> None:
        longrepr = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            longrepr = str(report.longrepr[2])  # (path, line, "Skipped: reason")
        elif report.failed or report.skipped:
            try:
                longrepr = str(report.longreprtext)
            except Exception:  # a report that cannot be shown is still a report to send
                longrepr = "<unprintable>"
        self._send(
            event="report",
            nodeid=nodeid,
            when=when,
            outcome=report.outcome,
            wasxfail=hasattr(report, "wasxfail"),
            longrepr=longrepr[-LONGREPR_MAX_CHARS:],
        )


def main() -> None:
    """Read the task, run pytest with the observer and report; end without shutting down."""
    try:
        # In marshal's format, as the probe's child reads it (readiness.probe.process).
        task = marshal.loads(sys.stdin.buffer.read())  # noqa: S302
    except (EOFError, ValueError, TypeError):
        task = None
    spoken = task.get("protocol") if isinstance(task, dict) else None
    if not isinstance(task, dict) or spoken != PROTOCOL:
        os.write(2, f"readiness test: unknown protocol {spoken!r}\n".encode())
        os._exit(2)
    child = load_probe_child(task["probe_child"])
    guarded = child.start_warden(task)
    protocol = child.isolate_standard_streams()
    # pytest's own output (the failures, a usage error) goes where the runner keeps stderr.
    os.dup2(2, 1)
    # pytest captures descriptor 2 while a test runs: the tracebacks go to a copy of it,
    # which stays the runner's file (pytest's own faulthandler plugin does the same).
    stderr = os.dup(2)
    faulthandler.enable(file=stderr, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        # The runner sends SIGUSR1 to a test that hangs, to learn where before killing it.
        faulthandler.register(signal.SIGUSR1, file=stderr, all_threads=True)
    protocol.send(
        {
            "event": "hello",
            "protocol": PROTOCOL,
            "pid": os.getpid(),
            "gil_enabled": child.gil_enabled(),
            "warden": guarded,
        }
    )
    try:
        status = int(pytest.main(list(task["args"]), plugins=[Observer(protocol, child)]))
    except KeyboardInterrupt:
        os._exit(130)
    protocol.send({"event": "bye", "exitstatus": status, "stopped": False})
    # Never a normal exit: a test may have left a non-daemon thread or an atexit hook behind.
    os._exit(0)


if __name__ == "__main__":
    main()
