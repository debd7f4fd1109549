"""What the probe is asked to import, and what it observed."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NewType

from packaging.utils import NormalizedName

from readiness._errors import ReadinessError

ModuleName = NewType("ModuleName", str)
"""A dotted module name (``PIL._imaging``): not a distribution name."""


class ProbeError(ReadinessError):
    """Raised when the probe itself cannot run: the child fails to start or breaks protocol."""


class ModuleKind(enum.StrEnum):
    """Why a module is on the probe's list."""

    TOP_LEVEL = "top-level"
    """An importable top-level package or module of the distribution."""

    EXTENSION = "extension"
    """A compiled extension module the distribution ships, imported on its own."""


class ImportStatus(enum.StrEnum):
    """How one import ended."""

    OK = "ok"
    """The import succeeded."""

    ERROR = "error"
    """The import raised; ``error`` holds the exception."""

    CRASHED = "crashed"
    """The interpreter died during the import (a signal, an abort or ``os._exit``)."""

    TIMEOUT = "timeout"
    """The import did not finish within the per-import time limit; the child was killed."""

    NOT_A_MODULE = "not-a-module"
    """A shared library shipped beside the modules, with no ``PyInit_`` function."""


@dataclass(frozen=True)
class ProbeStep:
    """One import the probe performs."""

    module: ModuleName
    """The module to import."""

    distribution: NormalizedName
    """The distribution whose RECORD lists the module."""

    kind: ModuleKind
    """Whether it is a top-level module or a compiled extension module."""


@dataclass(frozen=True)
class ProbePlan:
    """Every import to perform, in order, and who owns each compiled module."""

    steps: tuple[ProbeStep, ...]
    """The imports, dependencies before their dependents, top-level modules first."""

    extension_owners: Mapping[ModuleName, NormalizedName]
    """Each compiled extension module's distribution, from the installed RECORD files."""

    requires: Mapping[NormalizedName, frozenset[NormalizedName]] = field(default_factory=dict)
    """Each installed distribution's Requires-Dist names (markers ignored), among those
    installed: the graph the plan was ordered by."""

    files_digests: Mapping[NormalizedName, str] = field(default_factory=dict)
    """Each installed distribution's digest of the files it installed (from its RECORD):
    with the interpreter, name and version, what decides its verdict."""


@dataclass(frozen=True)
class ImportSite:
    """One import statement under way: where it is, and what it is."""

    file: str
    """The file that holds it: as the child saw it, or (in a report) where to read it."""

    line: int
    """Its 1-based line."""

    statement: str
    """The statement, rebuilt from what it asked: ``import numpy``, ``from . import _core``."""

    in_project: bool = False
    """True when the file is the scanned project's own (``file`` is then in its tree)."""


@dataclass(frozen=True)
class ImportChain:
    """How one import reached a module that needs the GIL: the statements that led there."""

    module: ModuleName
    """The module that needs the GIL."""

    sites: tuple[ImportSite, ...]
    """The import statements under way when it loaded, outermost first: the last one loaded
    it. Empty when it loaded straight from the probe's own import of the step's module."""


@dataclass(frozen=True)
class ImportObservation:
    """What happened when the probe performed one step."""

    step: ProbeStep
    """The import performed."""

    status: ImportStatus
    """How it ended."""

    seconds: float
    """Wall time the import took (up to the kill, for a timeout)."""

    gil_enabled_after: bool | None
    """``sys._is_gil_enabled()`` after the import; None when the child did not survive it."""

    gil_modules: tuple[ModuleName, ...] = ()
    """Every module this import loaded that did not declare free-threading support,
    in load order. The first is the one that switched the GIL on, if it was off."""

    warned_module: ModuleName | None = None
    """The module named by the interpreter's RuntimeWarning, if this import switched the GIL on."""

    error: str | None = None
    """The exception (``ImportError: ...``), the signal or the time limit, for a failed import."""

    process: int = 1
    """Which child process performed the import, counted from 1."""

    imported: tuple[ModuleName, ...] = ()
    """Every module named by an absolute import statement run during the import, loaded
    then or before: what tells that a package imports a culprit loaded by an earlier step."""

    chains: tuple[ImportChain, ...] = ()
    """For each module needing the GIL that this import loaded (as ``gil_modules`` names
    them), the import statements that reached it, as far as the child saw them."""

    from_outside: bool = False
    """True when something outside the import ended the child: the runner at the time limit,
    or a signal an interpreter does not raise on itself (SIGKILL from a user or the kernel's
    out-of-memory killer, SIGTERM). Such a verdict was not reached by the import alone and
    may not come again: it is reported, never cached."""
