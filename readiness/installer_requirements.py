"""What goes to an installer as requirements: checked lines, in a requirements file.

A requirement comes from a dependency file, and a lock may come from a stranger's pull
request. Given to pip or uv as a bare argument, a "name" such as ``-ihttp://host/simple/`` is
read as ``--index-url`` (the issue's attack: pip then fetched every other package from that
index). So no requirement is ever a bare argument: every installer command, pip's and uv's,
to install, uninstall or resolve, reads them from a file written here, with ``-r``.

A requirements file has a syntax of its own, which pip and uv share
(pip/_internal/req/req_file.py): a line that starts with ``-`` holds options, so does the rest
of a line after whitespace and ``-``; ``#`` after whitespace starts a comment; a trailing
backslash joins the next line; ``${NAME}`` expands from the environment. Each line is checked
against all of that before it is written, so that the installer reads it as the one
requirement it is, and as nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PureWindowsPath

from packaging.requirements import InvalidRequirement, Requirement

from readiness._errors import InputError
from readiness.sources.interface import Origin

REQUIREMENTS_FILE = "requirements.txt"
"""The name of the file an installer command reads its requirements from."""

EDITABLE_PREFIX = "-e "
"""The one option a line may start with: ``-e <path or VCS URL>``, written by readiness itself
for an editable requirement (never taken from a dependency file as it is)."""

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

# pip's break_args_options starts a line's options at the first word that begins with "-";
# its COMMENT_RE starts a comment at "#" after whitespace.
_OPTION_OR_COMMENT = re.compile(r"\s[-#]")

_HINT = (
    "a distribution name starts with a letter or a digit (PEP 508); the dependency file may "
    "be corrupt or crafted: check where it came from"
)


class UnsafeRequirement(InputError):
    """Raised when a requirement would reach an installer as more than one requirement."""


def checked_line(line: str, origin: Origin | None = None) -> str:
    """Return ``line`` when an installer reads it as one requirement and nothing else.

    ``line`` is a PEP 508 requirement, an absolute path or URL, or ``-e`` and one of those.
    Raises :class:`UnsafeRequirement` (at ``origin``, where given) for a line that an
    installer would read as an option, a comment, several lines or a variable to expand.
    """
    body = line.removeprefix(EDITABLE_PREFIX)
    problem = _problem(body)
    if problem is None:
        return line
    where = f"{origin.entry}: " if origin is not None and origin.entry else ""
    raise UnsafeRequirement(
        f"{where}refused to give the installer the requirement {line!r}: it {problem}",
        path=origin.path if origin is not None else None,
        line=origin.line if origin is not None else None,
        hint=_HINT,
    )


def write_requirements_file(path: Path, lines: Iterable[str]) -> Path:
    """Write ``lines`` into the requirements file ``path``, each checked first; return ``path``.

    Raises :class:`UnsafeRequirement` before anything is written when a line is not safe.
    """
    checked = [checked_line(line) for line in lines]
    path.write_text("".join(f"{line}\n" for line in checked), encoding="utf-8")
    return path


def requirements_arguments(folder: Path, lines: Iterable[str]) -> list[str]:
    """Return ``-r FILE`` for ``lines`` written into ``folder``: how every installer gets them.

    Raises :class:`UnsafeRequirement` when a line is not safe.
    """
    return ["-r", str(write_requirements_file(folder / REQUIREMENTS_FILE, lines))]


def _problem(text: str) -> str | None:
    """Say what is wrong with ``text`` as one requirement for an installer; None when nothing."""
    if not text.strip():
        return "is empty"
    # Python's str.splitlines (which pip uses) breaks at every Cc line break and at U+2028/9.
    if any(unicodedata.category(char) in {"Cc", "Zl", "Zp"} for char in text):
        return "holds a control character or a line break"
    if text.lstrip().startswith("-"):
        return "would read as an option"
    if _OPTION_OR_COMMENT.search(text):
        return "holds an option or a comment after a space"
    if text.rstrip().endswith("\\"):
        return "ends with a backslash, which joins the next line to it"
    if "${" in text:
        return "holds `${`, which the installer expands from its environment"
    if _URL.match(text) or Path(text).is_absolute() or PureWindowsPath(text).is_absolute():
        return None
    try:
        Requirement(text)
    except InvalidRequirement:
        return "is neither a PEP 508 requirement nor an absolute path or URL"
    return None
