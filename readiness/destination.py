"""Where a report goes: stdout or a file, checked before a scan and written after it.

``scan``, ``deps`` and ``--write-baseline`` all write through :func:`write_report`, so all
refuse the same bad destinations with the same message, before any work is done: a scan of
several minutes must not end in "cannot write" after two of its three reports were written.

A regular file, or a new one, is written atomically (a temporary file beside it, then
``os.replace``), so a reader sees the old report or the new one. Anything else the user names
(a FIFO, a terminal, ``/dev/null``) is opened and written as it is: replacing it would put a
regular file where the device was. A symbolic link is never replaced: the file it points to
is. No folder is created: a report path whose folder does not exist is a typo more often
than a wish.
"""

from __future__ import annotations

import enum
import functools
import os
import shutil
import stat
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO, TypeVar, cast

from readiness._cache import atomic_write
from readiness._errors import InputError


class OutputError(InputError):
    """Raised when a report cannot be written where the user asked."""


_Format = TypeVar("_Format", bound=enum.StrEnum)

STDOUT_CLOSED_HINT = "redirect stdout to a file, or write the report with --output FILE"


@dataclass(frozen=True)
class Destination:
    """Where one report is written: a file, or stdout."""

    path: Path | None
    """The file to write; None is stdout."""

    def check(self) -> None:
        """Raise :class:`OutputError` unless a report can be written here.

        Writes nothing and creates nothing; a FIFO is not opened (that would wait for its
        reader).
        """
        if self.path is None:
            _stdout()
            return
        path = self.path
        try:
            status = path.stat()
        except FileNotFoundError:
            _check_new_file(path)
            return
        except (OSError, ValueError) as error:
            raise _output_error(error, path) from error
        if stat.S_ISDIR(status.st_mode):
            raise OutputError(
                "is a folder; a report is written to a file",
                path=path,
                hint="name a file in it",
            )
        if stat.S_ISSOCK(status.st_mode):
            raise OutputError("is a socket; a report is written to a file", path=path)
        if stat.S_ISREG(status.st_mode) and _writable(_target(path).parent):
            return  # replaced atomically
        if not os.access(path, os.W_OK):
            raise OutputError("cannot write it: permission denied", path=path)

    @property
    def encoding(self) -> str:
        """The encoding text for the terminal is written in: stdout's own, else UTF-8."""
        if self.path is None and sys.stdout is not None:
            return sys.stdout.encoding or "utf-8"
        return "utf-8"

    def is_terminal(self) -> bool:
        """Say whether the report goes to stdout and stdout is a terminal."""
        return self.path is None and sys.stdout is not None and sys.stdout.isatty()

    def write(self, text: str, *, encoding: str | None = None) -> None:
        """Write ``text``, in ``encoding`` (None: :attr:`encoding`); raise :class:`OutputError`.

        A document format names the encoding it declares (UTF-8), and is written in it even to
        a stdout of another encoding; text for the terminal is written in stdout's.
        """
        data = text.encode(encoding or self.encoding, errors="backslashreplace")
        if self.path is None or _is_stdout(self.path):
            _write_stdout(data)
            return
        path = self.path
        try:
            _write_file(path, data)
        except (OSError, ValueError) as error:
            raise _output_error(error, path) from error


@dataclass(frozen=True)
class Layout:
    """What a report's text is fit for at its destination."""

    color: bool
    """Draw in colour: the destination is a terminal."""

    width: int | None
    """The terminal's width; None: not a terminal, no width to fit."""

    encoding: str
    """The destination's encoding: text for the terminal is drawn in characters it has."""


@dataclass(frozen=True)
class Rendered:
    """A report's text, and the encoding its format declares."""

    text: str
    """The whole report."""

    charset: str | None = None
    """The encoding the format declares (UTF-8 for a document); None: the destination's."""


def write_report(destination: Destination, render: Callable[[Layout], Rendered]) -> None:
    """Render a report for ``destination`` and write it there; raise :class:`OutputError`.

    The one writer of every command's reports (``scan``'s formats, ``deps``'s listing, the
    baseline), so that each is fit to its destination and refused alike.
    """
    terminal = destination.is_terminal()
    width = shutil.get_terminal_size().columns if terminal else None
    rendered = render(Layout(color=terminal, width=width, encoding=destination.encoding))
    destination.write(rendered.text, encoding=rendered.charset)


def write_reports(
    reports: Iterable[tuple[_Format, Destination]], render: Callable[[_Format, Layout], Rendered]
) -> OutputError | None:
    """Write each report, ``render`` making its format; return the first that could not be.

    A report that cannot be written does not stop the others: the caller says everything
    else, then raises the error (exit 2).
    """
    unwritten: OutputError | None = None
    for choice, destination in reports:
        try:
            write_report(destination, functools.partial(render, choice))
        except OutputError as error:
            unwritten = unwritten or error
    return unwritten


def _check_new_file(path: Path) -> None:
    # A dangling symbolic link is written through, like any other: its target is created.
    folder = _target(path).parent
    try:
        status = folder.stat()
    except FileNotFoundError:
        raise OutputError(
            f"the folder {folder} does not exist",
            path=path,
            hint="create it first: readiness creates no folder for a report",
        ) from None
    except (OSError, ValueError) as error:
        raise _output_error(error, path) from error
    if not stat.S_ISDIR(status.st_mode):
        raise OutputError(f"{folder} is not a folder", path=path)
    if not _writable(folder):
        raise OutputError(f"cannot write in {folder}: permission denied", path=path)


def _write_file(path: Path, data: bytes) -> None:
    try:
        status: os.stat_result | None = path.stat()
    except FileNotFoundError:
        status = None
    if status is None or stat.S_ISREG(status.st_mode):
        # Through a symbolic link the file it points to is replaced, never the link: that file
        # gets the same all-or-nothing write as any other report.
        target = _target(path)
        if _writable(target.parent):
            atomic_write(target, data, parents=False)
            return
    # A FIFO, a device, or a file in a folder that only lets the file itself be written.
    with path.open("wb") as handle:
        handle.write(data)


def _stdout() -> TextIO:
    """Return stdout, or raise :class:`OutputError` when the process was started without it."""
    # Python sets sys.stdout to None when file descriptor 1 is closed at start (`>&-`).
    if sys.stdout is None:
        raise OutputError(
            "stdout is closed: there is nowhere to write the report", hint=STDOUT_CLOSED_HINT
        )
    return sys.stdout


def _write_stdout(data: bytes) -> None:
    stream = _stdout()
    try:
        stream.flush()
        buffer = cast("BinaryIO | None", getattr(stream, "buffer", None))
        if buffer is None:  # a text-only stand-in (a test's StringIO)
            stream.write(data.decode(stream.encoding or "utf-8", errors="replace"))
            stream.flush()
        else:
            buffer.write(data)
            buffer.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): nothing more can reach it, and Python's own flush at
        # exit must not fail again (Python docs, "Note on SIGPIPE" in the signal module).
        detach(sys.stdout)
        raise OutputError(
            "stdout was closed by its reader before the whole report was written",
            hint=STDOUT_CLOSED_HINT,
        ) from None
    except OSError as error:
        raise OutputError(f"cannot write to stdout: {error.strerror or error}") from error


def detach(stream: TextIO | None) -> None:
    """Point ``stream``'s file descriptor at the null device.

    What is left unwritten in its buffer, and the interpreter's flush at exit, then go nowhere
    instead of failing again on a stream whose reader went away.
    """
    if stream is None:
        return
    try:
        fd = stream.fileno()
    except (OSError, ValueError):  # not a real file: nothing is flushed to it at exit
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _is_stdout(path: Path) -> bool:
    """Say whether ``path`` is what stdout is open on: ``/dev/stdout``, or its file.

    Such a path is written as stdout, where the shell opened it (appending after ``>>``),
    instead of being replaced or truncated.
    """
    if sys.stdout is None:
        return False
    try:
        return os.path.samestat(path.stat(), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError):
        return False


def _target(path: Path) -> Path:
    """Return the file ``path`` names once every symbolic link is followed."""
    return Path(os.path.realpath(path))


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK | os.X_OK)


def _output_error(error: OSError | ValueError, path: Path) -> OutputError:
    if isinstance(error, ValueError):  # an embedded NUL byte
        return OutputError(f"is not a usable path: {error}", path=path)
    return OutputError(f"cannot write it: {error.strerror or error}", path=path)
