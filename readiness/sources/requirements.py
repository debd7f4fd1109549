"""Requirements files in pip's format, read as exact ``name==version`` pins.

The format follows pip's own parser (``pip/_internal/req/req_file.py``): a trailing backslash
joins lines, ``#`` starts a comment at the start of a line or after whitespace, ``${NAME}``
expands from the environment, and a line that begins with ``-`` holds options.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness.sources.interface import (
    Dependency,
    DependencySource,
    IndexOptions,
    Origin,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
    Target,
)

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


@dataclass(frozen=True)
class _Pin:
    """One requirement line, parsed and checked to pin one version."""

    requirement: Requirement
    """The parsed requirement."""

    version: Version
    """The one version it pins."""

    origin: Origin
    """The file and first physical line it came from."""


@dataclass
class _ReadState:
    """What reading a requirements file and its includes has gathered so far."""

    pins: list[_Pin] = field(default_factory=list)
    """Every requirement line, in reading order (includes where they are included)."""

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


@dataclass(frozen=True)
class _Option:
    """An option a requirements file may hold on a line of its own."""

    takes_value: bool
    """Whether the option is followed by a value."""

    apply: Callable[[_RequirementsReader, str, Path, int], None] | None
    """What to do with it; None for an option read and ignored."""


class RequirementsSource(DependencySource):
    """A pip requirements file whose every requirement pins one version."""

    kind = "requirements"
    complete = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read: _ReadState | None = None

    def collect(self, target: Target) -> Iterator[Dependency]:
        """Yield each pinned distribution once, skipped where its marker is false for ``target``.

        Raises :class:`SourceError` for a line that is not valid, not pinned, or not supported,
        and for two lines that pin one distribution to two versions on this interpreter.
        """
        pins_by_name: dict[NormalizedName, list[tuple[_Pin, bool]]] = {}
        for pin in self._state().pins:
            name = canonicalize_name(pin.requirement.name)
            pins_by_name.setdefault(name, []).append((pin, _applies(pin, target)))
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
            reader = _RequirementsReader()
            reader.read(self.path, included_from=None)
            self._read = reader.state
        return self._read


def _applies(pin: _Pin, target: Target) -> bool:
    """Return whether ``pin``'s marker holds for ``target`` (pip evaluates with extra "")."""
    marker = pin.requirement.marker
    if marker is None:
        return True
    try:
        return marker.evaluate(dict(target.marker_environment) | {"extra": ""})
    except (UndefinedComparison, UndefinedEnvironmentName) as e:
        raise SourceError(
            f"marker `{marker}` cannot be evaluated: {e}",
            path=pin.origin.path,
            line=pin.origin.line,
        ) from e


def _one_per_name(name: NormalizedName, pins: list[tuple[_Pin, bool]]) -> Dependency:
    """Merge the lines that name one distribution into one result, or raise on a conflict."""
    applicable = [pin for pin, applies in pins if applies]
    if not applicable:
        first = pins[0][0]
        return SkippedDependency(
            name=name,
            origin=first.origin,
            reason=f"marker `{first.requirement.marker}` is false for this interpreter",
            version=first.version,
        )
    chosen = applicable[0]
    for other in applicable[1:]:
        if other.version != chosen.version:
            raise SourceError(
                f"`{name}` is pinned to {other.version} here but to {chosen.version} at "
                f"{chosen.origin}; keep one pin",
                path=other.origin.path,
                line=other.origin.line,
            )
    extras = frozenset(
        canonicalize_name(extra) for pin in applicable for extra in pin.requirement.extras
    )
    return ResolvedDependency(
        name=name, origin=chosen.origin, version=chosen.version, direct=True, extras=extras
    )


class _RequirementsReader:
    """Reads one requirements file and, recursively, the files it includes."""

    def __init__(self) -> None:
        self.state = _ReadState()

    def read(self, path: Path, *, included_from: tuple[Path, int] | None) -> None:
        """Read ``path``; ``included_from`` is the including file and line, for messages."""
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
        self.state.reading.append(resolved)
        try:
            for line_number, line in _logical_lines(text):
                self._read_line(line, path, line_number)
        finally:
            self.state.reading.pop()

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
        for option, _ in _option_pairs(options, path, line_number, _takes_value_after_requirement):
            if option not in _REQUIREMENT_OPTIONS:
                raise SourceError(
                    f"option `{option}` is not allowed after a requirement; expected one of "
                    f"{', '.join(sorted(_REQUIREMENT_OPTIONS))}",
                    path=path,
                    line=line_number,
                )
        self.state.pins.append(_parse_pin(text, Origin(path=path, line=line_number)))

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
        if _URL_SCHEME.match(value) and not _is_windows_drive(value):
            raise SourceError(
                f"`-r {value}`: including a requirements file by URL is not supported yet",
                path=path,
                line=line_number,
            )
        self.read(path.parent / value, included_from=(path, line_number))

    def set_index_url(self, value: str, path: Path, line_number: int) -> None:
        """Replace the index, as pip does for each ``--index-url`` it reads."""
        self.state.index_url = value

    def add_extra_index_url(self, value: str, path: Path, line_number: int) -> None:
        """Add an index searched beside the main one."""
        if value not in self.state.extra_index_urls:
            self.state.extra_index_urls.append(value)

    def add_find_links(self, value: str, path: Path, line_number: int) -> None:
        """Add a flat page or folder; a local path is taken relative to the file naming it."""
        # NOTE: pip resolves a find-links path against the requirements file's folder
        # (pip/_internal/req/req_file.py, handle_option_line); the installer runs elsewhere.
        if not (_URL_SCHEME.match(value) and not _is_windows_drive(value)):
            value = str((path.parent / value).absolute())
        if value not in self.state.find_links:
            self.state.find_links.append(value)

    def set_no_index(self, value: str, path: Path, line_number: int) -> None:
        """Use no index at all, only find-links."""
        self.state.no_index = True

    def refuse_editable(self, value: str, path: Path, line_number: int) -> None:
        """Refuse ``-e``: an editable install is a source tree, not a pinned distribution."""
        raise SourceError(
            f"`-e {value}`: editable requirements are not supported yet; list pinned "
            "distributions (name==version)",
            path=path,
            line=line_number,
        )


_LINE_OPTIONS: dict[str, _Option] = {
    "-r": _Option(True, _RequirementsReader.include),
    "--requirement": _Option(True, _RequirementsReader.include),
    # Constraints narrow what a resolver may pick; every line here is already one version.
    "-c": _Option(True, None),
    "--constraint": _Option(True, None),
    "-e": _Option(True, _RequirementsReader.refuse_editable),
    "--editable": _Option(True, _RequirementsReader.refuse_editable),
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
        data = path.read_bytes()
    except (OSError, ValueError) as e:
        # ValueError: a path with a NUL byte in it, which the OS cannot even look up.
        raise SourceError(
            f"cannot read requirements file {path}: {e}", path=blame_path, line=blame_line
        ) from e
    try:
        # NOTE: pip also honours UTF-16/32 BOMs and a PEP 263 coding line (pip's
        # auto_decode); compilers write UTF-8, so UTF-8 (with or without a BOM) is read.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SourceError(f"{path} is not UTF-8 text: {e}", path=path) from e


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


def _parse_pin(text: str, origin: Origin) -> _Pin:
    """Parse one requirement and check that it pins exactly one version."""
    if _looks_like_url_or_path(text):
        raise _not_supported(text, origin)
    try:
        requirement = Requirement(text)
    except InvalidRequirement as e:
        reason = str(e).splitlines()[0] if str(e) else "not PEP 508"
        raise SourceError(
            f"`{text}` is not a valid requirement: {reason}; expected name==version, "
            "optionally with [extras] and a ; marker",
            path=origin.path,
            line=origin.line,
        ) from e
    if requirement.url:
        raise _not_supported(text, origin)
    version = _pinned_version(requirement, text, origin)
    if version is None:
        raise SourceError(
            f"requirement `{text}` is not pinned to one version (name==version); {_PIN_HINT}",
            path=origin.path,
            line=origin.line,
        )
    return _Pin(requirement=requirement, version=version, origin=origin)


def _pinned_version(requirement: Requirement, text: str, origin: Origin) -> Version | None:
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
    except InvalidVersion as e:
        # `===` compares strings and may name a version PEP 440 cannot parse.
        raise SourceError(
            f"`{text}`: a version that is not PEP 440 is not supported yet",
            path=origin.path,
            line=origin.line,
        ) from e
    if not requirement.specifier.contains(version, prereleases=True):
        return None
    return version


def _not_supported(text: str, origin: Origin) -> SourceError:
    return SourceError(
        f"`{text}`: URLs and local paths are not supported yet; list pinned distributions "
        "(name==version)",
        path=origin.path,
        line=origin.line,
    )
