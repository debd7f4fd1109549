"""A child interpreter that speaks JSON lines, and is always ended with what it started.

The import probe (``runner.py``) and ``readiness test`` (``readiness/testrun/runner.py``) both
run code that may crash, hang, fork or leave daemons behind. :class:`ChildProcess` is what
they share: a clean environment, a session of its own, a reader that never blocks the runner,
a warden (``_child.Warden``) that ends the child's descendants, and the end of its stderr for
the messages. Each subclass speaks its own protocol on top.
"""

from __future__ import annotations

import contextlib
import json
import marshal
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from readiness.probe.interface import ProbeError

STDERR_TAIL_BYTES = 4096
"""How much of the end of a child's stderr goes into an error message."""

STARTUP_TIMEOUT_FLOOR = 30.0
"""The least time a child has to start (and run the environment's .pth files) and say hello,
however short the per-step limit: a busy machine must not fail the whole run."""

EXIT_GRACE_SECONDS = 5.0
"""How long a child that closed its end of the protocol has to exit before it is killed, and
how long a warden has to end its child and the child's descendants when asked to."""

EXIT_POLL_SECONDS = 0.25
"""While waiting for a line, how often the runner looks whether the child has exited."""

EXIT_DRAIN_SECONDS = 1.0
"""How long the lines of a child that exited have to reach the runner, when no end of file
comes: a process the child left behind holds the pipe, and nothing more will be written."""

TRACEBACK_GRACE_SECONDS = 0.25
"""How long a hung child has to write its threads' tracebacks before it is killed."""

TASK_MARSHAL_VERSION = 4
"""The marshal format of a child's task: read alike by every Python since 3.4."""

PROTOCOL_LINE_MAX_BYTES = 1 << 20
"""A protocol line is far shorter; a longer one is a broken child, not a reason to use memory."""

SELF_INFLICTED_SIGNALS = frozenset(
    getattr(signal, name)
    for name in ("SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE", "SIGABRT", "SIGTRAP", "SIGSYS")
    if hasattr(signal, name)
)
"""The signals a process dies of by what it does itself: a fault of its own code (the kernel
sends them to the faulting thread) or abort(). Any other one came from outside."""

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

_VERBOSE_CHATTER = re.compile(r"^(?:# |import )")
"""Lines of ``-v`` import tracing (importlib._bootstrap._verbose_message, Python/import.c),
left out of the stderr tail shown in an error."""


def child_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment of a child: a few of ``environ``'s variables, no ``PYTHON*`` one.

    ``PYTHON_GIL=0`` would keep the GIL off whatever a module declares, and ``PYTHONPATH``,
    ``PYTHONHOME`` or ``PYTHONSTARTUP`` would change what is imported. The child runs with
    ``-I`` too, which ignores them, but an environment built from scratch does not depend on it.
    """
    source = os.environ if environ is None else environ
    return {name: source[name] for name in _PASSED_ENVIRONMENT if name in source}


class NoAnswer(Exception):
    """The child said nothing within the time limit."""


class Stopped(Exception):
    """The run this child belongs to was stopped, and the child ended with it.

    Another child failed, or the caller was interrupted: what this one did is of no use.
    """


class ChildProcess:
    """One child process: started, spoken to, and always ended with its process group.

    A subclass calls :meth:`start`, reads :meth:`hello` and then :meth:`next_event` until the
    child ends, and calls :meth:`end` in a ``finally``.
    """

    process: subprocess.Popen[bytes]
    """The running child, once started."""

    stderr: IO[bytes]
    """The (temporary, seekable) file that is the child's stderr."""

    def __init__(
        self, python: Path, number: int, timeout: float, stop: threading.Event | None = None
    ) -> None:
        self.python = python
        self.number = number
        """Which process of the run this is, counted from 1."""
        self.timeout = timeout
        """How long one step (an import, a test) may take."""
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.closed = False
        self.warden = False
        """Whether a warden (``_child.Warden``) guards the child: it ends the child and
        everything the child left when sent SIGTERM."""
        self.asked_to_end = False
        self.said_hello_at = 0
        """How much the child had written to its stderr when it said hello: its interpreter's
        start (with ``-v``, site's own lines too), which no error of an import shows."""
        self.stop = stop
        """Set by another thread to end this child: waiting for it then raises Stopped."""

    def start(
        self,
        argv: Sequence[str],
        task: Mapping[str, Any],
        *,
        cwd: Path,
        stderr: IO[bytes],
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """Start ``argv`` in ``cwd`` and give it ``task`` (a JSON object) on its stdin.

        The task also names this process as the runner: the warden checks that this is still
        its parent once its parent-death signal is set, or a runner that died before would
        go unnoticed. ``environment`` adds variables to :func:`child_environment`'s (a
        distribution's documented switch); a ``PYTHON*`` one is refused with ValueError, as
        it would change what is observed. Raises :class:`OSError` when the child cannot be
        started.
        """
        added = dict(environment or {})
        python_variables = [name for name in added if name.upper().startswith("PYTHON")]
        if python_variables:
            raise ValueError(f"a child's environment takes no {python_variables[0]}")
        self.stderr = stderr
        # A new session lets a hung child be killed with its children.
        # NOTE: the warden's parent-death signal fires when the thread that starts it ends
        # (prctl(2)), not the process; this thread waits for the child's end.
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=cwd,
            env={**child_environment(), **added},
            start_new_session=os.name == "posix",
        )
        # marshal: the child reads it without importing anything (json would bring re).
        encoded = marshal.dumps({**task, "runner": os.getpid()}, TASK_MARSHAL_VERSION)
        # The task may exceed a pipe's buffer, and the child may die before reading it: a
        # thread writes it so that the runner is never stuck on a full pipe.
        threading.Thread(target=self._write_task, args=(encoded,), daemon=True).start()
        threading.Thread(target=self._read_lines, daemon=True).start()

    def hello(self, protocol: int) -> dict[str, Any]:
        """Return the child's first event, which says it speaks ``protocol``.

        Raises :class:`ProbeError` when it does not start in time, ends first, or speaks
        another protocol.
        """
        startup = self.startup_timeout()
        try:
            hello = self.next_event(startup)
        except NoAnswer:
            raise self.failed_to_start(f"did not start within {startup:g} s") from None
        if hello is None:
            status = self.exit_status()
            raise self.failed_to_start(f"exited with status {status} before the probe began")
        if hello["event"] != "hello" or hello.get("protocol") != protocol:
            raise self.broken(f"a first event that is not this protocol's hello: {hello!r}")
        self.warden = hello.get("warden") is True
        self.said_hello_at = stderr_size(self.stderr)
        return hello

    def startup_timeout(self) -> float:
        """Return how long the child has to start, or to do what precedes its first step."""
        return max(self.timeout, STARTUP_TIMEOUT_FLOOR)

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

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Return the child's next event; None when it closed the protocol (ended).

        Raises :class:`NoAnswer` after ``timeout`` (one step's limit by default), and
        :class:`ProbeError` for a line that is not an event.
        """
        line = self._next_line(self.timeout if timeout is None else timeout)
        if line is None:
            return None
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            raise self.broken(f"a line that is not a probe event: {line[:200]!r}")
        return event

    def _next_line(self, limit: float) -> bytes | None:
        """Return the child's next line; None once it ended; raise NoAnswer after ``limit``.

        The end is the pipe's end of file, or else the child's exit: a process the child
        left behind (one the warden could not reach) may hold the pipe open for ever, and
        must not turn a crash into a timeout.
        """
        deadline = time.monotonic() + limit
        exited_at: float | None = None
        while True:
            if self.stop is not None and self.stop.is_set():
                raise Stopped
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
                raise NoAnswer

    def exit_status(self) -> int | None:
        """Wait (briefly) for the child to exit; return its status, None if it did not."""
        if not self._wait_unreaped(EXIT_GRACE_SECONDS):
            self.kill()
            return None
        self.kill()  # its children, if it left any
        return self.process.wait()

    def how_it_ended(self, status: int | None) -> str:
        """Say in words how a child that ended with ``status`` (:meth:`exit_status`) ended."""
        if status is None:
            return "closed its output and did not exit; killed"
        if status < 0:
            return f"killed by {signal_name(-status)}"
        return f"exited with status {status}"

    def ask_where_it_hangs(self) -> str:
        """Ask a hung child for its threads' tracebacks; return what it wrote, maybe nothing.

        The child registered faulthandler on SIGUSR1; it is not killed here.
        """
        dump_signal = getattr(signal, "SIGUSR1", None)
        if dump_signal is None:
            return ""
        before = stderr_size(self.stderr)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.process.pid, dump_signal)
        time.sleep(TRACEBACK_GRACE_SECONDS)
        return read_end(self.stderr, stderr_size(self.stderr) - before).decode(errors="replace")

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

    def kill(self) -> None:
        """Kill the child and every process it started (the child not yet reaped).

        A warden is asked first, with SIGTERM: it kills the child, then every process the
        child left (those in sessions of their own too), and exits. Then whatever is left in
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

    def end(self) -> None:
        """End the child and everything it started, and let go of its pipe."""
        self.kill()
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

    def stderr_tail(self) -> str:
        """Return the end of the child's stderr since its hello, without ``-v`` tracing.

        Before its hello, the whole end: why it did not start. Blank lines are left out.
        """
        written = stderr_size(self.stderr) - self.said_hello_at
        data = read_end(self.stderr, min(written, STDERR_TAIL_BYTES))
        lines = data.decode(errors="replace").splitlines()
        if written > STDERR_TAIL_BYTES:
            lines = lines[1:]  # the first line is likely cut
        kept = [line for line in lines if line.strip() and not _VERBOSE_CHATTER.match(line)]
        return "\n".join(kept)

    def broken(self, what: str) -> ProbeError:
        """Kill the child and return the error for a child that broke its protocol."""
        return self.fault(
            f"the probe's child ({self.python}) sent {what}",
            hint="This is a bug in readiness; please report it with this message.",
        )

    def failed_to_start(self, what: str) -> ProbeError:
        """Kill the child and return the error for an interpreter that did not start it."""
        return self.fault(
            f"the probe's interpreter {self.python} {what}",
            hint="Run that interpreter by hand to see whether it starts at all.",
        )

    def fault(self, message: str, *, hint: str) -> ProbeError:
        """Kill the child and return the error, with the end of what it wrote on stderr."""
        self.kill()
        tail = self.stderr_tail()
        return ProbeError(message + (f"\n{tail}" if tail else ""), hint=hint)


def read_end(file: IO[bytes], limit: int) -> bytes:
    """Return the last ``limit`` bytes of ``file`` without moving its offset.

    The child writes to the same open file (its stderr): moving the shared offset would make
    it write over what it wrote before.
    """
    fd = file.fileno()
    size = stderr_size(file)
    start = max(0, size - limit)
    if hasattr(os, "pread"):
        return os.pread(fd, size - start, start)
    file.seek(start)
    return file.read(size - start)


def stderr_size(file: IO[bytes]) -> int:
    """Return how many bytes the child has written to ``file``, its stderr."""
    return os.fstat(file.fileno()).st_size


def signal_name(number: int) -> str:
    """Return the name of signal ``number`` (``SIGSEGV``), or ``signal N`` for an unknown one."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
