"""The project's own code: found beside the scanned file, installed, probed like a dependency.

When the folder of the scanned file holds a project that builds a package (``[project]`` or
``[tool.poetry]`` in its ``pyproject.toml``, and a build system), the scan installs the
project itself into the probe environment, without its dependencies (the scanned file brings
those), as it would ship: built, not editable, so that its own compiled extensions are
there. The probe then imports its top-level modules in a child of their own, so that every
culprit they pull in loads during that import, and the import statements that reached it
are known (:class:`~readiness.probe.interface.ImportChain`). This module finds the project,
installs it when its files changed, says where each of those statements is in the project's
own tree, and what a module of its own must declare.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from readiness import _documents
from readiness._cache import atomic_write
from readiness._state import Progress
from readiness.environment.interface import (
    Installer,
    InstallFailed,
    InstallFailure,
    ProbeEnvironment,
)
from readiness.evidence.interface import Remedy
from readiness.model import IndexOptions
from readiness.probe.interface import ImportChain, ImportObservation, ImportSite, ModuleName

PROJECT_MARKER = "readiness-project.json"
"""The file in a probe environment that says which state of the project is installed there."""

PORTING_GUIDE = "https://py-free-threading.github.io/porting-extensions/"
"""The community guide to declaring (and earning) free-threading support in an extension."""

SKIPPED_FOLDERS = frozenset(
    {"__pycache__", "build", "dist", "node_modules", "target", "venv", "htmlcov"}
)
"""Folders of a project tree that hold no source of the package: outputs, caches, tools."""

MAX_FILES = 20_000
"""The most files of a project tree whose state is read; a larger tree is cut there."""


@dataclass(frozen=True)
class Project:
    """A project that builds a package, in the folder of the scanned file."""

    root: Path
    """Its folder (where ``pyproject.toml`` is)."""

    name: NormalizedName
    """Its normalized distribution name."""

    pyproject: Path
    """Its ``pyproject.toml``."""

    line: int | None
    """The line of ``pyproject.toml`` that names it."""

    def files(self) -> Iterator[Path]:
        """Yield the files of its tree that may be its package's sources, in a stable order.

        Hidden folders, virtual environments, build outputs and caches are left out; at most
        :data:`MAX_FILES` files are yielded.
        """
        count = 0
        pending = [self.root]
        while pending:
            folder = pending.pop()
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                continue
            below = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if not _skipped(entry):
                        below.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False):
                    count += 1
                    if count > MAX_FILES:
                        return
                    yield Path(entry.path)
            pending.extend(reversed(below))

    def state(self) -> str:
        """Return a digest of its tree's files: their paths, sizes and modification times.

        What the installed build depends on, without reading a byte of it: a warm scan of
        an unchanged project costs one ``stat`` per file.
        """
        digest = hashlib.sha256(self.name.encode())
        for path in self.files():
            try:
                stat = path.stat()
            except OSError:
                continue
            relative = path.relative_to(self.root).as_posix()
            digest.update(f"\0{relative}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
        return digest.hexdigest()

    def requirement(self) -> str:
        """Return the requirement that installs it from its folder: ``name @ file:///...``."""
        return f"{self.name} @ {self.root.resolve().as_uri()}"


def _skipped(entry: os.DirEntry[str]) -> bool:
    """Say whether a folder holds no source: hidden, a known output, or an environment."""
    name = entry.name
    if name.startswith(".") or name in SKIPPED_FOLDERS or name.endswith(".egg-info"):
        return True
    return Path(entry.path, "pyvenv.cfg").is_file()


def find_project(folder: Path) -> Project | None:
    """Return the project whose ``pyproject.toml`` is in ``folder``; None if it builds nothing.

    A project builds a package when it is named (``[project]`` or ``[tool.poetry]``) and has
    a build system (``[build-system]``, or a ``setup.py``), as pip and uv see it; poetry's
    ``package-mode = false`` and uv's ``[tool.uv] package = false`` say it does not.
    Raises :class:`InputError` naming the file and line for a file that is not valid TOML.
    """
    pyproject = folder / "pyproject.toml"
    if not pyproject.is_file():
        return None
    text, document = _documents.read_toml(pyproject)
    tool = _table(document, "tool")
    poetry = _table(tool, "poetry")
    uv = _table(tool, "uv")
    name = _table(document, "project").get("name") or poetry.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    if poetry.get("package-mode") is False or uv.get("package") is False:
        return None
    # Without a build system pip would build it with setuptools' legacy backend; uv treats
    # it as a virtual project, which it never installs, unless told it is a package.
    builds = bool(_table(document, "build-system")) or (folder / "setup.py").is_file()
    if not builds and uv.get("package") is not True:
        return None
    return Project(
        root=folder,
        name=canonicalize_name(name),
        pyproject=pyproject,
        line=_name_line(text),
    )


def _table(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


_TABLE_HEADER = re.compile(r"^\s*\[(?P<name>[^\[\]]+)\]\s*(?:#.*)?$")
_NAME_KEY = re.compile(r"^\s*name\s*=")


def _name_line(text: str) -> int | None:
    """Return the line of ``name = ...`` in ``[project]`` (else ``[tool.poetry]``)."""
    found: dict[str, int] = {}
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _TABLE_HEADER.match(line)
        if header:
            table = header["name"].strip()
        elif _NAME_KEY.match(line) and table in ("project", "tool.poetry"):
            found.setdefault(table, number)
    return found.get("project", found.get("tool.poetry"))


def install_project(
    project: Project,
    environment: ProbeEnvironment,
    installer: Installer,
    *,
    index_options: IndexOptions | None,
    progress: Progress,
) -> InstallFailure | None:
    """Install ``project`` into ``environment``, unless this state of it is there already.

    It is built from its folder (never editable) without its dependencies, and rebuilt when
    any of its files changed (:meth:`Project.state`). A build that fails is recorded with
    its state as well, so that an unchanged project is not built again to fail again.
    Returns the failure, if the build failed. The caller holds the environment's lock.
    """
    marker = environment.root / PROJECT_MARKER
    wanted = {"name": project.name, "state": project.state(), "installer": installer.name}
    recorded = _recorded(marker)
    if recorded is not None and recorded.get("project") == wanted:
        failure = recorded.get("failure")
        if isinstance(failure, dict):
            return InstallFailure(
                name=project.name,
                reason=str(failure.get("reason", "")),
                log=str(failure.get("log", "")),
            )
        return None
    marker.unlink(missing_ok=True)
    progress.start(f"installing the project {project.name} with {installer.name}")
    try:
        installer.install(
            environment,
            [project.requirement()],
            no_deps=True,
            no_build=False,
            on_line=progress.message,
            index_options=index_options,
            reinstall=(project.name,),
        )
        failure = None
    except InstallFailed as e:
        failure = InstallFailure(name=project.name, reason=e.reason, log=e.log)
    finally:
        progress.finish()
    # The build may write into the tree (Cython's generated C beside its source): what is
    # kept is the tree as the build left it, so the next run does not build it again.
    outcome: dict[str, Any] = {"project": {**wanted, "state": project.state()}}
    if failure is not None:
        outcome["failure"] = {"reason": failure.reason, "log": failure.log}
    atomic_write(marker, json.dumps(outcome, indent=1))
    return failure


def _recorded(marker: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class SiteNames:
    """Says where an import statement the child saw is, in words a reader can follow.

    A file of the project's installed package is named by its path in the project's tree
    (``src/pkg/core.py``) when that file is there; any other file in the environment by its
    path in site-packages (``numpy/__init__.py``); the rest as the child saw it.
    """

    site_packages: tuple[Path, ...]
    """The probe environment's site-packages folders."""

    project: Project | None = None
    """The scanned project, whose files are named in its own tree."""

    project_files: frozenset[str] = frozenset()
    """The project's installed files, relative to site-packages (its RECORD's paths)."""

    def site(self, site: ImportSite) -> ImportSite:
        """Return ``site`` with its file named for a reader; ``in_project`` set if it is ours."""
        for folder in self.site_packages:
            try:
                relative = PurePosixPath(Path(site.file).relative_to(folder).as_posix())
            except ValueError:
                continue
            source = self._source_of(relative)
            if source is not None:
                return ImportSite(source, site.line, site.statement, in_project=True)
            return ImportSite(str(relative), site.line, site.statement)
        return site

    def _source_of(self, installed: PurePosixPath) -> str | None:
        """Return the project-relative path of the source of an installed file of the project."""
        if self.project is None or str(installed) not in self.project_files:
            return None
        for base in (PurePosixPath(), PurePosixPath("src")):
            if (self.project.root / base / installed).is_file():
                return str(base / installed)
        return None

    def observation(self, observation: ImportObservation) -> ImportObservation:
        """Return ``observation`` with every file of its chains named for a reader."""
        if not observation.chains:
            return observation
        chains = tuple(
            ImportChain(chain.module, tuple(self.site(site) for site in chain.sites))
            for chain in observation.chains
        )
        return dataclasses.replace(observation, chains=chains)


def installed_files(environment: ProbeEnvironment, name: NormalizedName) -> frozenset[str]:
    """Return the files the distribution ``name`` installed, relative to site-packages."""
    for folder in environment.site_packages:
        for info in folder.glob("*.dist-info"):
            if canonicalize_name(info.name.partition("-")[0]) != name:
                continue
            try:
                record = (info / "RECORD").read_text(encoding="utf-8")
            except OSError:
                continue
            return frozenset(line.split(",", 1)[0] for line in record.splitlines() if line.strip())
    return frozenset()


@dataclass(frozen=True)
class _Binding:
    """How a module of one binding declares that it does not need the GIL."""

    name: str
    """The binding, for the reader."""

    suffixes: tuple[str, ...]
    """The source files that may define the module."""

    pattern: str
    """Finds the module's definition; ``{module}`` stands for its last name."""

    advice: str
    """What to declare; ``{module}`` stands for its last name."""


_BINDINGS = (
    _Binding(
        "Cython",
        (".pyx", ".py"),
        r"\A",
        "add the directive `# cython: freethreading_compatible = True` at the top "
        "(Cython 3.1 or later)",
    ),
    _Binding(
        "PyO3",
        (".rs",),
        r"#\[pymodule[^\]]*\]\s*(?:#\[[^\]]*\]\s*)*(?:pub(?:\([^)]*\))?\s+)?(?:fn|mod)\s+{module}\b",
        "declare it `#[pymodule(gil_used = false)]` (PyO3 0.23 or later)",
    ),
    _Binding(
        "nanobind",
        (".cpp", ".cc", ".cxx"),
        r"NB_MODULE\(\s*{module}\s*,",
        "pass `nb::gil_not_used()` to `NB_MODULE({module}, m, nb::gil_not_used())` "
        "(nanobind 2.2 or later; `FREE_THREADED` in `nanobind_add_module`)",
    ),
    _Binding(
        "pybind11",
        (".cpp", ".cc", ".cxx"),
        r"PYBIND11_MODULE\(\s*{module}\s*,",
        "pass `py::mod_gil_not_used()` to `PYBIND11_MODULE({module}, m, "
        "py::mod_gil_not_used())` (pybind11 2.13 or later)",
    ),
    _Binding(
        "C",
        (".c", ".cpp", ".cc", ".cxx"),
        r"\bPyInit_{module}\b",
        "add `{{Py_mod_gil, Py_MOD_GIL_NOT_USED}}` to its module slots "
        "(`PyUnstable_Module_SetGIL(module, Py_MOD_GIL_NOT_USED)` for single-phase init)",
    ),
)
"""The bindings an extension module is written with, most specific first."""


def binding_remedy(project: Project, module: ModuleName, files: Sequence[Path]) -> Remedy:
    """Return what ``module``, one of ``project``'s own compiled modules, must declare.

    The module's definition is looked for in ``files`` (the project's tree): a Cython source
    named like it, a ``#[pymodule]`` of that name, an ``NB_MODULE`` or ``PYBIND11_MODULE``
    of it, a ``PyInit_`` function. Found, the advice names the file and line; else it names
    what each binding declares.
    """
    last = module.rpartition(".")[2]
    for binding in _BINDINGS:
        found = _definition(binding, last, files, project.root)
        if found is not None:
            where, line = found
            advice = binding.advice.format(module=last)
            return Remedy(
                text=f"{binding.name} module {module}, defined at {where}:{line}: {advice}, "
                f"once it is safe without the GIL ({PORTING_GUIDE})",
                upgrade_to=None,
                url=None,
            )
    return Remedy(
        text=f"declare that {module} does not need the GIL, once it is safe without it: "
        "`Py_MOD_GIL_NOT_USED` in its slots (C), `# cython: freethreading_compatible = True` "
        "(Cython), `#[pymodule(gil_used = false)]` (PyO3), `nb::gil_not_used()` (nanobind); "
        f"{PORTING_GUIDE}",
        upgrade_to=None,
        url=None,
    )


_SOURCE_MAX_BYTES = 4 << 20
"""A source file larger than this is not searched for a module's definition."""


def _definition(
    binding: _Binding, module: str, files: Sequence[Path], root: Path
) -> tuple[str, int] | None:
    """Return the file (relative to ``root``) and line where ``binding`` defines ``module``."""
    pattern = re.compile(binding.pattern.format(module=re.escape(module)))
    for path in files:
        if path.suffix not in binding.suffixes:
            continue
        if binding.name == "Cython":
            # A Cython module is its file: ``_speedups.pyx`` (or a pure-Python-mode ``.py``
            # that the build compiles, which then sits beside a compiled twin of its name).
            if path.stem != module or (path.suffix == ".py" and not _cythonized(path)):
                continue
            return path.relative_to(root).as_posix(), 1
        try:
            if path.stat().st_size > _SOURCE_MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found = pattern.search(text)
        if found:
            return path.relative_to(root).as_posix(), text.count("\n", 0, found.start()) + 1
    return None


def _cythonized(path: Path) -> bool:
    """Say whether ``path`` is a pure-Python-mode Cython module (it imports ``cython``)."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:_SOURCE_MAX_BYTES]
    except OSError:
        return False
    return re.search(r"^\s*(?:import|cimport)\s+cython\b", head, re.MULTILINE) is not None
