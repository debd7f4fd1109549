"""Requirements files in pip's format: exact pins, or anything pip takes given a resolver.

The format follows pip's own parser (``pip/_internal/req/req_file.py``): a trailing backslash
joins lines, ``#`` starts a comment at the start of a line or after whitespace, ``${NAME}``
expands from the environment, and a line that begins with ``-`` holds options. A line is a
PEP 508 requirement, ``name @ url``, a bare URL or local path (named by ``#egg=``, the file
name or the project's pyproject.toml), a VCS reference, or ``-e`` with a path or VCS URL.

Without a resolver every line must pin one version (``name==1.0``). With one, every line goes
to the resolver with the constraints (``-c``) beside them, and the source yields the complete
resolved set; unless every line pins one version with its hashes already (``uv export``,
``pip-compile --generate-hashes``), which is the whole set by pip's hash-checking rule and is
listed as it is, for any target, with no resolver run.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._documents import checked_path, decode_text, read_bytes
from readiness.model import IndexOptions, Target
from readiness.sources._fields import (
    check_url,
    error_at,
    marker_holds,
    parse_marker,
    parse_requirement,
)
from readiness.sources._filenames import distribution_of_file
from readiness.sources.interface import (
    Dependency,
    DependencySource,
    Origin,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
)
from readiness.sources.resolve import (
    VCS_SCHEMES,
    RequirementLine,
    ResolutionError,
    Resolver,
    collect_resolved,
    local_project_name,
)

logger = logging.getLogger(__name__)

# NOTE: the three patterns are pip's (pip/_internal/req/req_file.py: COMMENT_RE, ENV_VAR_RE):
# a comment starts at the start of a line or after whitespace, so `pkg#egg` is not one.
_COMMENT = re.compile(r"(^|\s+)#.*$")
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")

# pip accepts these after a requirement on its line (pip's SUPPORTED_OPTIONS_REQ); none of them
# changes which version is installed, so they are read and dropped.
_REQUIREMENT_OPTIONS = frozenset({"--hash", "--config-settings", "--global-option"})

# pip's archive suffixes (pip/_internal/utils/filetypes.py): a line ending in one is a file.
_ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".tar")

_PIN_HINT = "pin it, e.g. with uv pip compile or pip-compile"

# pip tells a PEP 508 `name @ url` line from a bare URL by the name before the `@`.
_NAMED_URL = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")

# pip's _strip_extras (pip/_internal/req/constructors.py): `./path[extra]` asks for extras.
_PATH_EXTRAS = re.compile(r"^(?P<path>.+?)(?P<extras>\[[^\]]*\])$")


@dataclass
class _ReadState:
    """What reading a requirements file and its includes has gathered so far."""

    lines: list[RequirementLine] = field(default_factory=list)
    """Every requirement and constraint line, in reading order (includes where included)."""

    index_url: str | None = None
    """The last ``--index-url`` read."""

    extra_index_urls: list[str] = field(default_factory=list)
    """Every ``--extra-index-url``, first occurrence first."""

    find_links: list[str] = field(default_factory=list)
    """Every ``--find-links``, local paths made absolute."""

    no_index: bool = False
    """Whether any file said ``--no-index``."""

    reading: list[Path] = field(default_factory=list)
    """The chain of files being read (resolved), outermost first, to find include cycles."""

    every_line_hashed: bool = True
    """Whether every requirement line (not constraint) carries a ``--hash``."""


@dataclass(frozen=True)
class _Option:
    """An option a requirements file may hold on a line of its own."""

    takes_value: bool
    """Whether the option is followed by a value."""

    apply: Callable[[_RequirementsReader, str, Path, int], None] | None
    """What to do with it; None for an option read and ignored."""


class RequirementsSource(DependencySource):
    """A pip requirements file: exact pins, or, given a resolver, anything pip accepts.

    ``complete`` is True when a resolver is given: :meth:`collect` then yields the whole
    set (transitive dependencies too, each at one version), so the installer adds nothing.
    That set is the resolver's answer, or, for a file whose every line pins one version with
    ``--hash``, the file itself. Without a resolver, or where a fully pinned file cannot be
    resolved, it is False: the installer adds what the pins require.
    """

    kind = "requirements"

    def __init__(self, path: Path, resolver: Resolver | None = None) -> None:
        self.path = path
        self.resolver = resolver
        self.complete = resolver is not None
        self._read: _ReadState | None = None

    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield each distribution once, skipped where its marker is false for ``target``.

        Without a resolver, every line must pin one version. With one, every line goes to the
        resolver for ``target`` with the file's constraints and index options, unless every
        line pins one version with its hashes: the pins are then listed as they are.
        Raises :class:`SourceError` for a line that is not valid, not pinned (without a
        resolver), or not supported, a missing included or constraints file, two lines that
        pin one distribution to two versions (without a resolver), and requirements the
        resolver cannot satisfy (naming the line it blames).
        """
        state = self._state()
        if (
            self.resolver is not None
            and state.every_line_hashed
            and _every_line_pinned(state.lines)
        ):
            # Every line names one version from an index, with its hashes: pip installs such a
            # file in hash-checking mode, which refuses any dependency the file does not pin
            # and hash (pip's docs, "Secure installs"), so the file is the whole set, for any
            # target, its markers evaluated below: `uv export`, `pip-compile --generate-hashes`.
            # A resolver would add nothing, and could only fail where it cannot resolve for
            # the target (pip with another Python's Requires-Python, a pin with no wheel).
            logger.debug("%s: every line is pinned and hashed; listed as it is", self.path)
        elif self.resolver is not None:
            try:
                resolved = collect_resolved(
                    state.lines, target, self.index_options(), self.resolver
                )
            except ResolutionError:
                if not _every_line_pinned(state.lines):
                    raise
                # Every line pins one version, so the installer can still install what it can,
                # with what each requires, one by one where the batch fails: one distribution
                # that cannot be installed must stop none of the others (it is reported
                # not-installable, with the installer's reason).
                logger.debug("%s: resolution failed; installing the pins as they are", self.path)
                self.complete = False
            else:
                yield from resolved
                return
        pins_by_name: dict[NormalizedName, list[tuple[RequirementLine, bool]]] = {}
        for line in state.lines:
            if line.constraint or line.name is None:
                # Constraints only narrow what a resolver picks; every line here is one version.
                continue
            pins_by_name.setdefault(line.name, []).append((line, _applies(line, target)))
        results = [_one_per_name(name, pins) for name, pins in pins_by_name.items()]
        yield from results

    def index_options(self) -> IndexOptions:
        """Return the index options the file and its includes set (``-i``, ``-f``, ...)."""
        state = self._state()
        return IndexOptions(
            index_url=state.index_url,
            extra_index_urls=tuple(state.extra_index_urls),
            find_links=tuple(state.find_links),
            no_index=state.no_index,
        )

    def _state(self) -> _ReadState:
        if self._read is None:
            reader = _RequirementsReader(pins_only=self.resolver is None)
            reader.read(self.path, included_from=None)
            self._read = reader.state
        return self._read


def _every_line_pinned(lines: Sequence[RequirementLine]) -> bool:
    """Return whether every requirement line (not constraint) pins one version by name."""
    return all(
        line.constraint or (line.name is not None and line.pinned is not None and not line.url)
        for line in lines
    )


def _applies(line: RequirementLine, target: Target) -> bool:
    """Return whether ``line``'s marker holds for ``target`` (pip evaluates with extra "")."""
    if line.marker is None:
        return True
    return marker_holds(
        line.marker,
        target.marker_environment,
        path=line.origin.path,
        line=line.origin.line,
        extra="",
    )


def _one_per_name(name: NormalizedName, pins: list[tuple[RequirementLine, bool]]) -> Dependency:
    """Merge the lines that name one distribution into one result, or raise on a conflict."""
    applicable = [pin for pin, applies in pins if applies]
    if not applicable:
        first = pins[0][0]
        return SkippedDependency(
            name=name,
            origin=first.origin,
            reason=f"marker `{first.marker}` is false for this interpreter",
            version=first.pinned,
        )
    chosen = applicable[0]
    for other in applicable[1:]:
        if other.pinned != chosen.pinned:
            raise SourceError(
                f"`{name}` is pinned to {other.pinned} here but to {chosen.pinned} at "
                f"{chosen.origin}; keep one pin",
                path=other.origin.path,
                line=other.origin.line,
            )
    assert chosen.pinned is not None  # noqa: S101 -- pins_only reading checked every line
    extras = frozenset(extra for pin in applicable for extra in pin.extras)
    return ResolvedDependency(
        name=name, origin=chosen.origin, version=chosen.pinned, direct=True, extras=extras
    )


MAX_INCLUDE_DEPTH = 32
"""How deep ``-r`` and ``-c`` may nest; real projects nest two or three files."""


class _RequirementsReader:
    """Reads one requirements file and, recursively, the files it includes."""

    def __init__(self, *, pins_only: bool) -> None:
        self.state = _ReadState()
        self.pins_only = pins_only
        """Every requirement must pin one version from an index (there is no resolver)."""
        self.constraints = False
        """The file being read is a constraints file (``-c``)."""

    def read(
        self, path: Path, *, included_from: tuple[Path, int] | None, constraints: bool = False
    ) -> None:
        """Read ``path``; ``included_from`` is the including file and line, for messages.

        ``constraints``: read it as a constraints file, whose lines limit versions only.
        """
        blame_path, blame_line = included_from or (path, None)
        text = _read_text(path, blame_path, blame_line)
        resolved = path.resolve()
        if resolved in self.state.reading:
            cycle = [*self.state.reading[self.state.reading.index(resolved) :], resolved]
            raise SourceError(
                "requirements files include each other in a cycle: "
                + " -> ".join(str(p) for p in cycle),
                path=blame_path,
                line=blame_line,
            )
        if len(self.state.reading) >= MAX_INCLUDE_DEPTH:
            raise SourceError(
                f"requirements files include each other more than {MAX_INCLUDE_DEPTH} deep",
                path=blame_path,
                line=blame_line,
            )
        self.state.reading.append(resolved)
        outer, self.constraints = self.constraints, constraints
        try:
            for line_number, line in _logical_lines(text):
                self._read_line(line, path, line_number)
        finally:
            self.state.reading.pop()
            self.constraints = outer

    def _read_line(self, line: str, path: Path, line_number: int) -> None:
        requirement_text, options_text = _split_requirement_and_options(line)
        try:
            options = shlex.split(options_text)
        except ValueError as e:
            raise SourceError(
                f"cannot split the options `{options_text}`: {e}", path=path, line=line_number
            ) from e
        if requirement_text:
            self._read_requirement(requirement_text, options, path, line_number)
        else:
            self._read_options(options, path, line_number)

    def _read_requirement(
        self, text: str, options: list[str], path: Path, line_number: int
    ) -> None:
        pairs = list(_option_pairs(options, path, line_number, _takes_value_after_requirement))
        for option, _ in pairs:
            if option not in _REQUIREMENT_OPTIONS:
                raise SourceError(
                    f"option `{option}` is not allowed after a requirement; expected one of "
                    f"{', '.join(sorted(_REQUIREMENT_OPTIONS))}",
                    path=path,
                    line=line_number,
                )
        if not self.constraints and "--hash" not in {option for option, _ in pairs}:
            self.state.every_line_hashed = False
        origin = Origin(path=path, line=line_number)
        line = _parse_line(text, origin, constraint=self.constraints)
        if self.pins_only and not self.constraints:
            _check_pinned(text, line)
        self.state.lines.append(line)

    def _read_options(self, options: list[str], path: Path, line_number: int) -> None:
        for option, value in _option_pairs(options, path, line_number, _takes_value_on_own_line):
            known = _LINE_OPTIONS.get(option)
            if known is None:
                raise SourceError(
                    f"unknown option `{option}`; expected a requirement (name==version) or one "
                    f"of {', '.join(sorted(_LINE_OPTIONS))}",
                    path=path,
                    line=line_number,
                )
            if known.apply is not None:
                known.apply(self, value or "", path, line_number)

    def include(self, value: str, path: Path, line_number: int) -> None:
        """Read the requirements file ``value`` names, relative to the including file."""
        _refuse_url(value, f"`-r {value}`: including a requirements file", path, line_number)
        # As pip (req_file.py, _parse_and_recurse): `-r` in a constraints file reads
        # requirements, `-c` anywhere reads constraints.
        self.read(path.parent / value, included_from=(path, line_number))

    def include_constraints(self, value: str, path: Path, line_number: int) -> None:
        """Read the constraints file ``value`` names, relative to the including file."""
        _refuse_url(value, f"`-c {value}`: a constraints file", path, line_number)
        self.read(path.parent / value, included_from=(path, line_number), constraints=True)

    def set_index_url(self, value: str, path: Path, line_number: int) -> None:
        """Replace the index, as pip does for each ``--index-url`` it reads."""
        self.state.index_url = _check_url(value, Origin(path=path, line=line_number))

    def add_extra_index_url(self, value: str, path: Path, line_number: int) -> None:
        """Add an index searched beside the main one."""
        _check_url(value, Origin(path=path, line=line_number))
        if value not in self.state.extra_index_urls:
            self.state.extra_index_urls.append(value)

    def add_find_links(self, value: str, path: Path, line_number: int) -> None:
        """Add a flat page or folder; a local path is taken relative to the file naming it."""
        # NOTE: pip resolves a find-links path against the requirements file's folder
        # (pip/_internal/req/req_file.py, handle_option_line); the installer runs elsewhere.
        if not (_URL_SCHEME.match(value) and not _is_windows_drive(value)):
            local = checked_path(value, error=SourceError, path=path, line=line_number)
            value = str((path.parent / local).absolute())
        else:
            _check_url(value, Origin(path=path, line=line_number))
        if value not in self.state.find_links:
            self.state.find_links.append(value)

    def set_no_index(self, value: str, path: Path, line_number: int) -> None:
        """Use no index at all, only find-links."""
        self.state.no_index = True

    def add_editable(self, value: str, path: Path, line_number: int) -> None:
        """Read ``-e``: a local project folder or a VCS URL, installed in editable mode."""
        if self.constraints:
            # pip: "Editable requirements are not allowed as constraints" (req_file.py).
            raise SourceError(
                f"`-e {value}`: an editable requirement cannot be a constraint",
                path=path,
                line=line_number,
            )
        if self.pins_only:
            raise SourceError(
                f"`-e {value}`: editable requirements are not supported without resolving; "
                "list pinned distributions (name==version)",
                path=path,
                line=line_number,
            )
        origin = Origin(path=path, line=line_number)
        self.state.lines.append(_parse_location(value, origin, constraint=False, editable=True))


_LINE_OPTIONS: dict[str, _Option] = {
    "-r": _Option(True, _RequirementsReader.include),
    "--requirement": _Option(True, _RequirementsReader.include),
    "-c": _Option(True, _RequirementsReader.include_constraints),
    "--constraint": _Option(True, _RequirementsReader.include_constraints),
    "-e": _Option(True, _RequirementsReader.add_editable),
    "--editable": _Option(True, _RequirementsReader.add_editable),
    "-i": _Option(True, _RequirementsReader.set_index_url),
    "--index-url": _Option(True, _RequirementsReader.set_index_url),
    "--extra-index-url": _Option(True, _RequirementsReader.add_extra_index_url),
    "-f": _Option(True, _RequirementsReader.add_find_links),
    "--find-links": _Option(True, _RequirementsReader.add_find_links),
    "--no-index": _Option(False, _RequirementsReader.set_no_index),
    # The rest of pip's SUPPORTED_OPTIONS choose between files of one version, or trust a host:
    # none changes which version a pin installs.
    "--pre": _Option(False, None),
    "--prefer-binary": _Option(False, None),
    "--require-hashes": _Option(False, None),
    "--only-binary": _Option(True, None),
    "--no-binary": _Option(True, None),
    "--trusted-host": _Option(True, None),
    "--use-feature": _Option(True, None),
}


def _refuse_url(value: str, what: str, path: Path, line_number: int) -> None:
    """Refuse ``value`` if it is a URL: ``what`` (``-r URL``) is not supported yet."""
    if _URL_SCHEME.match(value) and not _is_windows_drive(value):
        raise SourceError(f"{what} by URL is not supported yet", path=path, line=line_number)


def _takes_value_on_own_line(option: str) -> bool | None:
    known = _LINE_OPTIONS.get(option)
    return None if known is None else known.takes_value


def _takes_value_after_requirement(option: str) -> bool | None:
    return True if option in _REQUIREMENT_OPTIONS else None


def _option_pairs(
    tokens: list[str],
    path: Path,
    line_number: int,
    takes_value: Callable[[str], bool | None],
) -> Iterator[tuple[str, str | None]]:
    """Yield ``(option, value)`` from split tokens: ``-r x``, ``-rx``, ``--opt=x``, ``--opt x``."""
    position = 0
    while position < len(tokens):
        token = tokens[position]
        position += 1
        if not token.startswith("-") or token in {"-", "--"}:
            raise SourceError(
                f"expected an option here, found `{token}`", path=path, line=line_number
            )
        option, value = token, None
        if token.startswith("--") and "=" in token:
            option, value = token.split("=", 1)
        elif not token.startswith("--") and len(token) > 2:
            option, value = token[:2], token[2:]
        wants_value = takes_value(option)
        if wants_value is None:
            # Unknown: let the caller say what was expected there.
            yield option, value
            continue
        if wants_value and value is None:
            if position == len(tokens):
                raise SourceError(f"option `{option}` needs a value", path=path, line=line_number)
            value = tokens[position]
            position += 1
        elif not wants_value and value is not None:
            raise SourceError(
                f"option `{option}` takes no value, found `{value}`", path=path, line=line_number
            )
        yield option, value


def _read_text(path: Path, blame_path: Path, blame_line: int | None) -> str:
    """Return the file's text; errors name ``blame_path:blame_line``, the line that asked."""
    try:
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise SourceError(
                f"cannot read requirements file {path}: it {what}", path=blame_path, line=blame_line
            )
        data = read_bytes(path, what=f"requirements file {path}", error=SourceError)
    except SourceError as e:
        raise SourceError(e.message, path=blame_path, line=blame_line) from e
    # NOTE: pip also honours UTF-16/32 BOMs and a PEP 263 coding line (pip's auto_decode);
    # compilers write UTF-8, so UTF-8 (with or without a BOM) is read.
    return decode_text(
        data, path=path, what="the requirements file", error=SourceError, encoding="utf-8-sig"
    )


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield ``(first physical line, text)``: lines joined, comments cut, variables expanded."""
    pending: list[str] = []
    first_line = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        # As pip's join_lines: a comment line never continues, and ends a continuation.
        if not physical.endswith("\\") or _COMMENT.match(physical):
            if pending:
                pending.append(" " + physical if _COMMENT.match(physical) else physical)
                yield first_line, _clean("".join(pending))
                pending = []
            else:
                yield number, _clean(physical)
        else:
            if not pending:
                first_line = number
            pending.append(physical.rstrip("\\"))
    if pending:
        yield first_line, _clean("".join(pending))


def _clean(line: str) -> str:
    line = _COMMENT.sub("", line).strip()
    return _ENV_VAR.sub(lambda match: os.environ.get(match["name"], match[0]), line)


def _split_requirement_and_options(line: str) -> tuple[str, str]:
    """Split at the first space-separated token starting with ``-``, as pip does."""
    tokens = line.split(" ")
    for position, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:position]).strip(), " ".join(tokens[position:])
    return line.strip(), ""


def _is_windows_drive(value: str) -> bool:
    return len(value) >= 2 and value[1] == ":" and value[0].isalpha()


def _looks_like_url_or_path(text: str) -> bool:
    """Tell a URL or local path from a requirement, before any marker (pip's rules, roughly)."""
    head = text.split(";", 1)[0].strip()
    if "://" in head or head.startswith("file:"):
        return True
    if head.startswith((".", "/", "~")) or "\\" in head:
        return True
    return head.lower().endswith(_ARCHIVE_SUFFIXES)


def _parse_line(text: str, origin: Origin, *, constraint: bool) -> RequirementLine:
    """Parse one requirement line: PEP 508, ``name @ url``, or a bare URL or local path."""
    if not _NAMED_URL.match(text) and _looks_like_url_or_path(text):
        return _parse_location(text, origin, constraint=constraint, editable=False)

    def error(message: str) -> SourceError:
        return SourceError(
            f"{message}; expected name==version, optionally with [extras] and a ; marker",
            path=origin.path,
            line=origin.line,
        )

    requirement = parse_requirement(text, error=error)
    marker, requirement.marker = requirement.marker, None
    if requirement.url:
        _check_url(requirement.url, origin)
    return RequirementLine(
        text=str(requirement),
        origin=origin,
        name=canonicalize_name(requirement.name),
        marker=marker,
        extras=frozenset(canonicalize_name(extra) for extra in requirement.extras),
        constraint=constraint,
        url=requirement.url or None,
        pinned=None if requirement.url else _pinned_version(requirement),
    )


def _parse_location(
    text: str, origin: Origin, *, constraint: bool, editable: bool
) -> RequirementLine:
    """Parse a bare URL or local path (pip's parse_req_from_line), with marker and extras."""
    is_url = "://" in text.split(";", 1)[0] or text.startswith("file:")
    # pip's rule: after a URL, a marker follows "; " (a URL may hold ";"); after a path, ";".
    location, _, marker_text = text.partition("; " if is_url else ";")
    location = location.strip()
    at = error_at(origin.path, origin.line)
    marker = parse_marker(marker_text, error=at) if marker_text.strip() else None
    extras: frozenset[NormalizedName] = frozenset()
    if not is_url:
        found = _PATH_EXTRAS.match(location)
        if found is not None:
            location = found["path"]
            extras = frozenset(
                canonicalize_name(extra.strip())
                for extra in found["extras"].strip("[]").split(",")
                if extra.strip()
            )
    if is_url:
        url = _check_url(location, origin)
        name = _name_of_url(url)
    else:
        path = _local_path(location, origin)
        url = path.as_uri()
        name = local_project_name(path) if path.is_dir() else _name_of_file(path.name)
    if constraint and name is None:
        # pip: "Unnamed requirements are not allowed as constraints" (req_file.py).
        raise SourceError(
            f"`{text}`: a constraint must name its distribution (name @ url)",
            path=origin.path,
            line=origin.line,
        )
    if editable:
        written = url if is_url else str(_url_to_path(url))
    elif name is not None:
        written = f"{name}{_extras_text(extras)} @ {_without_egg(url)}"
    else:
        written = url if is_url else str(_url_to_path(url))
    return RequirementLine(
        text=written,
        origin=origin,
        name=name,
        marker=marker,
        extras=extras,
        constraint=constraint,
        editable=editable,
        url=url,
    )


def _local_path(location: str, origin: Origin) -> Path:
    """Return the absolute path a line names, relative to the folder of its file."""
    # NOTE: pip takes a relative path from the working directory; readiness runs anywhere,
    # and a requirements file almost always sits in the folder pip is run from.
    checked_path(location, error=SourceError, path=origin.path, line=origin.line)
    if location.startswith("file:"):
        path = _url_to_path(location)
    else:
        try:
            path = Path(location).expanduser()
        except RuntimeError:
            # No home folder to expand `~` into: the path is taken as written.
            path = Path(location)
    if not path.is_absolute():
        path = origin.path.parent.absolute() / path
    try:
        exists = path.exists()
    except (OSError, ValueError):
        exists = False
    if not exists:
        raise SourceError(
            f"`{location}` looks like a local path, but {path} does not exist",
            path=origin.path,
            line=origin.line,
        )
    return Path(os.path.normpath(path))


def _check_url(url: str, origin: Origin) -> str:
    """Return ``url`` if it can be taken apart; a ``file:`` URL must name an existing path.

    pip reads such a URL by the same specification (PEP 508, RFC 8089), so what readiness
    refuses here is what pip would fail on later, with a traceback in its output.
    """
    error = error_at(origin.path, origin.line)
    parts = check_url(url, error=error, where="the URL")
    if parts.scheme == "file":
        local = checked_path(
            unquote(parts.path), error=SourceError, path=origin.path, line=origin.line
        )
        if not local.exists():
            raise error(f"`{url}` names {local}, which does not exist")
    return url


def _url_to_path(url: str) -> Path:
    if not url.startswith("file:"):
        return Path(url)
    return Path(unquote(urlsplit(url).path))


def _name_of_url(url: str) -> NormalizedName | None:
    """Name a URL by its ``#egg=`` fragment, else by its wheel or sdist file name."""
    fragment = urlsplit(url).fragment
    for part in fragment.split("&"):
        key, _, value = part.partition("=")
        if key == "egg" and value:
            try:
                return canonicalize_name(Requirement(value).name)
            except InvalidRequirement:
                return None
    if url.startswith(VCS_SCHEMES):
        return None
    return _name_of_file(unquote(urlsplit(url).path).rsplit("/", 1)[-1])


def _name_of_file(filename: str) -> NormalizedName | None:
    found = distribution_of_file(filename)
    return found[0] if found else None


def _without_egg(url: str) -> str:
    """Drop the ``#egg=`` fragment (PEP 508 names the distribution before the ``@``)."""
    base, _, fragment = url.partition("#")
    kept = [part for part in fragment.split("&") if part and not part.startswith("egg=")]
    return f"{base}#{'&'.join(kept)}" if kept else base


def _extras_text(extras: frozenset[NormalizedName]) -> str:
    return f"[{','.join(sorted(extras))}]" if extras else ""


def _check_pinned(text: str, line: RequirementLine) -> None:
    """Without a resolver, refuse a line that is not ``name==version`` from an index."""
    origin = line.origin
    if line.url is not None or line.editable or line.name is None:
        raise SourceError(
            f"`{text}`: URLs and local paths are not supported without resolving; list "
            "pinned distributions (name==version)",
            path=origin.path,
            line=origin.line,
        )
    if line.pinned is not None:
        return
    if "===" in text:
        # `===` compares strings and may name a version PEP 440 cannot parse.
        written = text.split("===", 1)[1].split(";", 1)[0].strip()
        try:
            Version(written)
        except InvalidVersion:
            raise SourceError(
                f"`{text}`: a version that is not PEP 440 is not supported yet",
                path=origin.path,
                line=origin.line,
            ) from None
    raise SourceError(
        f"requirement `{text}` is not pinned to one version (name==version); {_PIN_HINT}",
        path=origin.path,
        line=origin.line,
    )


def _pinned_version(requirement: Requirement) -> Version | None:
    """Return the one version ``requirement`` allows, or None when it allows a range."""
    exact = {
        spec.version
        for spec in requirement.specifier
        if spec.operator in {"==", "==="} and not spec.version.endswith(".*")
    }
    if len(exact) != 1:
        return None
    (written,) = exact
    try:
        version = Version(written)
    except InvalidVersion:
        return None
    if not requirement.specifier.contains(version, prereleases=True):
        return None
    return version
