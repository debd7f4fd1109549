"""Fixtures for the environment tests: hand-made distributions in a local folder."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness._state import Progress
from readiness._uv import find_uv
from readiness.environment.interface import Installer, InstallResult
from readiness.environment.pip import PipInstaller
from readiness.environment.uv import UvInstaller
from readiness.environment.venv import Refusals, create_environment, install_dependencies
from readiness.interpreter.inspect import inspect_interpreter
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from readiness.sources.interface import Origin, ResolvedDependency
from tests.sdists import sdist_folder


class RecordingProgress(Progress):
    """A Progress that remembers every phase and line it was given."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.lines: list[str] = []
        self.finished = 0

    def start(self, phase: str, total: int | None = None) -> None:
        self.phases.append(phase)

    def message(self, text: str) -> None:
        self.lines.append(text)

    def finish(self) -> None:
        self.finished += 1


@pytest.fixture
def progress() -> RecordingProgress:
    return RecordingProgress()


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_files(name: str, version: str, requires: Sequence[str] = ()) -> dict[str, bytes]:
    """Return the files of a pure wheel holding one module, ``name``, with RECORD last."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {requirement}\n" for requirement in requires
    )
    files = {
        f"{module}.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: readiness-tests\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [_record_line(path, data) for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    return files


def make_wheel(folder: Path, name: str, version: str, requires: Sequence[str] = ()) -> Path:
    """Write ``name-version-py3-none-any.whl`` into ``folder``."""
    path = folder / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in wheel_files(name, version, requires).items():
            archive.writestr(member, data)
    return path


# An in-tree PEP 517 backend (backend-path): the sdist builds with no build requirement,
# so both installers build it offline.
_BACKEND = """
import base64, hashlib, os, zipfile

NAME, VERSION = {name!r}, {version!r}


def _line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {files!r}
    record = [_line(path, data) for path, data in files.items() if not path.endswith("RECORD")]
    info = [path for path in files if path.endswith("RECORD")][0]
    files[info] = ("\\n".join(record + [info + ",,"]) + "\\n").encode()
    filename = NAME + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename
"""


def make_sdist(folder: Path, name: str, version: str, backend: str | None = None) -> Path:
    """Write ``name-version.tar.gz``, an sdist that builds a one-module wheel.

    ``backend`` replaces its in-tree build backend (the source of ``backend.py``).
    """
    base = f"{name}-{version}"
    if backend is None:
        backend = _BACKEND.format(name=name, version=version, files=wheel_files(name, version))
    files = {
        "pyproject.toml": (
            '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n'
        ),
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        "backend.py": backend,
    }
    path = folder / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{base}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local folder of distributions: alpha (wheel), beta (wheel, needs alpha), gamma (sdist),
    delta 1.0 and 1.1 (wheels, for a pin that changes)."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    make_wheel(folder, "alpha", "1.0")
    make_wheel(folder, "beta", "2.0", requires=["alpha>=1"])
    make_sdist(folder, "gamma", "3.0")
    make_wheel(folder, "delta", "1.0")
    make_wheel(folder, "delta", "1.1")
    return folder


@pytest.fixture(scope="session")
def local_index(wheelhouse: Path) -> IndexOptions:
    """Index options that read the wheelhouse and nothing else."""
    return IndexOptions(find_links=(str(wheelhouse),), no_index=True)


def install_lock(
    interpreter: Interpreter,
    cache_dir: Path,
    key: str,
    installer: Installer,
    asked: list[ResolvedDependency],
    index: IndexOptions,
    *,
    jobs: int | None = None,
    progress: RecordingProgress | None = None,
    refusals: Refusals | None = None,
) -> InstallResult:
    """Install ``asked`` as a lock lists it into the environment ``key``, made if need be."""
    env = create_environment(interpreter, key, cache_dir=cache_dir, installer=installer)
    return install_dependencies(
        env,
        asked,
        complete=True,
        installer=installer,
        no_build=False,
        index_options=index,
        progress=progress,
        refusals=refusals,
        jobs=jobs,
    )


@pytest.fixture(scope="session")
def freethreaded(freethreaded_python: Path) -> Interpreter:
    """The free-threaded interpreter, as inspection describes it."""
    return inspect_interpreter(freethreaded_python)


def pin(name: str, version: str, line: int = 1) -> ResolvedDependency:
    """Return ``name==version`` as a requirements file at ``line`` would declare it."""
    return ResolvedDependency(
        name=canonicalize_name(name),
        origin=Origin(Path("requirements.txt"), line=line),
        version=Version(version),
    )


def uv_installer() -> UvInstaller:
    """uv, which the test extra installs."""
    uv = find_uv()
    assert uv is not None, "the tests need uv (the test extra installs it)"
    return UvInstaller(uv)


def installers() -> list[Installer]:
    """Both installers: pip, then uv."""
    return [PipInstaller(), uv_installer()]


@pytest.fixture(scope="module")
def refusing(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> IndexOptions:
    """Index options that read a folder holding alpha (a wheel) and ft-refuses-build (an sdist)."""
    folder = sdist_folder(
        freethreaded_python, tmp_path_factory.mktemp("sdists"), "ft-refuses-build"
    )
    make_wheel(folder, "alpha", "1.0")
    return IndexOptions(find_links=(str(folder),), no_index=True)
