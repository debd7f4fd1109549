"""Probe environments of the free-threaded interpreter, filled with the fixture packages."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.wheelhouse import PACKAGES, build_wheelhouse

STACK = (
    "ft-ready",
    "ft-gil",
    "ft-gil-two",
    "ft-single-ok",
    "ft-single-gil",
    "ft-pure-importer",
    "ft-lazy",
    "ft-segfault",
    "ft-hang",
    "ft-flood",
    "ft-exit",
    "ft-layout",
)
"""Every fixture distribution of the main probe environment."""

STARTUP_STACK = ("ft-startup-gil", "ft-ready")
"""A second environment, whose .pth file enables the GIL at start-up."""

HOSTILE_STACK = ("ft-daemon", "ft-fork", "ft-hang", "ft-ready", "ft-segfault")
"""A third environment, of modules that fight the probe's processes rather than its imports."""


@dataclass(frozen=True)
class ProbeVenv:
    """A virtual environment of the free-threaded interpreter with fixture wheels installed."""

    python: Path
    """The environment's interpreter."""

    site_packages: tuple[Path, ...]
    """Its purelib and platlib directories (one when they coincide)."""


def _uv() -> str:
    # The test environment's uv sits beside the Python running the tests, on PATH or not.
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is needed to install the fixture wheels (pip install uv)")
    return found


def make_venv(
    python: Path, root: Path, wheelhouse: Path, distributions: Iterable[str]
) -> ProbeVenv:
    """Create a venv of ``python`` in ``root`` and install ``distributions`` from ``wheelhouse``."""
    subprocess.run(
        [str(python), "-m", "venv", "--without-pip", str(root)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    venv_python = root / "bin" / "python"
    subprocess.run(
        [
            _uv(),
            "pip",
            "install",
            "--python",
            str(venv_python),
            "--no-index",
            "--offline",
            "--find-links",
            str(wheelhouse),
            *distributions,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    paths = json.loads(
        subprocess.run(
            [
                str(venv_python),
                "-I",
                "-c",
                "import json, sysconfig; p = sysconfig.get_paths(); "
                "print(json.dumps([p['purelib'], p['platlib']]))",
            ],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    return ProbeVenv(
        python=venv_python,
        site_packages=tuple(Path(path) for path in dict.fromkeys(paths)),
    )


@pytest.fixture(scope="session")
def wheelhouse(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture package, built as a wheel for the free-threaded interpreter."""
    names = sorted(path.name for path in PACKAGES.iterdir() if (path / "fixture.toml").is_file())
    return build_wheelhouse(freethreaded_python, names, tmp_path_factory.mktemp("wheelhouse"))


@pytest.fixture(scope="session")
def probe_venv(
    freethreaded_python: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProbeVenv:
    """The main probe environment: every fixture of STACK installed."""
    return make_venv(freethreaded_python, tmp_path_factory.mktemp("venv") / "v", wheelhouse, STACK)


@pytest.fixture(scope="session")
def startup_gil_venv(
    freethreaded_python: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProbeVenv:
    """An environment whose .pth file loads a module that needs the GIL at every start."""
    root = tmp_path_factory.mktemp("startup-venv") / "v"
    return make_venv(freethreaded_python, root, wheelhouse, STARTUP_STACK)


@pytest.fixture(scope="session")
def hostile_venv(
    freethreaded_python: Path, wheelhouse: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProbeVenv:
    """An environment of modules that fork, leave processes behind, crash or hang."""
    root = tmp_path_factory.mktemp("hostile-venv") / "v"
    return make_venv(freethreaded_python, root, wheelhouse, HOSTILE_STACK)
