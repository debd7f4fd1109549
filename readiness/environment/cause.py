"""Find the line of a failed installation's output that says why it failed.

An installer that fails to build a distribution prints its own boilerplate last (pip: ``note:
This error originates from a subprocess, and is likely not a problem with pip.``; uv: ``hint:
This usually indicates a problem with the package or the build environment.``), and the cause
somewhere in the middle, among pages of build output. The cause is found by what it says, most
telling first; without one, the last lines stand, as they did before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from readiness._stream import error_tail, meaningful_lines

# Each finder returns the line it picks among the meaningful lines, or None.
_Finder = Callable[[Sequence[str]], "str | None"]

# Facts that end the search at once, in this order: no build output says them more precisely.
# (maturin's cargo: "Could not resolve host: index.crates.io"; pip: "Package 'x' requires a
# different Python: 3.11.7 not in '>=3.12'"; pip: "ERROR: No matching distribution found for
# x==1.0"; uv: "Because x==1.0 has no wheels with a matching Python ABI tag ...".)
_DECISIVE = (
    re.compile(r"could not resolve host", re.IGNORECASE),
    re.compile(r"requires a different python", re.IGNORECASE),
    re.compile(r"no matching distribution", re.IGNORECASE),
)

# The last line of a Python traceback, as a build backend prints it: `RuntimeError: CFFI does
# not support the free-threaded build`, `distutils.errors.CompileError: ...`. An exception
# that only wraps a child's exit is not a cause: the child's own output says more.
_EXCEPTION = re.compile(r"^\s*(?:[A-Za-z_]\w*\.)*(?:[A-Z]\w*)?(?:Error|Exception)(?::\s*\S|$)")
_WRAPPER = re.compile(r"CalledProcessError|SubprocessError")

# A build tool's own error line: a compiler's `x.c:3:10: fatal error: Python.h: No such
# file`, setuptools' `error: command 'gcc' failed`, cargo's `error[E0425]: ...`.
_TOOL_ERROR = re.compile(r"(?:^\s*|:\s)(?:fatal )?error(?:\[\w+\])?:\s*\S", re.IGNORECASE)

# pip's own summary lines name an error kind, not a cause: `error: subprocess-exited-with-error`,
# `error: metadata-generation-failed` (pip/_internal/exceptions.py, DiagnosticPipError), and
# `ERROR: Failed building wheel for x`, `ERROR: Could not build wheels for x ...`.
# uv's own first line is of the same kind: `error: Failed to build `x @ file:///...``.
_PIP_SUMMARY = re.compile(
    r"^\s*error:\s*[a-z]+(?:-[a-z]+)+\s*$"
    r"|^\s*ERROR: (?:Failed building wheel|Could not build wheels|Failed to build)"
    r"|^\s*error: Failed to (?:build|prepare|install|download)\b",
)

# uv's report: `error: <what failed>` then `cause: <why>` lines, innermost last (uv 0.13);
# earlier uv draws the same as a multiplication sign and <what failed>, then `├─▶ <why>`
# lines and `╰─▶ <innermost why>`.
_UV_CAUSE = re.compile(r"^\s*(?:cause:|Caused by:|╰─▶|├─▶)\s*(?P<text>\S.*)$")
_UV_ERROR = re.compile("^\\s*(?:\N{MULTIPLICATION SIGN}|error:)\\s*(?P<text>\\S.*)$")
# uv's causes that only say a build failed, not why: the backend's own output says why.
_UV_WRAPPER = re.compile(r"^The build backend returned an error|^Call to `[^`]*` failed")
# pip draws its own summary with the multiplication sign too: `Getting requirements to build
# wheel did not run successfully.`, `Encountered error while generating package metadata.`
_PIP_DRAWN = re.compile(r"did not run successfully|^Encountered error while")


def install_cause(lines: Iterable[str], *, tail: int = 15) -> str:
    """Return the line of a failed installer's output that says why, else its last lines.

    In order: a decisive fact (``Could not resolve host``, ``requires a different Python``,
    ``no matching distribution``), the last exception a build backend raised, uv's innermost
    cause (``cause:``, ``╰─▶``) unless it only says that a build failed, the first error line
    of a build tool, uv's own error (``error:``, or drawn with a multiplication sign);
    failing all of them, the last
    ``tail`` meaningful lines.
    """
    kept = meaningful_lines(lines)
    for find in _FINDERS:
        found = find(kept)
        if found is not None:
            return found.strip()
    return error_tail(kept, count=tail)


def _decisive(lines: Sequence[str]) -> str | None:
    for pattern in _DECISIVE:
        for line in reversed(lines):
            if pattern.search(line):
                return line
    return None


def _exception(lines: Sequence[str]) -> str | None:
    return _last(
        lines, lambda line: _EXCEPTION.match(line) is not None and not _WRAPPER.search(line)
    )


def _tool_error(lines: Sequence[str]) -> str | None:
    return _first(
        lines, lambda line: _TOOL_ERROR.search(line) is not None and not _PIP_SUMMARY.match(line)
    )


def _uv_cause(lines: Sequence[str]) -> str | None:
    for line in reversed(lines):
        match = _UV_CAUSE.match(line)
        if match and not _UV_WRAPPER.match(match["text"]):
            return match["text"]
    return None


def _uv_error(lines: Sequence[str]) -> str | None:
    for line in lines:
        match = _UV_ERROR.match(line)
        if match and not _PIP_SUMMARY.match(line) and not _PIP_DRAWN.search(match["text"]):
            return match["text"]
    return None


def _first(lines: Sequence[str], test: Callable[[str], bool]) -> str | None:
    return next((line for line in lines if test(line)), None)


def _last(lines: Sequence[str], test: Callable[[str], bool]) -> str | None:
    return _first(list(reversed(lines)), test)


_FINDERS: tuple[_Finder, ...] = (_decisive, _exception, _uv_cause, _tool_error, _uv_error)
