"""``readiness python install``: provision a free-threaded CPython into the cache, once.

With uv where it can reach its downloads; else by building CPython ``--disable-gil`` from a
source tarball the user gives, or from the Debian or Ubuntu source package of that Python,
fetched with a private apt configuration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from readiness._cache import atomic_write
from readiness._lock import held
from readiness._process import clean_environment
from readiness._state import Progress
from readiness._stream import error_tail, run_streaming
from readiness._uv import find_uv
from readiness.interpreter.discover import (
    COMPLETION_MARKER,
    parse_version_request,
    provisioned,
    uv_python_find,
)
from readiness.interpreter.inspect import inspect_interpreter, require_free_threaded
from readiness.interpreter.interface import InterpreterError

UV_INSTALL_TIMEOUT = 900.0
"""Seconds ``uv python install`` may take (a ~30 MB download; it retries a dead network)."""

APT_TIMEOUT = 600.0
"""Seconds ``apt-get update`` or ``apt-get source`` may take (a ~25 MB tarball)."""

CONFIGURE_TIMEOUT = 900.0
"""Seconds ``./configure`` may take."""

MAKE_TIMEOUT = 3 * 3600.0
"""Seconds ``make`` may take: about 5 minutes on 2 cores, far more on a slow machine."""

MAKE_INSTALL_TIMEOUT = 1800.0
"""Seconds ``make install`` may take (it byte-compiles the standard library)."""

DEBIAN_SUITES: Mapping[int, tuple[str, ...]] = {
    13: ("trixie",),
    14: ("forky", "sid"),
    15: ("sid", "experimental"),
}
"""Debian suites whose ``python3.M`` source package is CPython 3.M, tried in order
(trixie released with 3.13; 3.14 is in testing and unstable; 3.15 enters unstable and
experimental first)."""

UBUNTU_SUITES: Mapping[int, tuple[str, ...]] = {
    13: ("questing", "plucky"),
    14: ("resolute", "questing"),
}
"""Ubuntu series carrying ``python3.M`` (25.04 plucky and 25.10 questing ship 3.13; 3.14 is in
25.10's universe and is 26.04 resolute's default). A series the archive no longer serves fails
``apt-get update`` and the next one is tried."""

_DEBIAN_GENERIC_SUITES = ("stable", "testing", "unstable")


@dataclass(frozen=True)
class Distribution:
    """The Linux distribution of this machine, as ``/etc/os-release`` names it."""

    family: str
    """``debian`` or ``ubuntu`` (a derivative counts as what it derives from), or ``""``."""

    codename: str
    """Its release's codename (``bookworm``, ``noble``), ``""`` when it has none (sid)."""

    @property
    def suites(self) -> Mapping[int, tuple[str, ...]]:
        """Where this family publishes each ``python3.M`` source package."""
        return UBUNTU_SUITES if self.family == "ubuntu" else DEBIAN_SUITES

    @property
    def components(self) -> str:
        """The archive components to read: Ubuntu keeps non-default Pythons in universe."""
        return "main universe" if self.family == "ubuntu" else "main"


def read_os_release(
    paths: Sequence[Path] = (Path("/etc/os-release"), Path("/usr/lib/os-release")),
) -> Distribution:
    """Return the distribution described by the first readable os-release file."""
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        fields: dict[str, str] = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                fields[key.strip()] = value.strip().strip("\"'")
        ids = {fields.get("ID", ""), *fields.get("ID_LIKE", "").split()}
        if "ubuntu" in ids:
            codename = fields.get("UBUNTU_CODENAME") or fields.get("VERSION_CODENAME", "")
            return Distribution("ubuntu", codename)
        if "debian" in ids:
            return Distribution("debian", fields.get("VERSION_CODENAME", ""))
        return Distribution("", "")
    return Distribution("", "")


@dataclass(frozen=True)
class AptEntry:
    """One repository line (or one URI of a deb822 stanza) of the machine's apt sources."""

    uri: str
    """The archive's address, as configured."""

    suites: tuple[str, ...]
    """The suites configured for it."""


def read_apt_sources(etc_apt: Path = Path("/etc/apt")) -> list[AptEntry]:
    """Return the enabled ``deb``/``deb-src`` entries of ``etc_apt``, in apt's reading order.

    ``sources.list`` first (one-line format), then ``sources.list.d/*.list`` and
    ``*.sources`` (deb822) in name order, as apt reads them (sources.list(5)).
    """
    entries: list[AptEntry] = []
    main = etc_apt / "sources.list"
    if main.is_file():
        entries += _one_line_entries(main.read_text(encoding="utf-8", errors="replace"))
    parts = etc_apt / "sources.list.d"
    for path in sorted(parts.glob("*")) if parts.is_dir() else ():
        text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
        if path.suffix == ".list":
            entries += _one_line_entries(text)
        elif path.suffix == ".sources":
            entries += _deb822_entries(text)
    return entries


def _one_line_entries(text: str) -> list[AptEntry]:
    entries: list[AptEntry] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        # Options sit in brackets after the type: deb [arch=amd64 signed-by=...] URI suite ...
        line = re.sub(r"\[[^\]]*\]", " ", line)
        words = line.split()
        if len(words) >= 3 and words[0] in ("deb", "deb-src"):
            entries.append(AptEntry(uri=words[1], suites=(words[2],)))
    return entries


def _deb822_entries(text: str) -> list[AptEntry]:
    entries: list[AptEntry] = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = ""
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and key:
                fields[key] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if not sep:
                key = ""
                continue
            key = key.strip().lower()
            fields[key] = value.strip()
        types = fields.get("types", "").split()
        if not ({"deb", "deb-src"} & set(types)) or fields.get("enabled", "yes").lower() == "no":
            continue
        suites = tuple(fields.get("suites", "").split())
        entries += [AptEntry(uri=uri, suites=suites) for uri in fields.get("uris", "").split()]
    return entries


def archives_for(distribution: Distribution, entries: Sequence[AptEntry]) -> list[str]:
    """Return the addresses of the distribution's own archive among ``entries``, deduplicated.

    The distribution's archive is the one configured for its release itself (``bookworm``,
    not ``bookworm-security``, nor a third party's ``cloud-sdk-bookworm``); only http(s)
    archives are used, since another machine's mirror or a CD cannot serve other suites.
    """
    wanted = {distribution.codename, *_DEBIAN_GENERIC_SUITES}
    for suites in distribution.suites.values():
        wanted.update(suites)
    wanted.discard("")
    found: list[str] = []
    for entry in entries:
        if entry.uri.startswith(("http://", "https://")) and wanted & set(entry.suites):
            uri = entry.uri.rstrip("/")
            if uri not in found:
                found.append(uri)
    return found


def private_apt_options(workdir: Path) -> list[str]:
    """Return apt options that keep every file of a download under ``workdir``.

    The machine's sources, lists and caches are neither read nor written: only its trusted
    keys are used, to check what is downloaded.
    """
    for folder in (workdir / "lists" / "partial", workdir / "cache" / "archives" / "partial"):
        folder.mkdir(parents=True, exist_ok=True)
    options = [
        f"Dir::Etc::SourceList={workdir / 'sources.list'}",
        "Dir::Etc::SourceParts=/dev/null",
        f"Dir::State::Lists={workdir / 'lists'}",
        f"Dir::Cache={workdir / 'cache'}",
    ]
    if os.geteuid() == 0:
        # As root, apt downloads as the _apt user, who cannot write into our private,
        # root-only temp folder.
        options.append("APT::Sandbox::User=root")
    return [part for option in options for part in ("-o", option)]


def download_distribution_source(
    minor: int,
    workdir: Path,
    *,
    progress: Progress,
    distribution: Distribution | None = None,
    etc_apt: Path = Path("/etc/apt"),
) -> Path:
    """Download the upstream tarball of Debian's or Ubuntu's ``python3.M`` into ``workdir``.

    Raises :class:`InterpreterError` saying what was tried when no suite served it.
    """
    distribution = distribution or read_os_release()
    package = f"python3.{minor}"
    archives = archives_for(distribution, read_apt_sources(etc_apt))
    suites = distribution.suites.get(minor, ())
    if not distribution.family:
        missing = "this is not Debian or Ubuntu, whose source package readiness can fetch"
    elif shutil.which("apt-get") is None:
        missing = "apt-get is not installed"
    elif not suites:
        missing = f"no {distribution.family} suite is known to carry it"
    elif not archives:
        missing = f"no {distribution.family} archive is configured in {etc_apt}"
    else:
        missing = ""
    if missing:
        raise InterpreterError(
            f"cannot download the {package} source package: {missing}", hint=_source_hint(minor)
        )
    progress.start(f"downloading the {package} source package")
    tried: list[str] = []
    for archive in archives:
        for suite in suites:
            attempt = Path(tempfile.mkdtemp(prefix=f"apt-{suite}-", dir=workdir))
            line = f"deb-src {archive} {suite} {distribution.components}\n"
            (attempt / "sources.list").write_text(line, encoding="utf-8")
            options = private_apt_options(attempt)
            download = attempt / "download"
            download.mkdir()
            steps = (
                ["apt-get", *options, "update"],
                ["apt-get", *options, "source", "--download-only", package],
            )
            failure = _run_steps(steps, cwd=download, timeout=APT_TIMEOUT, progress=progress)
            tarballs = sorted(download.glob(f"{package}_*.orig.tar.*"))
            tarballs = [path for path in tarballs if not path.name.endswith(".asc")]
            if failure is None and tarballs:
                return tarballs[0]
            tried.append(f"{line.strip()}: {failure or 'no upstream tarball downloaded'}")
    raise InterpreterError(
        f"cannot download the {package} source package; tried:\n  " + "\n  ".join(tried),
        hint=_source_hint(minor),
    )


def _run_steps(
    steps: Sequence[Sequence[str]], *, cwd: Path, timeout: float, progress: Progress
) -> str | None:
    for argv in steps:
        try:
            run = run_streaming(argv, timeout=timeout, on_line=progress.message, cwd=cwd)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"{argv[0]} {argv[-1]}: {e}"
        if run.returncode != 0:
            tail = error_tail(run.lines, count=2).replace("\n", " | ")
            return f"apt-get {' '.join(argv[-2:])} exited with status {run.returncode}: {tail}"
    return None


def _source_hint(minor: int) -> str:
    return (
        f"download the CPython 3.{minor} source tarball (Python-3.{minor}.N.tar.xz) and run "
        f"`readiness python install 3.{minor}t --source PATH`, or install uv where it can "
        "reach its Python downloads"
    )


def provisioning_lock(python_root: Path, progress: Progress) -> AbstractContextManager[None]:
    """Hold ``python_root/.lock`` so that two readiness runs never provision at once."""

    def waiting() -> None:
        progress.message("waiting for another readiness run to finish provisioning")

    return held(python_root / ".lock", on_wait=waiting)


def install_python(
    version: str, *, cache_dir: Path, progress: Progress, source: Path | None = None
) -> Path:
    """Provision the free-threaded CPython ``version`` (``3.14t``); return its executable.

    Once: an install this function finished before is returned as it is. Else uv installs
    it (when uv is installed and can reach its downloads; not when ``source`` is given), or it
    is built with ``./configure --disable-gil`` from ``source`` (a CPython source tarball) or
    from the distribution's source package into ``cache_dir/python/cpython-X.Y.Zt``.
    Raises :class:`InterpreterError` when every way failed; a failed build leaves its log.
    """
    _, minor = parse_version_request(version)
    python_root = cache_dir / "python"
    with provisioning_lock(python_root, progress):
        for executable in provisioned((minor,), cache_dir):
            return executable
        if source is None:
            installed = install_with_uv(minor, progress)
            if installed is not None:
                return installed
        with tempfile.TemporaryDirectory(prefix=".build-", dir=python_root) as scratch:
            workdir = Path(scratch)
            if source is None:
                tarball = download_distribution_source(minor, workdir, progress=progress)
            elif source.is_file():
                tarball = source
            else:
                raise InterpreterError(
                    f"{source}: no such source tarball", hint=_source_hint(minor)
                )
            return build_from_source(tarball, minor, python_root, workdir, progress)


def install_with_uv(minor: int, progress: Progress) -> Path | None:
    """Install ``3.Mt`` with uv and return it; None when uv is missing or fails (offline)."""
    uv = find_uv()
    if uv is None:
        return None
    request = f"3.{minor}t"
    progress.start(f"installing CPython {request} with uv")
    try:
        run = run_streaming(
            [str(uv), "python", "install", request],
            timeout=UV_INSTALL_TIMEOUT,
            on_line=progress.message,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        progress.finish()
    return uv_python_find(uv, request) if run.returncode == 0 else None


_PY_VERSION = re.compile(r'^#define\s+PY_VERSION\s+"(?P<version>[^"]+)"', re.MULTILINE)


def unpack_source(tarball: Path, destination: Path) -> Path:
    """Unpack a CPython source tarball; return its tree (the folder holding ``configure``)."""
    try:
        with tarfile.open(tarball) as archive:
            if hasattr(tarfile, "data_filter"):
                # The "data" filter (PEP 706; 3.11.4+) refuses absolute paths, links out of
                # the tree and device files.
                archive.extractall(destination, filter="data")
            else:  # pragma: no cover -- Python 3.11.0 to 3.11.3
                archive.extractall(destination)  # noqa: S202 -- no filter on this Python
    except (OSError, tarfile.TarError) as e:
        raise InterpreterError(f"{tarball} cannot be unpacked: {e}") from e
    trees = [
        path for path in [destination, *destination.iterdir()] if (path / "configure").is_file()
    ]
    if not trees:
        raise InterpreterError(f"{tarball} is not a CPython source tarball: it has no configure")
    return trees[0]


def source_version(tree: Path) -> str:
    """Return the version a CPython source tree builds (``3.13.5``), from its patchlevel.h."""
    try:
        text = (tree / "Include" / "patchlevel.h").read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise InterpreterError(
            f"{tree} is not a CPython source tree: no Include/patchlevel.h"
        ) from e
    match = _PY_VERSION.search(text)
    if match is None:
        raise InterpreterError(f"{tree}/Include/patchlevel.h does not define PY_VERSION")
    return match["version"]


def build_from_source(
    tarball: Path, minor: int, python_root: Path, workdir: Path, progress: Progress
) -> Path:
    """Build and install CPython ``--disable-gil`` from ``tarball``; return its executable.

    The completion marker is written last, so an install that stopped half-way is never
    used; it is removed before the next build.
    """
    tree = unpack_source(tarball, workdir / "src")
    full_version = source_version(tree)
    if not full_version.startswith(f"3.{minor}."):
        raise InterpreterError(
            f"{tarball} is the source of CPython {full_version}, not of 3.{minor}",
            hint=_source_hint(minor),
        )
    prefix = python_root / f"cpython-{full_version}t"
    if prefix.exists():
        shutil.rmtree(prefix)
    log_path = python_root / f"build-cpython-{full_version}t.log"
    jobs = os.cpu_count() or 1
    steps = (
        (["./configure", "--disable-gil", f"--prefix={prefix}"], CONFIGURE_TIMEOUT),
        (["make", f"-j{jobs}"], MAKE_TIMEOUT),
        (["make", "install"], MAKE_INSTALL_TIMEOUT),
    )
    progress.start(f"building CPython {full_version}t")
    with log_path.open("w", encoding="utf-8") as log:
        for argv, timeout in steps:
            log.write(f"$ {' '.join(argv)}\n")
            log.flush()
            _build_step(argv, timeout, tree, log, log_path, progress)
    progress.finish()

    executable = prefix / "bin" / f"python3.{minor}t"
    try:
        require_free_threaded(inspect_interpreter(executable))
    except InterpreterError as error:
        raise InterpreterError(
            f"the CPython built from {tarball} is not usable: {error.message}",
            hint=f"the build log is {log_path}",
        ) from error
    atomic_write(
        prefix / COMPLETION_MARKER,
        json.dumps({"version": full_version, "executable": str(executable.relative_to(prefix))})
        + "\n",
    )
    return executable


def _build_step(
    argv: list[str], timeout: float, tree: Path, log: TextIO, log_path: Path, progress: Progress
) -> None:
    try:
        run = run_streaming(
            argv,
            timeout=timeout,
            on_line=progress.message,
            env=clean_environment(),
            cwd=tree,
            log=log,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise InterpreterError(
            f"building CPython failed: {' '.join(argv)}: {e}", hint=f"the build log is {log_path}"
        ) from e
    if run.returncode != 0:
        raise InterpreterError(
            f"building CPython failed: {' '.join(argv)} exited with status {run.returncode}:\n"
            + error_tail(run.lines),
            hint=f"the full build log is {log_path}",
        )
