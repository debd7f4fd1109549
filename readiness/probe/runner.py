"""Run the probe's child interpreter over a plan, and survive whatever an import does to it.

One child imports the plan's modules in order and reports each import as JSON lines
(``_child.py``). A crash or a hang ends that child; the runner records the import that did it
and starts a fresh child with the modules not yet tried. With ``-v`` one child finds every
module that needs the GIL; on an interpreter whose ``-v`` output does not name them, the
runner starts a fresh child after every import that switched the GIL on instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from packaging.utils import NormalizedName

from readiness._state import Progress
from readiness.probe.interface import (
    ImportObservation,
    ImportStatus,
    ModuleName,
    ProbeError,
    ProbePlan,
    ProbeStep,
)

CHILD_SCRIPT = Path(__file__).with_name("_child.py")
"""The child's code, run by path: never pasted into ``-c``."""

PROTOCOL = 1
"""The protocol version the runner speaks (``_child.PROTOCOL``)."""

STDERR_TAIL_BYTES = 4096
"""How much of the end of a child's stderr goes into an error message."""

STARTUP_TIMEOUT_FLOOR = 30.0
"""The least time a child has to start (and run the environment's .pth files) and say hello,
however short the per-import limit: a busy machine must not fail the whole probe."""

EXIT_GRACE_SECONDS = 5.0
"""How long a child that closed its end of the protocol has to exit before it is killed, and
how long a warden has to end its probe and the probe's descendants when asked to."""

EXIT_POLL_SECONDS = 0.25
"""While waiting for a line, how often the runner looks whether the child has exited."""

EXIT_DRAIN_SECONDS = 1.0
"""How long the lines of a child that exited have to reach the runner, when no end of file
comes: a process the child left behind holds the pipe, and nothing more will be written."""

TRACEBACK_GRACE_SECONDS = 0.25
"""How long a hung child has to write its threads' tracebacks before it is killed."""

PROTOCOL_LINE_MAX_BYTES = 1 << 20
"""A protocol line is far shorter; a longer one is a broken child, not a reason to use memory."""

SELF_INFLICTED_SIGNALS = frozenset(
    getattr(signal, name)
    for name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGTRAP", "SIGSYS")
    if hasattr(signal, name)
)
"""The signals a process dies of by what it does itself: a fault of its own code (the kernel
sends them to the faulting thread) or abort(). Any other one came from outside the import."""

NOT_A_MODULE_MESSAGE = "dynamic module does not define module export function"
"""The ImportError of a shared library without ``PyInit_<name>`` (CPython, Python/importdl.c)."""

_PASSED_ENVIRONMENT = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    # Native libraries some distributions load (CUDA, a conda prefix) are found through these;
    # without them an import fails that works for the user, with the GIL as it is.
    "LD_LIBRARY_PATH",
    "DYLD_LIBRARY_PATH",
    # Windows cannot start a process (or find its temporary folder) without these.
    "SYSTEMROOT",
    "TEMP",
    "TMP",
)
"""The caller's environment variables a child sees; no PYTHON* variable is among them."""

_STARTUP_GIL_LINE = re.compile(
    r"^# loading module '(?P<verbose>[^']+)', which requires the GIL$"
    r"|The global interpreter lock \(GIL\) has been enabled to load module '(?P<warned>[^']+)'",
    re.MULTILINE,
)
"""What a child's stderr says about a module loaded at start-up that needs the GIL: the ``-v``
line, or the RuntimeWarning that the default warning filter prints (Python/import.c)."""

_VERBOSE_CHATTER = re.compile(r"^(?:# |import )")
"""Lines of ``-v`` import tracing (importlib._bootstrap._verbose_message, Python/import.c),
left out of the stderr tail shown in an error."""


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


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a child: a few of ``environ``'s variables, no ``PYTHON*`` one.

    ``PYTHON_GIL=0`` would keep the GIL off whatever a module declares, and ``PYTHONPATH``,
    ``PYTHONHOME`` or ``PYTHONSTARTUP`` would change what is imported. The child runs with
    ``-I`` too, which ignores them, but an environment built from scratch does not depend on it.
    """
    source = os.environ if environ is None else environ
    return {name: source[name] for name in _PASSED_ENVIRONMENT if name in source}


def run_probe(
    python: Path,
    plan: ProbePlan,
    *,
    import_timeout: float = 60.0,
    progress: Progress | None = None,
    verbose: bool = True,
) -> list[ImportObservation]:
    """Perform every step of ``plan`` with the interpreter ``python``; one observation each.

    ``import_timeout`` bounds each import (and the child's start). ``verbose=False`` forces
    the restart strategy: children run without ``-v`` and one ends after every import that
    switched the GIL on, so that the next import starts from a GIL that is off.

    Raises :class:`ProbeError` when the interpreter cannot run the child at all or breaks
    the protocol, and :class:`GilEnabledAtStartup` when the GIL is on before any import.
    """
    steps = plan.steps
    observations: list[ImportObservation] = []
    use_verbose = verbose
    process = 0
    if progress is not None:
        progress.start("probing", total=len(steps))
    try:
        while len(observations) < len(steps):
            process += 1
            remaining = steps[len(observations) :]
            outcome = _Child(python, remaining, process, use_verbose, import_timeout).run(
                plan, progress
            )
            if not outcome.observations:
                raise ProbeError(
                    f"the probe's interpreter {python} ended without importing anything "
                    f"(process {process}, before {remaining[0].module})",
                    hint="Run that interpreter by hand to see whether it starts at all.",
                )
            observations.extend(outcome.observations)
            if outcome.verbose_failed:
                # This interpreter does not name every module needing the GIL under -v: from
                # here on every child ends after the import that switched the GIL on.
                use_verbose = False
    finally:
        if progress is not None:
            progress.finish()
    return observations


@dataclass(frozen=True)
class _Outcome:
    """What one child did before it ended."""

    observations: list[ImportObservation]
    """The steps it performed, in order (the last one possibly a crash or a timeout)."""

    verbose_failed: bool
    """True when it found that its ``-v`` output does not name modules that need the GIL."""


class _NoAnswer(Exception):
    """The child said nothing within the time limit."""


class _Child:
    """One child process: started, spoken to, and always ended with its process group."""

    process: subprocess.Popen[bytes]
    """The running child, once started."""

    stderr: IO[bytes]
    """The temporary file that is the child's stderr."""

    def __init__(
        self,
        python: Path,
        steps: Sequence[ProbeStep],
        number: int,
        verbose: bool,
        import_timeout: float,
    ) -> None:
        self.python = python
        self.steps = steps
        self.number = number
        self.verbose = verbose
        self.import_timeout = import_timeout
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.closed = False
        self.warden = False
        """Whether a warden (``_child.Warden``) guards the probe: it ends the probe and
        everything the probe left when sent SIGTERM."""
        self.asked_to_end = False

    def run(self, plan: ProbePlan, progress: Progress | None) -> _Outcome:
        """Start the child, follow its imports and end it; return what it observed."""
        command = [str(self.python), "-I", *(["-v"] if self.verbose else []), str(CHILD_SCRIPT)]
        task = json.dumps(
            {
                "protocol": PROTOCOL,
                "modules": [step.module for step in self.steps],
                # The warden (_child.Warden) checks that this is still its parent once its
                # parent-death signal is set: a runner that died before would go unnoticed.
                "runner": os.getpid(),
            }
        ).encode()
        with (
            tempfile.TemporaryDirectory(prefix="readiness-probe-") as workdir,
            tempfile.TemporaryFile(prefix="readiness-probe-stderr-") as stderr,
        ):
            self.stderr = stderr
            try:
                # The working directory is empty and fresh: nothing in the user's project can
                # shadow a module. A new session lets a hung child be killed with its children.
                # NOTE: the warden's parent-death signal fires when the thread that starts it
                # ends (prctl(2)), not the process; this thread waits for the child's end.
                self.process = subprocess.Popen(
                    command,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    cwd=workdir,
                    env=child_environment(),
                    start_new_session=os.name == "posix",
                )
            except OSError as e:
                raise ProbeError(
                    f"cannot run the probe's interpreter {self.python}: {e}",
                    hint="Check that the probe environment still exists.",
                ) from e
            try:
                self._start_threads(task)
                return self._converse(plan, progress)
            finally:
                self._end()

    def _start_threads(self, task: bytes) -> None:
        # The task may exceed a pipe's buffer, and the child may die before reading it: a
        # thread writes it so that the runner is never stuck on a full pipe.
        threading.Thread(target=self._write_task, args=(task,), daemon=True).start()
        threading.Thread(target=self._read_lines, daemon=True).start()

    def _write_task(self, task: bytes) -> None:
        stdin = self.process.stdin
        if stdin is None:  # never: Popen(stdin=PIPE) sets it
            return
        try:
            stdin.write(task)
            stdin.close()
        except OSError:
            # The child died before reading its task; the reader sees it end.
            pass

    def _read_lines(self) -> None:
        stdout = self.process.stdout
        if stdout is None:  # never: Popen(stdout=PIPE) sets it
            self.lines.put(None)
            return
        try:
            while line := stdout.readline(PROTOCOL_LINE_MAX_BYTES):
                self.lines.put(line)
        except (OSError, ValueError):
            pass
        finally:
            self.lines.put(None)

    def _next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Return the child's next event; None when it closed the protocol (ended)."""
        line = self._next_line(self.import_timeout if timeout is None else timeout)
        if line is None:
            return None
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise self._broken(f"a line that is not a probe event: {line[:200]!r}")
        return event

    def _next_line(self, limit: float) -> bytes | None:
        """Return the child's next line; None once it ended; raise _NoAnswer after ``limit``.

        The end is the pipe's end of file, or else the child's exit: a process the child
        left behind (one the warden could not reach) may hold the pipe open for ever, and
        must not turn a crash into a timeout.
        """
        deadline = time.monotonic() + limit
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            until = deadline if exited_at is None else min(deadline, exited_at + EXIT_DRAIN_SECONDS)
            try:
                line = self.lines.get(timeout=max(0.0, min(until - now, EXIT_POLL_SECONDS)))
            except queue.Empty:
                pass
            else:
                if line is None:
                    self.closed = True
                return line
            now = time.monotonic()
            if exited_at is None and self._has_exited():
                # What it wrote before it exited is in the pipe: the reader gets a moment.
                exited_at = now
            elif exited_at is not None and now >= exited_at + EXIT_DRAIN_SECONDS:
                return None
            if now >= deadline:
                raise _NoAnswer

    def _converse(self, plan: ProbePlan, progress: Progress | None) -> _Outcome:
        observations: list[ImportObservation] = []
        verbose_failed = False
        startup_timeout = max(self.import_timeout, STARTUP_TIMEOUT_FLOOR)
        try:
            hello = self._next_event(startup_timeout)
        except _NoAnswer:
            raise self._failed_to_start(f"did not start within {startup_timeout:g} s") from None
        if hello is None:
            status = self._exit_status()
            raise self._failed_to_start(f"exited with status {status} before the probe began")
        if hello["event"] != "hello" or hello.get("protocol") != PROTOCOL:
            raise self._broken(f"a first event that is not this protocol's hello: {hello!r}")
        self.warden = hello.get("warden") is True
        if hello.get("gil_enabled"):
            raise self._gil_at_startup(plan)

        while True:
            try:
                event = self._next_event()
            except _NoAnswer:
                # Between two imports the child only writes lines: a thread that an earlier
                # import started is stalling it. A fresh child goes on from the next module.
                return _Outcome(observations, verbose_failed)
            if event is None or event["event"] == "bye":
                return _Outcome(observations, verbose_failed)
            step = self.steps[len(observations)] if len(observations) < len(self.steps) else None
            if event["event"] != "start" or step is None or event.get("module") != step.module:
                raise self._broken(f"an unexpected event: {event!r}")
            started = time.monotonic()
            try:
                done = self._next_event()
            except _NoAnswer:
                observations.append(self._timed_out(step, time.monotonic() - started))
                return _Outcome(observations, verbose_failed)
            if done is None:
                status = self._exit_status()
                observations.append(self._crashed(step, status, time.monotonic() - started))
                return _Outcome(observations, verbose_failed)
            if done["event"] != "done" or done.get("module") != step.module:
                raise self._broken(f"an unexpected event: {done!r}")
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
            )
        except (KeyError, TypeError, ValueError) as e:
            raise self._broken(f"a malformed done event: {done!r}") from e

    def _timed_out(self, step: ProbeStep, seconds: float) -> ImportObservation:
        how = f"no answer after {self.import_timeout:g} s"
        tail = ""
        dump_signal = getattr(signal, "SIGUSR1", None)
        if dump_signal is not None:
            # The child registered faulthandler on SIGUSR1: where it hangs is worth a moment.
            size = _size(self.stderr)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.process.pid, dump_signal)
            time.sleep(TRACEBACK_GRACE_SECONDS)
            if _size(self.stderr) > size:
                tail = self._stderr_tail()
        self._kill()
        return self._lost(step, ImportStatus.TIMEOUT, seconds, how, tail, from_outside=True)

    def _crashed(self, step: ProbeStep, status: int | None, seconds: float) -> ImportObservation:
        if status is None:
            how = "closed the probe's output and did not exit; killed"
        elif status < 0:
            how = f"killed by {_signal_name(-status)}"
        else:
            how = f"exited with status {status} during the import"
        # An exit status, or a fault, is the import's own doing; a kill (by the runner after
        # the grace, by a user, by the kernel short of memory) is not.
        from_outside = status is None or (status < 0 and -status not in SELF_INFLICTED_SIGNALS)
        return self._lost(
            step, ImportStatus.CRASHED, seconds, how, self._stderr_tail(), from_outside=from_outside
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

    def _exit_status(self) -> int | None:
        """Wait (briefly) for the child to exit; return its status, None if it did not."""
        if not self._wait_unreaped(EXIT_GRACE_SECONDS):
            self._kill()
            return None
        self._kill()  # its children, if it left any
        return self.process.wait()

    def _wait_unreaped(self, timeout: float) -> bool:
        """Wait for the child to exit but leave it a zombie; return whether it exited.

        While the child is not reaped its pid cannot be reused, so killing its process
        group afterwards cannot reach an unrelated process (waitid(2), WNOWAIT).
        """
        if not hasattr(os, "waitid"):
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        pause = 0.001
        while True:
            if self._has_exited():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _has_exited(self) -> bool:
        """Return whether the child has exited, leaving it unreaped where the system can."""
        if not hasattr(os, "waitid"):
            return self.process.poll() is not None
        try:
            exited = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True  # already reaped
        return exited is not None

    def _kill(self) -> None:
        """Kill the child and every process it started (the child not yet reaped).

        A warden is asked first, with SIGTERM: it kills the probe, then every process the
        probe left (those in sessions of their own too), and exits. Then whatever is left in
        the child's process group is killed.
        """
        if self.process.returncode is not None:
            return
        if self.warden and not self.asked_to_end:
            self.asked_to_end = True
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.process.pid, signal.SIGTERM)
            self._wait_unreaped(EXIT_GRACE_SECONDS)
        try:
            if os.name == "posix":
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        except (ProcessLookupError, PermissionError):
            pass

    def _end(self) -> None:
        self._kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(EXIT_GRACE_SECONDS)
        # The reader ends at the pipe's end of file. A daemonized grandchild that kept the
        # pipe would keep it waiting, so it is waited for only a moment, and the pipe is closed
        # only once the reader is done with it (closing it under a blocked read would hang).
        deadline = time.monotonic() + 1.0
        while not self.closed and time.monotonic() < deadline:
            try:
                self.closed = self.lines.get(timeout=max(0.0, deadline - time.monotonic())) is None
            except queue.Empty:
                break
        if self.closed and self.process.stdout is not None:
            self.process.stdout.close()

    def _stderr_tail(self) -> str:
        data = _read_end(self.stderr, STDERR_TAIL_BYTES)
        lines = data.decode(errors="replace").splitlines()
        if len(data) == STDERR_TAIL_BYTES:
            lines = lines[1:]  # the first line is likely cut
        kept = [line for line in lines if line.strip() and not _VERBOSE_CHATTER.match(line)]
        return "\n".join(kept)

    def _broken(self, what: str) -> ProbeError:
        return self._fault(
            f"the probe's child ({self.python}) sent {what}",
            hint="This is a bug in readiness; please report it with this message.",
        )

    def _failed_to_start(self, what: str) -> ProbeError:
        return self._fault(
            f"the probe's interpreter {self.python} {what}",
            hint="Run that interpreter by hand to see whether it starts at all.",
        )

    def _fault(self, message: str, *, hint: str) -> ProbeError:
        """Kill the child and return the error, with the end of what it wrote on stderr."""
        self._kill()
        tail = self._stderr_tail()
        return ProbeError(message + (f"\n{tail}" if tail else ""), hint=hint)

    def _gil_at_startup(self, plan: ProbePlan) -> GilEnabledAtStartup:
        self._kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(EXIT_GRACE_SECONDS)
        text = _read_end(self.stderr, 4 << 20).decode(errors="replace")
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


def _read_end(file: IO[bytes], limit: int) -> bytes:
    """Return the last ``limit`` bytes of ``file`` without moving its offset.

    The child writes to the same open file (its stderr): moving the shared offset would make
    it write over what it wrote before.
    """
    fd = file.fileno()
    size = _size(file)
    start = max(0, size - limit)
    if hasattr(os, "pread"):
        return os.pread(fd, size - start, start)
    file.seek(start)
    return file.read(size - start)


def _size(file: IO[bytes]) -> int:
    return os.fstat(file.fileno()).st_size


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
