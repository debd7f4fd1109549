"""The probe environment: a venv of the free-threaded interpreter, filled by uv or pip."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Self

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from readiness._cache import RecordStore, atomic_write
from readiness._errors import InputError
from readiness._lock import held
from readiness._process import run_captured
from readiness._records import from_record, to_record
from readiness._state import Progress
from readiness.environment.command import installer_environment
from readiness.environment.interface import (
    InstalledDistribution,
    Installer,
    InstallerError,
    InstallFailed,
    InstallFailure,
    InstallResult,
    ProbeEnvironment,
)
from readiness.environment.trials import (
    Installation,
    ScratchEnvironments,
    Trial,
    install_alone,
    install_side_by_side,
)
from readiness.environment.uv import UvInstaller
from readiness.installer_requirements import checked_line
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from readiness.sources.interface import ResolvedDependency

if TYPE_CHECKING:
    import importlib.metadata

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


KEPT_IN_ENVIRONMENT = NormalizedName("pip")
"""What ``python -m venv`` puts in an environment for its own use: never removed."""


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
    argv = _creation_command(interpreter.executable, root, installer, with_pip=True)
    _run(argv, what=f"creating the probe environment {root}", timeout=CREATE_TIMEOUT)
    return _described(root)


def _creation_command(
    python: Path, root: Path, installer: Installer, *, with_pip: bool
) -> list[str]:
    """Return the command that creates an environment of ``python`` at ``root``.

    ``uv venv`` for uv, ``-m venv`` (with pip unless ``with_pip`` is false) for every other
    installer.
    """
    if isinstance(installer, UvInstaller):
        # --no-project: the user's project must not narrow the interpreter chosen here.
        return [
            str(installer.executable),
            "venv",
            "--no-project",
            "--python",
            str(python),
            str(root),
        ]
    return [str(python), "-m", "venv", *([] if with_pip else ["--without-pip"]), str(root)]


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
    return _describe(root)


def _run(argv: Sequence[str], *, what: str, timeout: float) -> str:
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
    env = _describe(root)
    atomic_write(kept, json.dumps([str(path) for path in env.site_packages]))
    return env


def _describe(root: Path) -> ProbeEnvironment:
    python = _venv_python(root)
    output = _run(
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
    (:func:`_one_by_one`). A finished environment that was asked for the same is returned as
    it was recorded; one that a lock filled before gets only the lines it does not hold yet
    (one changed pin: that line), and loses what the lock no longer lists. With
    ``refusals``, a line the installer refused lately is not tried again, and each new
    refusal is kept there.
    Raises :class:`InstallerError` only when the installer cannot run at all, and
    :class:`UnsafeRequirement` for a requirement that would reach it as anything but itself.
    """
    progress = progress or Progress()
    # Checked here first only to name where the file declares a line to refuse; every
    # installer checks each line again where it writes it (readiness.installer_requirements).
    lines = [checked_line(dep.requirement(), dep.origin) for dep in requirements]
    request = {
        "requirements": lines,
        "complete": complete,
        "no_build": no_build,
        "installer": installer.name,
        "index": repr(index_options),
    }
    last = _last_install(env)
    if last is not None and last.request == request:
        return last.result
    # A lock lists everything: what the last finished install of it put in is there still,
    # so only the lines it did not have go to the installer (one changed pin: one line).
    before = _installed_lines(last, request) if complete and last is not None else {}
    # The environment is about to change: until it is finished, it records nothing.
    (env.root / COMPLETION_MARKER).unlink(missing_ok=True)

    built: set[NormalizedName] = set()
    failures: list[InstallFailure] = []
    if refusals is not None:
        known = [refusals.known(line) for line in lines]
        failures += [failure for failure in known if failure is not None]
        requirements = [dep for dep, found in zip(requirements, known, strict=True) if not found]
        lines = [line for line, found in zip(lines, known, strict=True) if not found]
    pending = []
    for dep, line in zip(requirements, lines, strict=True):
        if line not in before:
            pending.append((dep.name, line))
        elif before[line]:
            built.add(dep.name)  # built from source by the install that put it there
    if pending:
        how = Installation(
            installer, no_deps=complete, no_build=no_build, index_options=index_options
        )
        progress.start(f"installing with {installer.name}")
        try:
            built |= how.install(env, [line for _, line in pending], progress.message)
        except InstallFailed:
            progress.start(f"installing one by one with {installer.name}", total=len(pending))
            jobs = min(jobs or os.cpu_count() or 1, len(pending))
            trials = _one_by_one(env, pending, how, progress, jobs)
            for (_, line), trial in zip(pending, trials, strict=True):
                built |= trial.built
                if trial.failure is not None:
                    failures.append(trial.failure)
                    if refusals is not None:
                        refusals.keep(line, trial.failure)
        progress.finish()

    installed = installed_distributions(env, built)
    if complete:
        # A lock lists everything: whatever else the environment holds is left over from an
        # earlier lock (the environment is reused), or an old version of what failed now.
        installed = _remove_unrequested(env, installed, requirements, failures, installer, progress)
    result = InstallResult(installed=installed, failures=tuple(failures))
    atomic_write(
        env.root / COMPLETION_MARKER,
        json.dumps({"request": request, "result": to_record(result)}, indent=1),
    )
    return result


def _one_by_one(
    env: ProbeEnvironment,
    named: Sequence[tuple[NormalizedName, str]],
    how: Installation,
    progress: Progress,
    jobs: int,
) -> list[Trial]:
    """Install each line alone; return what each did, in order.

    With one job, each line into ``env`` after the other. With more: each line into a
    scratch environment beside ``env``, ``jobs`` at a time, then the lines that installed
    there into ``env`` in one batch (quick: what they built is in the installer's cache); if
    that batch fails still (two lines that conflict, when the installer resolves), those
    lines as with one job. The scratch environments are removed in every case, Ctrl-C too.
    """
    if jobs < 2:
        trials = []
        for name, line in named:
            progress.advance(str(name), steps=0)
            trials.append(install_alone(env, name, line, how, progress.message))
            progress.advance()
        return trials
    with tempfile.TemporaryDirectory(
        prefix=f"{env.root.name}.trials-", dir=env.root.parent, ignore_cleanup_errors=True
    ) as folder:
        scratch = _ScratchEnvironments.beside(env, how.installer, Path(folder))
        trials = install_side_by_side(named, how, scratch=scratch, jobs=jobs, progress=progress)
    installed = [index for index, trial in enumerate(trials) if trial.failure is None]
    if installed:
        try:
            built = how.install(env, [named[index][1] for index in installed], progress.message)
        except InstallFailed:
            again = _one_by_one(env, [named[index] for index in installed], how, progress, 1)
            for index, trial in zip(installed, again, strict=True):
                trials[index] = trial
        else:
            for index in installed:
                trials[index] = Trial(None, trials[index].built | built)
    return trials


@dataclass(frozen=True)
class _ScratchEnvironments(ScratchEnvironments):
    """Empty environments of ``env``'s interpreter, made in ``folder`` for one line each."""

    env: ProbeEnvironment
    installer: Installer
    folder: Path
    pip: Path | None
    """The pip package of ``env``, lent to each scratch environment; None: each has its own."""

    @classmethod
    def beside(cls, env: ProbeEnvironment, installer: Installer, folder: Path) -> Self:
        """Return the scratch environments for ``installer`` in ``folder``.

        ``-m venv`` installs pip from its bundled wheel, which takes seconds for each
        environment; pip's own package copied once from ``env`` takes none. Without a pip in
        ``env`` to lend (or for uv, which needs none), each gets its own.
        """
        found = [path / "pip" for path in env.site_packages if (path / "pip").is_dir()]
        if isinstance(installer, UvInstaller) or not found:
            return cls(env, installer, folder, None)
        shutil.copytree(found[0], folder / "pip" / "pip")
        return cls(env, installer, folder, found[0])

    def create(self, index: int) -> ProbeEnvironment:
        """Create the ``index``-th scratch environment; return it.

        Raises :class:`InstallerError` when it cannot be created.
        """
        root = self.folder / str(index)
        with_pip = self.pip is None
        argv = _creation_command(self.env.python, root, self.installer, with_pip=with_pip)
        _run(argv, what=f"creating the scratch environment {root}", timeout=CREATE_TIMEOUT)
        scratch = _describe(root)
        if self.pip is not None:
            (scratch.site_packages[0] / "readiness-pip.pth").write_text(
                f"{self.folder / 'pip'}\n", encoding="utf-8"
            )
        return scratch

    def stands_for(self, scratch: ProbeEnvironment) -> dict[str, str]:
        """Return the scratch environment's root and the lent pip, with ``env``'s own."""
        paths = {str(scratch.root): str(self.env.root)}
        if self.pip is not None:
            paths[str(self.folder / "pip" / "pip")] = str(self.pip)
        return paths


def _remove_unrequested(
    env: ProbeEnvironment,
    installed: Sequence[InstalledDistribution],
    requirements: Sequence[ResolvedDependency],
    failures: Sequence[InstallFailure],
    installer: Installer,
    progress: Progress,
) -> tuple[InstalledDistribution, ...]:
    """Uninstall what ``installed`` holds and ``requirements`` do not; return what is left.

    A requirement that failed to install is not kept: what ``env`` holds of it is older.
    """
    failed = {failure.name for failure in failures}
    keep = {dep.name for dep in requirements if dep.name not in failed} | {KEPT_IN_ENVIRONMENT}
    extra = sorted(dist.name for dist in installed if dist.name not in keep)
    if extra:
        progress.message(f"removing {', '.join(extra)}")
        installer.uninstall(env, extra, on_line=progress.message)
    return tuple(dist for dist in installed if dist.name in keep)


def environment_lock(root: Path) -> contextlib.AbstractContextManager[None]:
    """Hold the probe environment ``root`` for one run: another run on it waits.

    Two scans sharing the cache may want the same environment; one installs while the
    other would probe it half-changed. Without fcntl (Windows) there is no lock.
    """
    return held(root.parent / f"{root.name}.lock")


def installed_distributions(
    env: ProbeEnvironment, built_from_source: set[NormalizedName]
) -> tuple[InstalledDistribution, ...]:
    """Return every distribution in ``env``'s site-packages, sorted by name."""
    found: dict[NormalizedName, InstalledDistribution] = {}
    # Imported here: a warm run reads the environment's record, not its metadata.
    from importlib import metadata

    for dist in metadata.distributions(path=[str(path) for path in env.site_packages]):
        raw_name, raw_version = _name_and_version(dist)
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
                name=name, version=version, built_from_source=name in built_from_source
            ),
        )
    return tuple(found[name] for name in sorted(found))


def _name_and_version(dist: importlib.metadata.Distribution) -> tuple[str | None, str | None]:
    """Return the Name and Version of ``dist``'s core metadata, read up to its first blank line.

    importlib.metadata reads the whole file (the long description too) with email's parser,
    several times slower, for two headers. As email reads them, the first of each counts.
    """
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        key, colon, value = line.partition(":")
        header = key.lower()
        if colon and header in ("name", "version"):
            found.setdefault(header, value.lstrip())
    return found.get("name"), found.get("version")


@dataclass(frozen=True)
class _FinishedInstall:
    """What an environment's completion record says: what was asked, and what it holds."""

    request: dict[str, object]
    result: InstallResult


def _last_install(env: ProbeEnvironment) -> _FinishedInstall | None:
    """Return the last finished install into ``env``; None when it records none it can read."""
    try:
        data = json.loads((env.root / COMPLETION_MARKER).read_text(encoding="utf-8"))
        request = data["request"]
        result = from_record(InstallResult, data["result"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return _FinishedInstall(request, result) if isinstance(request, dict) else None


def _installed_lines(last: _FinishedInstall, request: dict[str, object]) -> dict[str, bool]:
    """Return the lines ``last`` put into its environment, each with whether it built.

    Only when that install was asked with the same options as ``request`` (installer, index,
    builds): its lines are then installed as those options install them. A line whose
    distribution failed is not among them.
    """
    asked = last.request
    lines = asked.get("requirements")
    if not isinstance(lines, list):
        return {}
    options = {key: value for key, value in request.items() if key != "requirements"}
    if {key: value for key, value in asked.items() if key != "requirements"} != options:
        return {}
    installed = {dist.name: dist for dist in last.result.installed}
    failed = {failure.name for failure in last.result.failures}
    found = {}
    for line in map(str, lines):
        try:
            name = canonicalize_name(Requirement(line).name)
        except InvalidRequirement:
            continue
        if name in installed and name not in failed:
            found[line] = installed[name].built_from_source
    return found
