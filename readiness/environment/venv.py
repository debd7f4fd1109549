"""The probe environment: a venv of the free-threaded interpreter, filled by uv or pip."""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._cache import RecordStore, atomic_write
from readiness._errors import InputError
from readiness._lock import held
from readiness._metadata import metadata_folders
from readiness._process import run_captured
from readiness._records import from_record
from readiness._state import Progress
from readiness.environment.command import installer_environment
from readiness.environment.interface import (
    InstalledDistribution,
    Installer,
    InstallerError,
    InstallFailure,
    InstallResult,
    ProbeEnvironment,
)
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions, free_threading_classifiers
from readiness.sources.interface import ResolvedDependency

logger = logging.getLogger(__name__)

COMPLETION_MARKER = ".readiness-complete"
"""Written last into an environment once everything is installed: JSON holding what was asked
for and the :class:`InstallResult`, so that the same scan again reuses it as it is."""

CREATE_TIMEOUT = 300.0
"""Seconds creating a venv may take (``-m venv`` installs pip from the bundled wheel)."""

SITE_PACKAGES_RECORD = ".readiness-site-packages.json"
"""Kept in an environment readiness made: the site-packages its interpreter named."""

QUERY_TIMEOUT = 30.0
"""Seconds the environment's interpreter may take to name its site-packages."""

# Constant code, no names pasted in: the venv's interpreter reports its own install paths.
_SITE_PACKAGES_QUERY = (
    "import json, sysconfig; "
    "print(json.dumps([sysconfig.get_path('purelib'), sysconfig.get_path('platlib')]))"
)


def _venv_python(root: Path) -> Path:
    # The layout venv creates: Scripts\\python.exe on Windows, bin/python elsewhere.
    return root / "Scripts" / "python.exe" if sys.platform == "win32" else root / "bin" / "python"


def create_environment(
    interpreter: Interpreter, key: str, *, cache_dir: Path, installer: Installer
) -> ProbeEnvironment:
    """Return the probe environment ``cache_dir/envs/<key>``, created for ``installer``.

    ``key`` names the interpreter and the set to install: a finished environment (one
    holding a completion marker) is reused as it is; anything else there is removed and the
    environment is created again from scratch: with ``uv venv`` for uv, ``-m venv`` (with
    pip) for every other installer.
    Raises :class:`InstallerError` when the environment cannot be created.
    """
    root = cache_dir / "envs" / key
    if (root / COMPLETION_MARKER).is_file() and _venv_python(root).exists():
        try:
            return _described(root)
        except InstallerError as error:
            logger.debug("rebuilding %s: %s", root, error)
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    # Imported here: a warm run reuses its environment as it is.
    from readiness.environment.filling import creation_command

    argv = creation_command(interpreter.executable, root, installer, with_pip=True)
    run_environment_command(
        argv, what=f"creating the probe environment {root}", timeout=CREATE_TIMEOUT
    )
    return _described(root)


def existing_environment(root: Path) -> ProbeEnvironment:
    """Return the virtual environment at ``root`` as it is, to be probed without installing.

    Raises :class:`InputError` when ``root`` holds no virtual environment.
    """
    if not _venv_python(root).exists():
        raise InputError(
            f"no virtual environment here: {_venv_python(root)} does not exist",
            path=root,
            hint="pass the folder of a virtual environment (the one holding pyvenv.cfg)",
        )
    return describe_environment(root)


def run_environment_command(argv: Sequence[str], *, what: str, timeout: float) -> str:
    """Run a command that makes or asks an environment (``what`` it does); return its output.

    Raises :class:`InstallerError` when it cannot run, fails or outlives ``timeout``.
    """

    def failed(message: str) -> InstallerError:
        return InstallerError(f"{what} failed: {message}")

    completed = run_captured(argv, timeout=timeout, error=failed, env=installer_environment())
    if completed.returncode != 0:
        output = (completed.stderr or completed.stdout).strip().splitlines()
        raise InstallerError(
            f"{what} failed (exit status {completed.returncode}): " + " | ".join(output[-5:])
        )
    return completed.stdout


def _described(root: Path) -> ProbeEnvironment:
    """Return the probe environment at ``root``, its site-packages asked for once only.

    An environment readiness made keeps its paths for its whole life, so the answer is kept
    beside it: a warm run starts no interpreter to learn them.
    """
    kept = root / SITE_PACKAGES_RECORD
    try:
        paths = json.loads(kept.read_text(encoding="utf-8"))
        if isinstance(paths, list) and paths and all(isinstance(path, str) for path in paths):
            site_packages = tuple(Path(path) for path in paths)
            return ProbeEnvironment(
                root=root, python=_venv_python(root), site_packages=site_packages
            )
    except (OSError, ValueError):
        pass
    env = describe_environment(root)
    atomic_write(kept, json.dumps([str(path) for path in env.site_packages]))
    return env


def describe_environment(root: Path) -> ProbeEnvironment:
    """Return the environment at ``root``, its interpreter asked for its site-packages.

    Raises :class:`InstallerError` when it cannot say.
    """
    python = _venv_python(root)
    output = run_environment_command(
        [str(python), "-I", "-c", _SITE_PACKAGES_QUERY],
        what=f"asking {python} for its site-packages",
        timeout=QUERY_TIMEOUT,
    )
    try:
        paths = [Path(path) for path in json.loads(output.strip().splitlines()[-1])]
    except (ValueError, IndexError, TypeError) as e:
        raise InstallerError(f"{python} did not name its site-packages: {output!r}") from e
    site_packages = tuple(dict.fromkeys(paths))
    return ProbeEnvironment(root=root, python=python, site_packages=site_packages)


REFUSALS_FOLDER = "refusals"
"""Where in the cache directory the installer's refusals are kept."""

REFUSALS_FORMAT = 1
"""The layout of a kept refusal: bumped when :class:`InstallFailure` changes."""

REFUSAL_MAX_AGE = 24 * 60 * 60.0
"""Seconds a refusal is believed without trying again: a day, so that what failed for a
passing reason (the network, a mirror) is tried again soon; ``--refresh`` tries now."""


@dataclass(frozen=True)
class Refusals:
    """What the installer refused to install, kept so that a later run does not try again.

    A refusal is kept under the requirement line as the installer got it, the interpreter
    build, the installer and its options: a changed pin, interpreter or option tries again.
    """

    store: RecordStore[InstallFailure]
    """Where the refusals are kept."""

    identity: str
    """What decides a refusal besides the line: the interpreter build and the installer."""

    refresh: bool = False
    """Try every line again (``--refresh``): nothing kept is believed, new refusals are kept."""

    @classmethod
    def in_cache(cls, cache_dir: Path, *identity: object, refresh: bool = False) -> Refusals:
        """Return the refusals kept in ``cache_dir`` for ``identity``."""
        store = RecordStore(cache_dir / REFUSALS_FOLDER, InstallFailure, REFUSALS_FORMAT)
        return cls(store, store.key(*identity), refresh)

    def known(self, line: str) -> InstallFailure | None:
        """Return the refusal of ``line`` kept within the last :data:`REFUSAL_MAX_AGE`."""
        if self.refresh:
            return None
        return self.store.load(self.store.key(self.identity, line), max_age=REFUSAL_MAX_AGE)

    def keep(self, line: str, failure: InstallFailure) -> None:
        """Keep the refusal of ``line``."""
        self.store.store(self.store.key(self.identity, line), failure)


def install_dependencies(
    env: ProbeEnvironment,
    requirements: Sequence[ResolvedDependency],
    *,
    complete: bool,
    installer: Installer,
    no_build: bool,
    index_options: IndexOptions | None = None,
    progress: Progress | None = None,
    refusals: Refusals | None = None,
    jobs: int | None = None,
) -> InstallResult:
    """Install every requirement into ``env`` and return what it then holds.

    All at once first (``--no-deps`` when ``complete``: a lock lists everything); if that
    fails, one by one, so that one distribution that cannot be installed keeps none of the
    others out, each failure recorded with the installer's reason. One by one means up to
    ``jobs`` (default: the number of cores) at a time, each into a scratch environment
    (:mod:`readiness.environment.filling`). A finished environment that was asked for the
    same is returned as it was recorded; one that a lock filled before gets only the lines it
    does not hold yet (one changed pin: that line), and loses what the lock no longer lists. With
    ``refusals``, a line the installer refused lately is not tried again, and each new
    refusal is kept there.
    Raises :class:`InstallerError` only when the installer cannot run at all, and
    :class:`UnsafeRequirement` for a requirement that would reach it as anything but itself.
    """
    request = {
        "requirements": [dep.requirement() for dep in requirements],
        "complete": complete,
        "no_build": no_build,
        "installer": installer.name,
        "index": repr(index_options),
    }
    last = _last_install(env)
    if last is not None and last.request == request:
        return last.result  # each of its lines was checked before the installer got it
    # Imported here: a warm run finds its environment as it left it, and installs nothing.
    from readiness.environment.filling import fill

    return fill(
        env,
        requirements,
        request,
        last,
        complete=complete,
        installer=installer,
        no_build=no_build,
        index_options=index_options,
        progress=progress or Progress(),
        refusals=refusals,
        jobs=jobs,
    )


def environment_lock(root: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the probe environment ``root`` for one run: another run on it waits.

    Two scans sharing the cache may want the same environment; one installs while the
    other would probe it half-changed. Without fcntl (Windows) there is no lock.
    """
    return held(root.parent / f"{root.name}.lock")


def installed_distributions(
    env: ProbeEnvironment,
    built_from_source: set[NormalizedName],
    names: Collection[NormalizedName] | None = None,
) -> tuple[InstalledDistribution, ...]:
    """Return every distribution in ``env``'s site-packages, sorted by name.

    Only those of ``names``, where given: their metadata folders are found by name, and no
    other distribution's metadata is read.
    """
    found: dict[NormalizedName, InstalledDistribution] = {}
    for folder in metadata_folders(env.site_packages, names):
        headers = folder.headers()
        raw_name, raw_version = headers.name, headers.version
        if not raw_name:
            continue
        name = canonicalize_name(raw_name)
        try:
            version = Version(raw_version or "")
        except InvalidVersion:
            logger.debug("%s has a version packaging cannot read: %r", name, raw_version)
            continue
        found.setdefault(
            name,
            InstalledDistribution(
                name=name,
                version=version,
                built_from_source=name in built_from_source,
                free_threading_classifiers=free_threading_classifiers(headers.classifiers),
            ),
        )
    return tuple(found[name] for name in sorted(found))


@dataclass(frozen=True)
class FinishedInstall:
    """What an environment's completion record says: what was asked, and what it holds."""

    request: dict[str, object]
    result: InstallResult


def _last_install(env: ProbeEnvironment) -> FinishedInstall | None:
    """Return the last finished install into ``env``; None when it records none it can read."""
    try:
        data = json.loads((env.root / COMPLETION_MARKER).read_text(encoding="utf-8"))
        request = data["request"]
        result = from_record(InstallResult, data["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return FinishedInstall(request, result) if isinstance(request, dict) else None
