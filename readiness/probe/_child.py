"""The probe's child: imports modules inside the probed interpreter and reports on the GIL.

STANDARD LIBRARY ONLY: this file runs in the free-threaded interpreter under test (3.13t and
later), in its probe environment, imported from its folder by ``python -I -v -c`` (see
``readiness.probe.runner._CHILD_START``: its bytecode is cached) and started by :func:`run`;
run as a script, it does the same. It never imports readiness, and it imports as little as
it can: every module it loads is time each child spends before its first import. It writes
JSON without :mod:`json` and reads no regular expression, which would bring :mod:`re` and
:mod:`enum`, half its own start on 3.13t.

Its task arrives on stdin in :mod:`marshal`'s format (version 4, which every interpreter
since 3.4 reads): ``{"modules": [...], "protocol": 2, "runner": <the runner's pid>}``. It
answers with JSON lines on what was its stdout, written only through a private duplicate of
that descriptor: ``hello``, then ``start`` and ``done`` around each import, then ``bye``.

On Linux the process the runner starts is a warden, not the probe: it forks the probe and
stays behind to end, once the probe ends, every process an import left (see ``Warden``).
"""

from __future__ import annotations

import builtins
import faulthandler
import importlib
import io
import marshal
import os
import sys
import time
import warnings

TYPE_CHECKING = False  # not typing's: importing typing cost the child 30 ms on 3.13t
if TYPE_CHECKING:  # typing is not imported at run time: every module the child loads costs
    from collections.abc import Callable
    from types import FrameType
    from typing import Any, NoReturn

if TYPE_CHECKING:
    import signal
else:
    try:
        # signal wraps _signal's numbers in enums: importing it (and enum) cost the child
        # 15 ms of its start on 3.13t, for constants and functions _signal has as they are.
        import _signal as signal
    except ImportError:  # every CPython builds _signal in
        import signal

PROTOCOL = 2
"""The version of the task and event formats; the runner sends the one it speaks."""

ERROR_MAX_CHARS = 2000
"""An exception's text is cut to this length: one protocol line stays small."""

CHAIN_MAX_SITES = 64
"""The import statements kept of one chain, outermost first: one protocol line stays small."""

FROMLIST_MAX_NAMES = 8
"""The names of a ``from ... import`` statement kept, in a chain's words for it."""

_GIL_WARNING = "The global interpreter lock (GIL) has been enabled to load module '"
"""The start of the RuntimeWarning a free-threaded interpreter issues when an import switches
the GIL on; the module's name follows, up to a quote.

Its text is CPython's, Python/import.c, _PyImport_CheckGILForModule (3.13, 3.14, 3.15)."""

_VERBOSE_PREFIX = "# loading module '"
_VERBOSE_SUFFIX = "', which requires the GIL"
"""With ``-v``, the same function prints ``# loading module '%U', which requires the GIL``
through PySys_FormatStderr (to the ``sys.stderr`` object) for every module that does not
declare free-threading support, whether or not the GIL is already on."""


class VerboseSink(io.TextIOBase):
    """Stands in for ``sys.stderr`` during an import: keeps the GIL lines of ``-v``, drops the rest.

    PySys_FormatStderr hands each message to ``write`` whole, so one ``startswith`` per
    write tells the GIL lines from the rest of the verbose import chatter.
    """

    encoding = "utf-8"
    errors = "backslashreplace"

    def __init__(self) -> None:
        super().__init__()
        self.modules: list[str] = []
        self.chains: dict[str, list[list[Any]]] = {}
        """For each module a GIL line named, the import statements running when it loaded."""
        self.recorder: ImportRecorder | None = None

    def write(self, text: str) -> int:
        """Keep the module named by a GIL line, and how it was reached; ignore the rest."""
        if isinstance(text, str) and text.startswith(_VERBOSE_PREFIX):
            end = text.find(_VERBOSE_SUFFIX, len(_VERBOSE_PREFIX))
            if end > 0:
                module = text[len(_VERBOSE_PREFIX) : end]
                self.modules.append(module)
                if self.recorder is not None and module not in self.chains:
                    self.chains[module] = self.recorder.chain()
        return len(text)

    def writable(self) -> bool:
        """Say that it can be written to."""
        return True

    def isatty(self) -> bool:
        """Say that it is no terminal."""
        return False

    def fileno(self) -> int:
        """Return the real stderr's descriptor, for code that writes there directly."""
        return 2


class Protocol:
    """Writes events, one JSON line each, to the descriptor that was stdout.

    Only the process that made it speaks: an import that forks (``os.fork``, or the C
    library's ``fork()`` in an extension) returns into the probe's loop twice, and a second
    writer would interleave its own ``done`` and ``start`` events with the probe's.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pid = os.getpid()
        if hasattr(os, "register_at_fork"):
            # A process forked by os.fork does not keep the protocol pipe open either: one
            # that lives on (a worker, a daemon) would hide the probe's end from the runner.
            # (The C library's fork runs no such hook; the pid check in send() covers it.)
            os.register_at_fork(after_in_child=self._close_in_fork)

    def _close_in_fork(self) -> None:
        # NOTE: not contextlib.suppress: the child does not load contextlib, and every module
        # it loads before the imports is one the imports are not seen loading.
        try:  # noqa: SIM105
            os.close(self.fd)
        except OSError:
            pass

    def send(self, event: dict[str, Any]) -> None:
        """Write ``event`` as one complete line; in a forked process, end that process.

        A fork that reaches this point has returned from the import into the probe's loop,
        where it has nothing to do: it ends at once with status 0, without running the next
        imports, atexit hooks or interpreter shutdown, as a forked child should
        (os._exit, not sys.exit).
        """
        if os.getpid() != self.pid:
            os._exit(0)
        data = (to_json(event) + "\n").encode()
        while data:
            written = os.write(self.fd, data)
            data = data[written:]


def warned_module(message: str) -> str | None:
    """Return the module a GIL warning's ``message`` names; None for another message."""
    start = message.find(_GIL_WARNING)
    if start < 0:
        return None
    module, quote, _ = message[start + len(_GIL_WARNING) :].partition("'")
    return module if quote and module else None


_JSON_SHORT = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
"""The characters JSON escapes by a letter (or themselves)."""


def to_json(value: object) -> str:
    """Return ``value`` (None, a bool, a number, a string, a list or a dict of them) as JSON.

    What ``json.dumps(value)`` writes, byte for byte: ASCII only, non-finite floats as
    ``NaN`` and ``Infinity``, ``", "`` and ``": "`` between items.
    """
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, dict):
        items = (f"{_json_string(key)}: {to_json(item)}" for key, item in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    raise TypeError(f"not JSON: {type(value).__name__}")


def _json_string(text: str) -> str:
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    escaped = []
    for char in text:
        code = ord(char)
        if char in _JSON_SHORT:
            escaped.append(_JSON_SHORT[char])
        elif 0x20 <= code < 0x7F:
            escaped.append(char)
        elif code > 0xFFFF:  # a surrogate pair, as JSON spells a character beyond the BMP
            code -= 0x10000
            escaped.append(f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return '"' + "".join(escaped) + '"'


_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
"""prctl(2) options, from <linux/prctl.h>."""

_END_SIGNALS = (signal.SIGTERM, signal.SIGHUP) if hasattr(signal, "SIGHUP") else ()
"""What asks the warden to end the probe: the runner ending a child (SIGTERM), the runner's
death (the parent-death signal is SIGTERM), a closed terminal (SIGHUP)."""


class EndRequested(Exception):
    """Raised in the warden by a signal that asks it to end the probe and its descendants."""


class Warden:
    """The process the runner starts, on Linux: it forks the probe and outlives it.

    An import may leave processes behind that escape the child's process group: a daemon
    (fork, ``setsid``, fork) is in a session of its own. When the probe ends, such a process
    would be re-parented to init, out of anyone's reach, holding whatever it inherited (the
    protocol pipe: a crash would be waited out as a timeout). The warden is a child
    subreaper (prctl(2) ``PR_SET_CHILD_SUBREAPER``, Linux 3.4): every orphan of the probe's
    tree becomes its child instead, and once the probe has ended the warden kills and reaps
    its children until none is left, then exits as the probe did (same status, same signal).
    Its parent-death signal (``PR_SET_PDEATHSIG``) is SIGTERM, so that the runner's death,
    SIGKILL included, ends the probe and all it started as well.

    The warden is a fork of the fresh interpreter, not a second one: it costs a fork and an
    import of ctypes, which it does in its own process so that the probe loads nothing more.
    """

    def __init__(self, runner: int) -> None:
        self.runner = runner
        """The runner's pid, from the task: the parent the warden must outlive no moment."""
        self.probe = 0
        self.ending = False

    def start(self) -> None:
        """Fork: return in the probe, once the warden guards it; never return in the warden."""
        ready_read, ready_write = os.pipe()
        probe = os.fork()
        if probe == 0:
            os.close(ready_write)
            # An orphan made before the warden is a subreaper would escape it: the imports
            # wait for its word. End of file instead means the warden died: so does the probe.
            if not os.read(ready_read, 1):
                os._exit(1)
            os.close(ready_read)
            return
        os.close(ready_read)
        self.probe = probe
        try:
            self._guard(ready_write)
        except BaseException as error:
            # A fault of the warden's own: it must neither go back into main() as a second
            # probe nor leave the probe unguarded. The runner sees a crash that names it.
            sys.stderr.write(f"readiness probe warden: {describe(error)}\n")
            sys.stderr.flush()
            _kill_quietly(self.probe, signal.SIGKILL)
            os._exit(1)

    def _guard(self, ready_write: int) -> NoReturn:
        # The warden keeps no end of the task's or the protocol's pipe: only the probe does.
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.close(devnull)
        try:
            for number in _END_SIGNALS:
                signal.signal(number, self._end_requested)
            if hasattr(signal, "SIGUSR1"):
                signal.signal(signal.SIGUSR1, self._forward)
            _prctl(_PR_SET_CHILD_SUBREAPER, 1)
            _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != self.runner:
                # The runner died before the parent-death signal was set: nothing will tell.
                raise EndRequested
            os.write(ready_write, b"1")
            os.close(ready_write)
        except EndRequested:
            self._kill_probe()
        except BrokenPipeError:
            pass  # the probe is gone already: what is left is to reap it and what it left
        status = self._wait_for_probe()
        self._end_descendants()
        _exit_as(status)

    def _end_requested(self, number: int, frame: FrameType | None) -> None:
        if self.ending:
            return
        self.ending = True
        # Raised to leave os.waitid, which PEP 475 would otherwise resume.
        raise EndRequested

    def _forward(self, number: int, frame: FrameType | None) -> None:
        # SIGUSR1 asks the probe where it hangs (faulthandler); the probe is not yet reaped,
        # so its pid is still its own.
        _kill_quietly(self.probe, number)

    def _kill_probe(self) -> None:
        self.ending = True
        _kill_quietly(self.probe, signal.SIGKILL)

    def _wait_for_probe(self) -> int:
        """Wait until the probe ends; reap it and return its wait status."""
        while True:
            try:
                # WNOWAIT: until it is reaped below, its pid cannot be reused, so killing it
                # after this returns cannot reach another process.
                os.waitid(os.P_PID, self.probe, os.WEXITED | os.WNOWAIT)
                break
            except EndRequested:
                self._kill_probe()
        # From here on the probe is ending anyway; a late signal must not interrupt the rest.
        for number in (*_END_SIGNALS, getattr(signal, "SIGUSR1", None)):
            if number is not None:
                signal.signal(number, signal.SIG_IGN)
        status = os.waitpid(self.probe, 0)[1]
        self.probe = 0  # reaped: its pid may be another process's from now on
        return status

    def _end_descendants(self) -> None:
        """Kill and reap the warden's children (the probe's orphans) until none is left."""
        pause = 0.001
        while True:
            for pid in _children():
                # A child not yet reaped: its pid cannot be another process's.
                _kill_quietly(pid, signal.SIGKILL)
            try:
                reaped, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if reaped:
                pause = 0.001
            else:
                # An orphan being re-parented, or one dying of its SIGKILL: look again.
                time.sleep(pause)
                pause = min(pause * 2, 0.05)


def start_warden(task: dict[str, Any]) -> bool:
    """Start a warden where the platform has one (Linux); return whether one guards the probe.

    Returns in the probe only.
    """
    runner = task.get("runner")
    if not sys.platform.startswith("linux") or not isinstance(runner, int):
        return False
    Warden(runner).start()
    return True


def _prctl(option: int, value: int) -> None:
    """Call prctl(2) with one argument.

    Without ctypes (a build without libffi) it does nothing: the warden still ends the probe
    and its process group, but orphans in other sessions escape it.
    """
    # What -v prints of the warden's own imports is no part of the probe's stderr.
    real_stderr = sys.stderr
    sys.stderr = open(os.devnull, "w")  # noqa: PTH123, SIM115  # pathlib is not loaded here
    try:
        import ctypes  # only the warden loads it, and only on Linux

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return
    finally:
        sys.stderr.close()
        sys.stderr = real_stderr
    prctl.argtypes = [ctypes.c_int, *[ctypes.c_ulong] * 4]
    prctl.restype = ctypes.c_int
    prctl(option, value, 0, 0, 0)


def _children() -> list[int]:
    """Return the pids of this single-threaded process's children, from /proc."""
    pid = os.getpid()
    try:
        return [int(child) for child in _read_small(f"/proc/{pid}/task/{pid}/children").split()]
    except OSError:
        pass
    # A kernel without CONFIG_PROC_CHILDREN: the parent pid is the 4th field of every stat.
    found: list[int] = []
    try:
        entries = os.listdir("/proc")  # noqa: PTH208  # pathlib is not loaded in the child
    except OSError:
        return found  # no /proc: the orphans cannot be found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            stat = _read_small(f"/proc/{entry}/stat")
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: split after its last ")".
        fields = stat.rpartition(")")[2].split()
        if len(fields) > 1 and fields[1] == str(pid):
            found.append(int(entry))
    return found


def _read_small(path: str) -> str:
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(fd)


def _kill_quietly(pid: int, number: int) -> None:
    if pid <= 0:
        return  # never a process group, never every process
    try:
        os.kill(pid, number)
    except (ProcessLookupError, PermissionError):
        return


def _default_action(number: int) -> None:
    try:
        signal.signal(number, signal.SIG_DFL)
    except (OSError, ValueError):
        return  # a signal Python cannot handle keeps its default action anyway


def _exit_as(status: int) -> NoReturn:
    """End this process as the wait ``status`` says another one ended: same code or signal."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            # The probe left a core file if the limits allow; the warden's would be a copy.
            import resource  # only when the probe died of a signal

            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ImportError, ValueError, OSError):
            pass
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            _default_action(number)
        os.kill(os.getpid(), number)
        os._exit(128 + number)  # a signal this process survived, which the probe did not
    os._exit(os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 1)


def isolate_standard_streams() -> Protocol:
    """Point stdin at /dev/null and stdout at /dev/null; return the protocol on the old stdout.

    Nothing an import prints (``print``, C ``printf``, subprocesses) can reach the protocol:
    it goes to /dev/null. ``os.dup`` makes a non-inheritable descriptor, so a subprocess
    started by an import does not hold the protocol pipe open either.
    """
    protocol_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    return Protocol(protocol_fd)


def gil_enabled() -> bool:
    """Return ``sys._is_gil_enabled()`` (3.13+); True on an interpreter without it."""
    probe: Callable[[], bool] | None = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


def describe(error: BaseException) -> str:
    """Return ``Type: message``, cut to a protocol-friendly length."""
    try:
        message = str(error)
    except Exception:  # an exception whose __str__ fails is still an exception to report
        message = "<unprintable>"
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text[:ERROR_MAX_CHARS]


class ImportRecorder:
    """Stands in for ``builtins.__import__`` during an import: notes every absolute import.

    A module already loaded by an earlier step is not loaded again, so what an import
    *loads* cannot tell that a pure package imports a culprit loaded before it; the
    import statements it runs can. The cost is one call per import statement.
    """

    def __init__(self) -> None:
        self.names: set[str] = set()
        self._import = builtins.__import__
        self._running: list[tuple[Any, str, int, Any]] = []
        """The import statements under way, outermost first: the frame that runs each, and
        what it imports (name, level, fromlist)."""

    def __call__(
        self,
        name: str,
        globals: Any = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        """Note ``name`` when the import is absolute, then import as usual."""
        if level == 0:
            self.names.add(name)
        # The frame of the statement, not its line: the line is read only when a module that
        # needs the GIL loads (chain()), so each import costs one append and one pop.
        self._running.append((sys._getframe(1), name, level, fromlist))
        try:
            return self._import(name, globals, locals, fromlist, level)
        finally:
            self._running.pop()

    def chain(self) -> list[list[Any]]:
        """Return the import statements under way: ``[file, line, statement]``, outermost first."""
        return [
            [frame.f_code.co_filename, frame.f_lineno, statement(name, level, fromlist)]
            for frame, name, level, fromlist in self._running[:CHAIN_MAX_SITES]
        ]


def statement(name: str, level: int, fromlist: Any) -> str:
    """Return the import statement that called ``__import__`` so: ``from . import _core``."""
    module = "." * level + name
    if not fromlist:
        return f"import {module}"
    names = [str(item) for item in list(fromlist)[:FROMLIST_MAX_NAMES]]
    more = ", ..." if len(fromlist) > FROMLIST_MAX_NAMES else ""
    return f"from {module} import {', '.join(names)}{more}"


def import_one(name: str, sink: VerboseSink) -> dict[str, Any]:
    """Import ``name``; return the ``done`` event's fields for it (but ``verbose_ok``)."""
    error: str | None = None
    warned: str | None = None
    sink.modules = []
    sink.chains = {}
    recorder = ImportRecorder()
    sink.recorder = recorder
    real_stderr = sys.stderr
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sys.stderr = sink
        builtins.__import__ = recorder
        try:
            importlib.import_module(name)
        except KeyboardInterrupt:
            raise
        except BaseException as exception:  # SystemExit too: an import may call sys.exit()
            error = describe(exception)
        finally:
            builtins.__import__ = recorder._import
            sys.stderr = real_stderr
    seconds = time.perf_counter() - started
    for warning in caught:
        if issubclass(warning.category, RuntimeWarning):
            warned = warned_module(str(warning.message))
            if warned is not None:
                break
    gil_modules = list(dict.fromkeys(sink.modules))
    if warned is not None and warned not in gil_modules:
        # Without -v (or on an interpreter that lacks the message) the warning is all there is.
        gil_modules.insert(0, warned)
    return {
        "event": "done",
        "module": name,
        "ok": error is None,
        "error": error,
        "gil_enabled_after": gil_enabled(),
        "warned_module": warned,
        "gil_modules": gil_modules,
        "imported": sorted(recorder.names),
        "chains": {module: sink.chains[module] for module in gil_modules if module in sink.chains},
        "seconds": seconds,
    }


def main() -> None:
    """Read the task, import every module in it and report; then end without shutting down."""
    try:
        # Written by the runner (readiness.probe.process) into a pipe that only it holds.
        task = marshal.loads(sys.stdin.buffer.read())  # noqa: S302
    except (EOFError, ValueError, TypeError):
        task = None
    protocol = task.get("protocol") if isinstance(task, dict) else None
    if protocol != PROTOCOL:
        sys.stderr.write(f"readiness probe: unknown protocol {protocol!r}\n")
        sys.stderr.flush()
        os._exit(2)
    guarded = start_warden(task)
    protocol = isolate_standard_streams()
    # A crash in an import leaves the Python traceback of every thread in stderr, which the
    # runner keeps (a temporary file) and reports.
    faulthandler.enable(file=2, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        # The runner sends SIGUSR1 to a child that hangs, to learn where before killing it.
        faulthandler.register(signal.SIGUSR1, file=2, all_threads=True)
    sink = VerboseSink()
    verbose = sys.flags.verbose > 0
    protocol.send(
        {
            "event": "hello",
            "protocol": PROTOCOL,
            "pid": os.getpid(),
            "gil_enabled": gil_enabled(),
            "verbose_ok": verbose,
            "warden": guarded,
        }
    )
    verbose_checked = False
    for name in task["modules"]:
        protocol.send({"event": "start", "module": name})
        gil_before = gil_enabled()
        done = import_one(name, sink)
        verbose_ok = True
        if not verbose_checked and not gil_before and done["gil_enabled_after"]:
            # The first flip proves whether the -v lines can be trusted: the warned module
            # must be among them. If not, later culprits would go unseen once the GIL is on,
            # so this process stops here and the runner restarts after every flip instead.
            verbose_checked = True
            warned = done["warned_module"]
            seen = sink.modules
            verbose_ok = verbose and (warned in seen if warned is not None else bool(seen))
        done["verbose_ok"] = verbose_ok
        protocol.send(done)
        if not verbose_ok:
            break
    protocol.send({"event": "bye"})
    # Never a normal exit: an import may have started a non-daemon thread or registered an
    # atexit hook that would hang (or crash) interpreter shutdown.
    os._exit(0)


def run() -> None:
    """Run :func:`main`; Ctrl-C ends the child as a shell's child it ends, status 130."""
    try:
        main()
    except KeyboardInterrupt:
        os._exit(130)


if __name__ == "__main__":
    run()
