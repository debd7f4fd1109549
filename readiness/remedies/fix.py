"""``scan --fix``: apply the verified upgrades to the files that declare the pins.

A requirements file is edited in place: the pin's version is replaced on its own line, its
comment and the file's layout kept, and its ``--hash`` options (if it has any) replaced by the
new release's, as the index lists them. A ``pyproject.toml`` requirement is raised in its own
quotes (:func:`raised`). A lock is never edited by hand: its tool's own command
is run (``uv lock --upgrade-package``, ``poetry update``, ``pdm update``, ``pipenv update``), or
printed when the tool is not installed. Every file is written at once or none is.
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

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._errors import ReadinessError
from readiness._process import run_captured
from readiness._uv import find_uv
from readiness.evidence.interface import ServiceError
from readiness.report import Report

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
    edits, commands, left = [], [], []
    for path, moves in by_file.items():
        if path.suffix in REQUIREMENTS_SUFFIXES or path.name == "pyproject.toml":
            edit, cannot = (
                _edit_pyproject(path, moves)
                if path.name == "pyproject.toml"
                else _edit_requirements(path, moves, hashes)
            )
            left += cannot
            if edit is not None:
                edits.append(edit)
        elif path.name in LOCK_COMMANDS:
            uv_python = ["--python", str(python)] if python and path.name == "uv.lock" else []
            commands += [
                LockCommand(
                    path.parent, (*LOCK_COMMANDS[path.name](move.name, move.to), *uv_python)
                )
                for move in moves
            ]
        else:
            left += [
                f"{move.name}: declared in {path.name}; pin {move.name}=={move.to} there"
                for move in moves
            ]
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


def _edit_pyproject(path: Path, moves: Sequence[Upgrade]) -> tuple[FileEdit | None, list[str]]:
    """Raise each requirement's constraint where ``pyproject.toml`` declares it, on its line.

    The requirement string is rewritten in its own quotes; the rest of the file is kept.
    """
    before = path.read_text(encoding="utf-8")
    lines = before.splitlines(keepends=True)
    left = []
    for move in moves:
        index = (move.line or 0) - 1
        line = lines[index] if 0 <= index < len(lines) else ""
        for quoted in _QUOTED.finditer(line):
            try:
                requirement = Requirement(quoted["text"])
            except InvalidRequirement:
                continue
            if canonicalize_name(requirement.name) == move.name:
                requirement.specifier = raised(requirement.specifier, move.to)
                start, end = quoted.span("text")
                lines[index] = line[:start] + str(requirement) + line[end:]
                break
        else:
            left.append(f"{move.name}: {path}:{move.line} holds no requirement on it to raise")
    after = "".join(lines)
    return (FileEdit(path, before, after) if after != before else None), left


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
    staged: list[tuple[str, Path]] = []
    try:
        for edit in fixes.edits:
            mode = edit.path.stat().st_mode
            fd, temporary = tempfile.mkstemp(dir=edit.path.parent, prefix=f".{edit.path.name}.")
            staged.append((temporary, edit.path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                handle.write(edit.after)
            Path(temporary).chmod(mode)
        for temporary, path in staged:
            Path(temporary).replace(path)
        staged.clear()
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


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
