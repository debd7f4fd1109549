"""Reading a file the user gave: bounded, a regular file only, TOML and JSON with limits.

Every dependency file, configuration and baseline is read here, so that what a hostile or
broken file can do is decided once: a FIFO does not hang the scan, ``/dev/zero`` does not
fill memory, nesting deeper than a decoder recurses and integers longer than Python converts
become one message naming the file and line, never ``internal error``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from readiness._errors import InputError

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""The largest file read: a lock for thousands of distributions with hashes is a few MiB."""

MAX_NESTING = 64
"""The deepest nesting of tables and arrays a document may have; real ones stop near six."""

# tomllib's messages end "(at line 3, column 7)"; Python 3.14 also sets `lineno` on the error.
_AT_LINE = re.compile(r"at line (\d+)")


def checked_path(text: str, *, error: type[InputError] = InputError, **where: Any) -> Path:
    """Return ``text`` as a path; raise ``error`` (with ``where``) if no file can have that name.

    A NUL byte is the one character no POSIX or Windows path may hold; every OS call on such
    a path raises ``ValueError``, so it is refused where the path is made.
    """
    if "\x00" in text:
        raise error(f"a path cannot hold a NUL byte: {text!r}", **where)
    return Path(text)


def read_bytes(
    path: Path, *, what: str = "the file", error: type[InputError] = InputError
) -> bytes:
    """Return the contents of the regular file at ``path``, at most :data:`MAX_DOCUMENT_BYTES`.

    Raises ``error`` naming the file when it cannot be opened, is not a regular file (a
    FIFO, a device, a folder) or is larger than the limit.
    """
    # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except (OSError, ValueError) as e:
        # ValueError: a NUL byte in the path, which the OS cannot even look up.
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise error(f"cannot read {what}: {reason}", path=path) from e
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"cannot read {what}: not a regular file", path=path)
        if info.st_size > MAX_DOCUMENT_BYTES:
            raise error(_too_large(what), path=path)
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as e:
        raise error(f"cannot read {what}: {e.strerror or e}", path=path) from e
    finally:
        os.close(fd)
    if len(data) > MAX_DOCUMENT_BYTES:  # it grew while being read
        raise error(_too_large(what), path=path)
    return data


def read_text(
    path: Path,
    *,
    what: str = "the file",
    error: type[InputError] = InputError,
    encoding: str = "utf-8",
) -> str:
    """Return the UTF-8 text of the file at ``path`` (see :func:`read_bytes` for the limits)."""
    return decode_text(read_bytes(path, what=what, error=error), path=path, what=what, error=error)


def decode_text(
    data: bytes,
    *,
    path: Path,
    what: str = "the file",
    error: type[InputError] = InputError,
    encoding: str = "utf-8",
) -> str:
    """Return ``data``, read from ``path``, as text; refuse numbers too long to convert.

    Python refuses to convert a number of more than 4,300 digits (``sys.int_info``), and
    every version, port and TOML or JSON integer is converted somewhere. No real dependency
    file has such a number, so one is refused here, at its line, before anything converts it.
    """
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise error(f"{what} is not UTF-8 text: {e}", path=path) from e
    limit = sys.get_int_max_str_digits()
    if limit and (found := re.search(rf"\d{{{limit + 1},}}", text)):
        line = text.count("\n", 0, found.start()) + 1
        raise error(
            f"a number of more than {limit} digits, which no real file has", path=path, line=line
        )
    return text


def read_toml(
    path: Path, *, what: str = "the file", error: type[InputError] = InputError
) -> tuple[str, dict[str, Any]]:
    """Return the text of the TOML file at ``path`` and the document it holds.

    TOML is UTF-8 by definition (toml.io, "Spec"). Raises ``error`` naming the file and, where
    the decoder says, the line.
    """
    text = read_text(path, what=what, error=error)
    return text, loads_toml(text, path=path, error=error)


def loads_toml(text: str, *, path: Path, error: type[InputError] = InputError) -> dict[str, Any]:
    """Return the TOML document ``text`` read from ``path``, within the limits of this module."""
    with _decoder_limits("TOML", path=path, error=error):
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            line = getattr(e, "lineno", None)
            if not isinstance(line, int):
                found = _AT_LINE.search(str(e))
                line = int(found[1]) if found else None
            raise error(f"not valid TOML: {e}", path=path, line=line) from e
    _check_nesting(document, path=path, error=error)
    return document


def read_json(
    path: Path,
    *,
    what: str = "the file",
    error: type[InputError] = InputError,
    malformed: str = "not valid JSON",
) -> Any:
    """Return the JSON document in the file at ``path``, within the limits of this module.

    ``malformed`` begins the message of a file that is not JSON at all.
    """
    text = read_text(path, what=what, error=error)
    with _decoder_limits("JSON", path=path, error=error):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as e:
            raise error(f"{malformed}: {e.msg}", path=path, line=e.lineno) from e
    _check_nesting(document, path=path, error=error)
    return document


@contextlib.contextmanager
def _decoder_limits(kind: str, *, path: Path, error: type[InputError]) -> Iterator[None]:
    """Turn what a decoder raises past its limits into ``error`` naming ``path``.

    Its own syntax errors are the caller's to word, with their line.
    """
    try:
        yield
    except RecursionError as e:
        raise error(_too_deep(), path=path) from e
    except ValueError as e:
        # int() past sys.get_int_max_str_digits() (4,300 digits), inside the decoder.
        raise error(f"not a {kind} document readiness can read: {e}", path=path) from e


def _check_nesting(document: Any, *, path: Path, error: type[InputError]) -> None:
    """Refuse a document nested deeper than :data:`MAX_NESTING`, without recursing."""
    pending: list[tuple[Any, int]] = [(document, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth >= MAX_NESTING:
            raise error(_too_deep(), path=path)
        pending.extend((child, depth + 1) for child in children)


def _too_deep() -> str:
    return f"nested deeper than {MAX_NESTING} levels, which no real file is"


def _too_large(what: str) -> str:
    return f"{what} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB, which no real one is"
