"""What the probe imports, read from the RECORD files of the probe environment's distributions.

This runs on the host, over the probe environment's site-packages: the child only imports.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from readiness._metadata import MetadataFolder, metadata_folders, read_headers
from readiness.probe.interface import ModuleKind, ModuleName, ProbePlan, ProbeStep

_EXTENSION_FILE = re.compile(r"^(?P<name>[^.]+)\.(?:[^/]*\.)?(?:so|pyd)$")
"""A compiled module's file name: ``name.so``, ``name.abi3.so``, ``name.cp313t-win_amd64.pyd``.

The module's name is the file name up to its first dot (importlib.machinery.EXTENSION_SUFFIXES
are all suffixes of the name). ``libfoo.so.1`` does not end in ``.so``: a versioned library."""

_SOURCE_SUFFIXES = (".py", ".pyc")
"""Python modules; a ``.pyc`` outside ``__pycache__`` is a sourceless module."""

_NAMESPACE_INIT = re.compile(rb"\b(?:declare_namespace|extend_path)\s*\(")
"""What a pkg_resources- or pkgutil-style namespace ``__init__.py`` calls.

Such a package's own import loads nothing of the distribution, so the plan looks below it,
as it does for an implicit (PEP 420) namespace package."""

_NAMESPACE_INIT_MAX_BYTES = 4096
"""A namespace ``__init__.py`` is a line or two; a larger one is a real package."""


@dataclass(frozen=True)
class _Distribution:
    """One installed distribution, as the plan needs it."""

    name: NormalizedName
    """Its normalized name."""

    requires: frozenset[NormalizedName]
    """The names in its Requires-Dist, markers ignored: for ordering only."""

    top_level: tuple[ModuleName, ...]
    """Its importable top-level modules (below namespace packages), sorted."""

    extensions: tuple[ModuleName, ...]
    """Every compiled module it ships, sorted."""

    files_digest: str
    """A digest of its RECORD's entries outside its .dist-info: the files installed."""


@dataclass(frozen=True)
class ReadMetadata:
    """What a plan read of each installed distribution, under its metadata folder's identity.

    The identity is the folder's path with the size and modification time of its RECORD and
    METADATA: a distribution installed again is another. A plan made with it reads only the
    distributions whose identity it does not hold.
    """

    distributions: Mapping[str, _Distribution]
    """Each distribution read, under its identity."""


def plan_probe(
    site_packages: Sequence[Path],
    distributions: Collection[NormalizedName] | None = None,
) -> ProbePlan:
    """Return the imports that probe ``distributions`` (None: all) installed in ``site_packages``.

    Top-level modules of every distribution come first, dependencies before their dependents,
    then every compiled extension module not already a top-level step, in the same order.
    Ownership of compiled modules covers every installed distribution, probed or not.
    """
    return plan_probe_reading(site_packages, distributions, ReadMetadata({}))[0]


def plan_probe_reading(
    site_packages: Sequence[Path],
    distributions: Collection[NormalizedName] | None,
    known: ReadMetadata,
) -> tuple[ProbePlan, ReadMetadata]:
    """Return :func:`plan_probe`'s plan and what it read, reading only what ``known`` lacks.

    What it read is the ``known`` of the next plan of the same environment.
    """
    installed, read = _read_distributions(site_packages, known)
    owners: dict[ModuleName, NormalizedName] = {}
    for name in sorted(installed):
        for module in installed[name].extensions:
            # Two distributions shipping one file is an installer's conflict; the first in
            # name order is named, so that the plan does not depend on directory order.
            owners.setdefault(module, name)

    wanted = set(installed) if distributions is None else set(distributions)
    ordered = [
        name
        for name in dependency_order({name: dist.requires for name, dist in installed.items()})
        if name in wanted
    ]
    top_level_steps = [
        ProbeStep(module=module, distribution=name, kind=ModuleKind.TOP_LEVEL)
        for name in ordered
        for module in installed[name].top_level
    ]
    top_level_modules = {step.module for step in top_level_steps}
    extension_steps = [
        ProbeStep(module=module, distribution=name, kind=ModuleKind.EXTENSION)
        for name in ordered
        for module in installed[name].extensions
        if module not in top_level_modules
    ]
    plan = ProbePlan(
        steps=(*top_level_steps, *extension_steps),
        extension_owners=dict(sorted(owners.items())),
        requires={
            name: frozenset(dist.requires & installed.keys())
            for name, dist in sorted(installed.items())
        },
        files_digests={name: dist.files_digest for name, dist in sorted(installed.items())},
    )
    return plan, read


def dependency_order(
    requires: Mapping[NormalizedName, Collection[NormalizedName]],
) -> list[NormalizedName]:
    """Return the names of ``requires``, each after the ones (among them) that it requires.

    A depth-first walk in name order: deterministic, and a cycle is broken where the walk
    first comes back to a distribution it is still inside.
    """
    order: list[NormalizedName] = []
    done: set[NormalizedName] = set()
    for root in sorted(requires):
        if root in done:
            continue
        # An explicit stack: a chain of dependencies may be deeper than the recursion limit.
        on_path = {root}
        stack = [(root, iter(sorted(requires[root])))]
        while stack:
            name, pending = stack[-1]
            for dependency in pending:
                if dependency in requires and dependency not in done and dependency not in on_path:
                    on_path.add(dependency)
                    stack.append((dependency, iter(sorted(requires[dependency]))))
                    break
            else:
                stack.pop()
                on_path.discard(name)
                done.add(name)
                order.append(name)
    return order


def _read_distributions(
    site_packages: Sequence[Path], known: ReadMetadata
) -> tuple[dict[NormalizedName, _Distribution], ReadMetadata]:
    found: dict[NormalizedName, _Distribution] = {}
    read: dict[str, _Distribution] = {}
    for folder in metadata_folders(site_packages):
        identity = _identity(folder.path)
        distribution = known.distributions.get(identity or "") or _read_distribution(folder)
        if distribution is None or distribution.name in found:
            # The first on the path is the one Python imports, as importlib.metadata.version().
            continue
        found[distribution.name] = distribution
        if identity is not None:
            read[identity] = distribution
    return found, ReadMetadata(read)


def _identity(folder: Path) -> str | None:
    """Return the identity of a metadata folder (see ReadMetadata); None if it has none."""
    try:
        record, meta = (folder / "RECORD").stat(), (folder / "METADATA").stat()
    except OSError:
        return None
    sizes = f"{record.st_size}:{record.st_mtime_ns}:{meta.st_size}:{meta.st_mtime_ns}"
    return f"{folder}:{sizes}"


def _read_distribution(folder: MetadataFolder) -> _Distribution | None:
    """Read what the plan needs of a metadata folder; None for one without a name.

    A wheel's ``.dist-info`` (METADATA and RECORD, its requirements in the one) is read
    here; anything else (an egg's, which lists its files and requirements elsewhere) by
    importlib.metadata.
    """
    text, record = folder.read_text("METADATA"), folder.read_text("RECORD")
    headers = read_headers(text or "")
    if (
        not folder.path.name.lower().endswith(".dist-info")
        or not text
        or not record
        or (not headers.requires and folder.read_text("requires.txt") is not None)
    ):
        return _read_with_importlib(folder.path)
    if not headers.name:
        return None
    root = folder.path.parent
    # What RECORD lists and is there, as importlib.metadata's files are from Python 3.12.
    files = [
        PurePosixPath(row[0])
        for row in _record_rows(record)
        if row and os.path.exists(os.path.join(root, row[0]))  # noqa: PTH110, PTH118
    ]
    top_level, extensions = modules_of(files, root)
    return _Distribution(
        name=canonicalize_name(headers.name),
        requires=frozenset(_requirement_names(headers.requires)),
        top_level=top_level,
        extensions=extensions,
        files_digest=_files_digest(record),
    )


def _record_rows(record: str) -> list[list[str]]:
    """Return RECORD's rows, read as CSV (a path with a comma is quoted)."""
    import csv  # a changed pin's folder only: not on a warm run's path

    return list(csv.reader(record.splitlines()))


def _read_with_importlib(folder: Path) -> _Distribution | None:
    """Read what the plan needs of a metadata folder as importlib.metadata reads it."""
    # Imported here: a warm run reads its plan from the cache, and a changed pin a wheel's.
    import importlib.metadata

    metadata = importlib.metadata.PathDistribution(folder)
    try:
        raw_name = metadata.metadata["Name"]
    except KeyError:
        return None
    if not raw_name:
        return None
    files = [PurePosixPath(str(file)) for file in (metadata.files or ())]
    root = Path(str(metadata.locate_file("")))
    top_level, extensions = modules_of(files, root)
    if not top_level and not files:
        # NOTE: no RECORD (a distribution installed by an old tool); top_level.txt is all
        # there is, though it names a namespace package itself rather than what is inside.
        top_level = _from_top_level_txt(metadata.read_text("top_level.txt"))
    return _Distribution(
        name=canonicalize_name(raw_name),
        requires=frozenset(_requirement_names(metadata.requires or ())),
        top_level=top_level,
        extensions=extensions,
        files_digest=_files_digest(metadata.read_text("RECORD")),
    )


def _files_digest(record: str | None) -> str:
    """Digest what a RECORD says of the installed files, leaving out the .dist-info's own.

    The installer writes INSTALLER, REQUESTED and direct_url.json there, which differ
    between installs of the same wheel; the package's files and their hashes do not.
    """
    lines = sorted(
        line
        for line in (record or "").splitlines()
        if line.strip() and ".dist-info/" not in line.split(",", 1)[0]
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def modules_of(
    files: Iterable[PurePosixPath], root: Path | None = None
) -> tuple[tuple[ModuleName, ...], tuple[ModuleName, ...]]:
    """Return the importable top-level modules and the compiled modules among RECORD paths.

    ``root`` is the site-packages directory the paths are relative to: it is read only to
    tell a pkgutil-style namespace ``__init__.py`` from a real one.
    """
    found: list[tuple[tuple[str, ...], PurePosixPath, bool]] = []
    extensions: set[ModuleName] = set()
    for path in files:
        module = _module_path(path)
        if module is None:
            continue
        dotted, is_init = module
        found.append((dotted, path, is_init))
        if _EXTENSION_FILE.match(path.name):
            extensions.add(ModuleName(".".join(dotted)))

    namespace_inits = {
        dotted for dotted, path, is_init in found if is_init and _is_namespace_init(path, root)
    }
    regular = {dotted for dotted, _, is_init in found if is_init} - namespace_inits
    top_level: set[ModuleName] = set()
    for dotted, _, _ in found:
        if dotted in namespace_inits:
            continue
        # The importable unit is the outermost regular package on the module's path, or the
        # module itself when every folder above it is a namespace package (PEP 420).
        for depth in range(1, len(dotted) + 1):
            if dotted[:depth] in regular or depth == len(dotted):
                top_level.add(ModuleName(".".join(dotted[:depth])))
                break
    return tuple(sorted(top_level)), tuple(sorted(extensions))


def _module_path(path: PurePosixPath) -> tuple[tuple[str, ...], bool] | None:
    """Return the module a RECORD path holds, as parts, and whether it is an ``__init__``.

    None when the path holds no importable module.
    """
    parts = path.parts
    if not parts or path.is_absolute() or ".." in parts:
        # Outside site-packages: scripts in bin/, headers, data files.
        return None
    folders = parts[:-1]
    if any(not folder.isidentifier() for folder in folders) or "__pycache__" in folders:
        # numpy.libs/, x.dist-info/, x.data/ and .dylibs/ are not identifiers; __pycache__
        # is one, but holds caches of modules listed elsewhere.
        return None
    file_name = parts[-1]
    extension = _EXTENSION_FILE.match(file_name)
    if extension:
        stem = extension.group("name")
    elif file_name.endswith(_SOURCE_SUFFIXES) and file_name.count(".") == 1:
        stem = file_name.rsplit(".", 1)[0]
    else:
        return None
    if stem == "__init__":
        return (folders, True) if folders else None
    if not stem.isidentifier() or stem == "__main__" or stem.startswith("__editable__"):
        # __main__ runs a program; __editable__*_finder.py is an editable install's hook.
        return None
    return (*folders, stem), False


def _is_namespace_init(path: PurePosixPath, root: Path | None) -> bool:
    if root is None or path.suffix != ".py":
        return False
    try:
        with (root / path).open("rb") as handle:
            head = handle.read(_NAMESPACE_INIT_MAX_BYTES + 1)
    except OSError:
        return False
    return len(head) <= _NAMESPACE_INIT_MAX_BYTES and bool(_NAMESPACE_INIT.search(head))


def _from_top_level_txt(text: str | None) -> tuple[ModuleName, ...]:
    names = {line.strip() for line in (text or "").splitlines()}
    return tuple(
        sorted(ModuleName(name) for name in names if name.isidentifier() and name != "__main__")
    )


def _requirement_names(requires: Iterable[str]) -> Iterable[NormalizedName]:
    for line in requires:
        try:
            yield canonicalize_name(Requirement(line).name)
        except InvalidRequirement:
            # Ordering is best effort: a malformed Requires-Dist only loses one edge.
            continue
