"""``scan --fix``: apply the verified upgrades to the files that declare the pins.

A requirements file is edited in place: the pin's version is replaced on its own line, its
comment and the file's layout kept, and its ``--hash`` options (if it has any) replaced by the
new release's, as the index lists them. A ``pyproject.toml`` requirement is raised in its own
quotes (:func:`raised`), and so is Poetry's constraint in ``[tool.poetry.dependencies]`` and its
groups, in poetry's own syntax (:func:`raised_poetry`: ``^2.1`` becomes ``^3.0.2``); a
``poetry.lock`` beside it is then moved by ``poetry update --lock``.

A lock is never edited by hand: its tool's own command is run (``uv lock --upgrade-package``,
``poetry add --lock``, ``pdm update``, ``pipenv upgrade``), or printed when the tool is not
installed.

The files are written first, all at once, then the lock tools run; when one fails, every file
is put back as it was (:func:`carry_out`).
"""

from __future__ import annotations

import contextlib
import difflib
import os
import re
import shlex
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness import _documents
from readiness._errors import ReadinessError
from readiness._process import run_captured
from readiness._uv import find_uv
from readiness.evidence.interface import ServiceError
from readiness.report import Report
from readiness.sources.pyproject import _OPERATOR, _Locator, poetry_constraint

REQUIREMENTS_SUFFIXES = frozenset({".txt", ".in"})
"""The requirements files whose pins ``--fix`` edits."""

LOCK_COMMANDS: dict[str, Callable[[NormalizedName, Version], list[str]]] = {
    "uv.lock": lambda name, version: ["uv", "lock", "--upgrade-package", f"{name}=={version}"],
    "poetry.lock": lambda name, version: ["poetry", "add", f"{name}=={version}", "--lock"],
    "pdm.lock": lambda name, version: ["pdm", "update", "--no-sync", f"{name}"],
    "Pipfile.lock": lambda name, version: ["pipenv", "upgrade", f"{name}=={version}"],
}
"""Each lock's own command that moves one pin: run in the lock's folder. uv is also told the
probed interpreter (``--python``), so that it never downloads one to relock."""

PROJECT_FILES = ("pyproject.toml", "Pipfile")
"""The files beside a lock that its tool may rewrite too (``poetry add`` raises the
constraint in ``pyproject.toml``; ``pipenv upgrade`` the one in ``Pipfile``)."""

LOCK_COMMAND_TIMEOUT = 600.0
"""Seconds a lock tool may take to relock."""

Hashes = Callable[[NormalizedName, Version], Sequence[str]]
"""Where the new release's hashes come from (the index): raises ServiceError when it cannot."""


@dataclass(frozen=True)
class Upgrade:
    """One pin to move, where it is declared."""

    name: NormalizedName
    """The distribution."""

    to: Version
    """The release to pin."""

    path: Path
    """The file that declares the pin."""

    line: int | None
    """Its 1-based line, in a requirements file."""


@dataclass(frozen=True)
class FileEdit:
    """A requirements file, before and after its pins are moved."""

    path: Path
    before: str
    after: str

    def diff(self) -> str:
        """Return the change as a unified diff."""
        name = str(self.path)
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=name,
                tofile=name,
            )
        )


@dataclass(frozen=True)
class LockCommand:
    """A lock tool's command that moves pins, run in the lock's folder."""

    folder: Path
    argv: tuple[str, ...]
    writes: tuple[Path, ...] = ()
    """The files the tool may rewrite: put back as they were if a later step fails."""

    def text(self) -> str:
        """Return the command as a user types it."""
        return f"(cd {shlex.quote(str(self.folder))} && {shlex.join(self.argv)})"


@dataclass(frozen=True)
class Fixes:
    """What ``--fix`` changes: files it edits, lock commands, and what it cannot fix."""

    edits: tuple[FileEdit, ...] = ()
    commands: tuple[LockCommand, ...] = ()
    left: tuple[str, ...] = ()
    """Each verified upgrade that cannot be applied, with why."""


def upgrades(report: Report) -> list[Upgrade]:
    """Return every verified upgrade of ``report``, with what it forces, where declared.

    Only a remedy the probe proved (``verified``) is applied; the other pins it forces
    (``also_upgrade``) move with it where the same file declares them.
    """
    declared = {dist.name: dist.origin for dist in report.distributions}
    found: dict[NormalizedName, Upgrade] = {}
    for dist in report.distributions:
        remedy = dist.evidence.remedy if dist.evidence is not None else None
        if remedy is None or not remedy.verified or remedy.upgrade_to is None:
            continue
        moves = [(dist.name, remedy.upgrade_to), *_pins(remedy.also_upgrade)]
        for name, version in moves:
            origin = declared.get(name)
            if origin is not None:
                found[name] = Upgrade(name, version, origin.path, origin.line)
    return list(found.values())


def _pins(texts: Sequence[str]) -> list[tuple[NormalizedName, Version]]:
    pins = []
    for text in texts:
        name, _, version = text.partition("==")
        with contextlib.suppress(InvalidVersion):
            pins.append((canonicalize_name(name), Version(version)))
    return pins


def plan(report: Report, hashes: Hashes, python: Path | None = None) -> Fixes:
    """Return what ``--fix`` does for ``report``'s verified upgrades; nothing is written.

    ``python`` is the probed interpreter, given to uv's relock.
    """
    by_file: dict[Path, list[Upgrade]] = {}
    for upgrade in upgrades(report):
        by_file.setdefault(upgrade.path, []).append(upgrade)
    edits: list[FileEdit] = []
    commands: list[LockCommand] = []
    left: list[str] = []
    for path, moves in by_file.items():
        edit: FileEdit | None = None
        if path.name == "pyproject.toml":
            edit, cannot, moved = _edit_pyproject(path, moves)
            left += cannot
            lock = path.parent / "poetry.lock"
            if edit is not None and lock.is_file():
                # Not LOCK_COMMANDS' `poetry add NAME==V`: that would write its own exact pin
                # over the constraint just raised. `update --lock` relocks within it.
                commands.append(
                    LockCommand(path.parent, ("poetry", "update", "--lock", *moved), (lock, path))
                )
        elif path.suffix in REQUIREMENTS_SUFFIXES:
            edit, cannot = _edit_requirements(path, moves, hashes)
            left += cannot
        elif path.name in LOCK_COMMANDS:
            uv_python = ["--python", str(python)] if python and path.name == "uv.lock" else []
            beside = (path, *(path.parent / name for name in PROJECT_FILES))
            commands += [
                LockCommand(
                    path.parent,
                    (*LOCK_COMMANDS[path.name](move.name, move.to), *uv_python),
                    beside,
                )
                for move in moves
            ]
        else:
            left += [
                f"{move.name}: declared in {path.name}; pin {move.name}=={move.to} there"
                for move in moves
            ]
        if edit is not None:
            edits.append(edit)
    return Fixes(tuple(edits), tuple(commands), tuple(left))


_PIN = re.compile(
    r"^(?P<lead>\s*)(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?P<extras>\s*\[[^\]]*\])?"
    r"(?P<op>\s*==\s*)(?P<version>[^\s;\\#]+)"
)
_HASH = re.compile(r"\s*--hash[=\s]\s*\S+")


def _edit_requirements(
    path: Path, moves: Sequence[Upgrade], hashes: Hashes
) -> tuple[FileEdit | None, list[str]]:
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    left = []
    for move in moves:
        index = (move.line or 0) - 1
        match = _PIN.match(lines[index]) if 0 <= index < len(lines) else None
        if match is None or canonicalize_name(match["name"]) != move.name:
            left.append(f"{move.name}: {path}:{move.line} is not a `{move.name}==` pin")
            continue
        end = index
        while lines[end].rstrip("\r\n").endswith("\\") and end + 1 < len(lines):
            end += 1
        logical = lines[index : end + 1]
        if any(_HASH.search(line) for line in logical):
            try:
                digests = hashes(move.name, move.to)
            except ServiceError as error:
                left.append(f"{move.name}: {error}")
                continue
            logical = _with_hashes(logical, digests)
        first = logical[0]
        logical[0] = first[: match.start("version")] + str(move.to) + first[match.end("version") :]
        lines[index : end + 1] = logical
    after = "".join(lines)
    return (FileEdit(path, before, after) if after != before else None), left


_QUOTED = re.compile(r"(?P<quote>[\"'])(?P<text>[^\"'\n]*)(?P=quote)")


def _edit_pyproject(
    path: Path, moves: Sequence[Upgrade]
) -> tuple[FileEdit | None, list[str], list[NormalizedName]]:
    """Raise each requirement's constraint where ``pyproject.toml`` declares it.

    The PEP 508 string on the pin's line is rewritten in its own quotes, and every constraint
    of Poetry's tables on it in its own; the rest of the file is kept byte for byte. Returns
    the edit, what cannot be raised, and the distributions raised.
    """
    before, document = _documents.read_toml(path)
    lines = before.splitlines(keepends=True)
    constraints = _poetry_constraints(before, document)
    left, moved = [], []
    for move in moves:
        index = (move.line or 0) - 1
        edited = 0 <= index < len(lines) and _raise_requirement(lines, index, move)
        refused = []
        for constraint in constraints.get(move.name, []):
            try:
                edited = constraint.raise_in(lines, move.to) or edited
            except ValueError as e:
                refused.append(f"{move.name}: {path}:{constraint.index + 1}: {e}")
        left += refused
        if edited:
            moved.append(move.name)
        elif not refused:
            left.append(f"{move.name}: {path}:{move.line} holds no requirement on it to raise")
    after = "".join(lines)
    return (FileEdit(path, before, after) if after != before else None), left, moved


def _raise_requirement(lines: list[str], index: int, move: Upgrade) -> bool:
    """Raise the PEP 508 requirement on ``move``'s distribution at ``lines[index]``, if any."""
    line = lines[index]
    for quoted in _QUOTED.finditer(line):
        try:
            requirement = Requirement(quoted["text"])
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) == move.name:
            requirement.specifier = raised(requirement.specifier, move.to)
            start, end = quoted.span("text")
            lines[index] = line[:start] + str(requirement) + line[end:]
            return True
    return False


@dataclass(frozen=True)
class _PoetryConstraint:
    """A version constraint of a Poetry dependency table, where the file writes it."""

    index: int
    """The 0-based line of its key."""

    text: str
    """The constraint, as TOML reads it: ``^1.2``."""

    in_table: bool
    """Whether it is the ``version`` of an inline table (``{version = "^1.2", ...}``)."""

    def raise_in(self, lines: list[str], to: Version) -> bool:
        """Rewrite the constraint in its own quotes, raised to take ``to``; return whether it did.

        Raises :class:`ValueError` for a constraint poetry's syntax cannot raise (an ``or``).
        """
        line = lines[self.index]
        after_key = line.find("=") + 1
        for quoted in _QUOTED.finditer(line, after_key):
            ahead = line[after_key : quoted.start()]
            if quoted["text"] != self.text or (
                _VERSION_KEY.search(ahead) is None if self.in_table else ahead.strip()
            ):
                continue
            start, end = quoted.span("text")
            lines[self.index] = line[:start] + raised_poetry(self.text, to) + line[end:]
            return True
        return False


_VERSION_KEY = re.compile(r"\bversion\s*=\s*$")


def _poetry_constraints(
    text: str, document: dict[str, Any]
) -> dict[NormalizedName, list[_PoetryConstraint]]:
    """Return the version constraints of Poetry's dependency tables, each where it is written.

    Its main table, its groups' and the old ``dev-dependencies``; each key's line found by the
    locator that gave the pin its line (:mod:`readiness.sources.pyproject`). A dependency
    without a version (git, path, url), or with several (a list), has none.
    """
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return {}
    tables = [("dependencies", poetry.get("dependencies"))]
    tables.append(("dev-dependencies", poetry.get("dev-dependencies")))
    groups = poetry.get("group")
    for name, group in groups.items() if isinstance(groups, dict) else ():
        if isinstance(group, dict):
            tables.append((f"group.{name}.dependencies", group.get("dependencies")))
    locate = _Locator(text)
    found: dict[NormalizedName, list[_PoetryConstraint]] = {}
    for table_name, table in tables:
        if not isinstance(table, dict):
            continue
        start = locate.header(rf"^\s*\[tool\.poetry\.{re.escape(table_name)}\]")
        for key, spec in table.items():
            version = spec.get("version") if isinstance(spec, dict) else spec
            line = locate.key(key, start) if key != "python" else None
            if isinstance(version, str) and line is not None:
                constraint = _PoetryConstraint(line - 1, version, isinstance(spec, dict))
                found.setdefault(canonicalize_name(key), []).append(constraint)
    return found


_POETRY_PART = re.compile(r"(?:\^|~=|~|===|==|!=|>=|<=|>|<|=)\s*[^\s,]+|[^\s,]+")


def raised_poetry(constraint: str, to: Version) -> str:
    """Return poetry's ``constraint`` raised to take ``to``, in poetry's syntax.

    A caret or tilde constraint becomes one of ``to`` (``^2.1`` -> ``^3.0.2``), an exact one
    ``to`` (``2.1.5`` -> ``3.0.2``), a wildcard the caret (``2.*``) or tilde (``2.1.*``) of
    ``to``; a range gets ``>=to`` as its floor, as :func:`raised` does, and keeps the bounds
    that still admit ``to``. Raises :class:`ValueError` for an ``or`` (``^1 || ^2``).
    """
    text = constraint.strip()
    if "|" in text:
        raise ValueError(f"the constraint `{text}` is an `or`: raise it by hand")
    kept, anchored = [], False
    for part in _POETRY_PART.findall(text):
        found = _OPERATOR.match(part.strip())
        assert found is not None  # noqa: S101 -- every string matches: both groups are optional
        operator, written = found["op"] or "", found["version"].strip()
        if operator in {"^", "~"} or (operator in {"", "=", "==", "==="} and "*" not in written):
            kept.append(f"{operator}{to}")
            anchored = True
        elif operator in {"", "=", "=="} and written != "*":
            kept.append(f"^{to}" if written.count(".") == 1 else f"~{to}")
            anchored = True
        elif operator in {"<", "<=", "!="} and SpecifierSet(poetry_constraint(part)).contains(
            to, prereleases=True
        ):
            kept.append(part.strip())
    if not anchored:
        kept.insert(0, f">={to}")
    separator = (", " if ", " in text else ",") if "," in text else " "
    return separator.join(kept)


def raised(specifier: SpecifierSet, to: Version) -> SpecifierSet:
    """Return ``specifier`` raised to take ``to``: a pin moves; a range gets ``>=to`` as its floor.

    What else still admits ``to`` is kept (an upper bound it is under, an ``!=``); what does
    not (an upper bound below it, ``~=``) goes.
    """
    if any(spec.operator in ("==", "===") for spec in specifier):
        return SpecifierSet(f"=={to}")
    kept = [
        str(spec)
        for spec in specifier
        if spec.operator not in (">=", ">", "~=") and spec.contains(to, prereleases=True)
    ]
    return SpecifierSet(",".join([f">={to}", *kept]))


def _with_hashes(logical: list[str], digests: Sequence[str]) -> list[str]:
    """Return the requirement's lines with its ``--hash`` options replaced by ``digests``.

    The layout is kept: hashes on continuation lines (pip-compile's, one per line, indented as
    the first was) stay so; hashes on the requirement's own line stay there.
    """
    newline = "\r\n" if logical[0].endswith("\r\n") else "\n"
    if len(logical) == 1:
        line = logical[0].rstrip("\r\n")
        without = _HASH.sub("", line)
        options = " ".join(f"--hash=sha256:{digest}" for digest in digests)
        return [f"{without} {options}{newline}"]
    first = logical[0].rstrip("\r\n").rstrip("\\").rstrip()
    first = _HASH.sub("", first)
    hashed = [line for line in logical[1:] if _HASH.search(line)]
    indent = hashed[0][: len(hashed[0]) - len(hashed[0].lstrip())] if hashed else "    "
    rest = [line for line in logical[1:] if not _HASH.search(line)]
    body = [f"{indent}--hash=sha256:{digest}" for digest in digests]
    kept = [line.rstrip("\r\n").rstrip("\\").rstrip() for line in rest]
    parts = [first, *kept, *body]
    return [f"{part} \\{newline}" for part in parts[:-1]] + [f"{parts[-1]}{newline}"]


def apply(fixes: Fixes) -> None:
    """Write every edit at once: each to a temporary file beside it, then each replaced.

    A failure before the replacing leaves every file as it was. Raises :class:`OSError`.
    """
    _write_all(
        [(edit.path, edit.after.encode("utf-8"), edit.path.stat().st_mode) for edit in fixes.edits]
    )


def _write_all(contents: Sequence[tuple[Path, bytes, int]]) -> None:
    """Write each file's bytes to a temporary file beside it, then replace each, with its mode."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data, mode in contents:
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((temporary, path))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            Path(temporary).chmod(mode)
        for temporary, path in staged:
            Path(temporary).replace(path)
        staged.clear()
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


def carry_out(fixes: Fixes) -> tuple[list[str], list[str]]:
    """Write every edit, then run the lock commands; return (ran, printed) as run_commands does.

    The files come first: a lock tool reads them (poetry relocks within the constraint just
    raised). When a step fails, every file an edit or a command may have written is put back
    as it was, and the error raised. Raises :class:`FixError` and :class:`OSError`.
    """
    paths = {edit.path for edit in fixes.edits}
    paths.update(path for command in fixes.commands for path in command.writes)
    kept = {
        path: (path.read_bytes(), path.stat().st_mode) if path.is_file() else None for path in paths
    }
    try:
        apply(fixes)
        return run_commands(fixes)
    except BaseException:
        changed = []
        for path, was in kept.items():
            if was is None:
                path.unlink(missing_ok=True)
            elif not path.is_file() or path.read_bytes() != was[0]:
                changed.append((path, *was))
        _write_all(changed)
        raise


class FixError(ReadinessError):
    """A lock tool could not move a pin (its own words are in the message)."""


def run_commands(fixes: Fixes) -> tuple[list[str], list[str]]:
    """Run each lock command whose tool is installed; return (ran, printed) as the user reads them.

    Raises :class:`FixError` when a tool cannot run or refuses, with the end of what it said.
    """
    ran, printed = [], []
    for command in fixes.commands:
        # uv is readiness's own dependency: its binary is at hand where PATH has none.
        tool = find_uv() if command.argv[0] == "uv" else shutil.which(command.argv[0])
        if tool is None:
            printed.append(command.text())
            continue
        done = run_captured(
            [tool, *command.argv[1:]],
            timeout=LOCK_COMMAND_TIMEOUT,
            error=FixError,
            what=shlex.join(command.argv),
            cwd=command.folder,
        )
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise FixError(
                f"{shlex.join(command.argv)} failed in {command.folder}: " + " ".join(said),
                hint="run it yourself to see why; no file was edited",
            )
        ran.append(command.text())
    return ran, printed
