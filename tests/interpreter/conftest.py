"""Fixtures for the interpreter tests: stand-in executables and the real interpreters."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness._cache import atomic_write
from readiness._state import Progress
from readiness.interpreter.inspect import inspect_interpreter
from readiness.interpreter.interface import Interpreter


class RecordingProgress(Progress):
    """A Progress that remembers every phase and line it was given."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.lines: list[str] = []

    def start(self, phase: str, total: int | None = None) -> None:
        self.phases.append(phase)

    def message(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture
def progress() -> RecordingProgress:
    return RecordingProgress()


@pytest.fixture(scope="session")
def freethreaded(freethreaded_python: Path) -> Interpreter:
    """The free-threaded interpreter, as inspection describes it."""
    return inspect_interpreter(freethreaded_python)


def script(path: Path, body: str) -> Path:
    """Write an executable shell script at ``path`` (a stand-in for an interpreter)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def link(path: Path, target: Path) -> Path:
    """Make ``path`` a symbolic link to ``target`` (Python finds its prefix through it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def provision_by_hand(cache_dir: Path, version: str, target: Path, *, marker: bool = True) -> Path:
    """Lay out ``cache_dir/python/cpython-<version>t`` as readiness provisions it."""
    minor = version.split(".")[1]
    root = cache_dir / "python" / f"cpython-{version}t"
    executable = link(root / "bin" / f"python3.{minor}t", target)
    if marker:
        atomic_write(
            root / ".readiness-complete",
            f'{{"version": "{version}", "executable": "bin/python3.{minor}t"}}\n',
        )
    return executable


def bare_machine(home: Path) -> dict[str, str]:
    """Return a child's environment on a machine with no free-threaded interpreter.

    Nothing on PATH but the system's, no pyenv, no uv-managed Python, in the empty ``home``
    (made here); the readiness cache is the caller's to keep empty.
    """
    home.mkdir()
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYENV_ROOT": str(home / "pyenv"),
        "UV_PYTHON_INSTALL_DIR": str(home / "uv-python"),
    }


@pytest.fixture
def isolated_search(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point PATH, PYENV_ROOT and uv's install folder at empty folders; return PATH's."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "uv-python"))
    return bin_dir


GIL_PYTHON = Path(sys.executable)
"""The interpreter running the tests: a default build, with the GIL."""


@pytest.fixture(scope="session")
def gil_reenabling_venv(
    freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A venv of the free-threaded interpreter whose start-up imports a GIL-needing module.

    A compiled single-phase module that never calls PyUnstable_Module_SetGIL, imported
    from a .pth file: the interpreter switches its GIL on before any user code runs.
    """
    root = tmp_path_factory.mktemp("gil-venv")
    venv = root / "venv"
    subprocess.run(
        [str(freethreaded_python), "-m", "venv", "--without-pip", str(venv)],
        check=True,
        timeout=60,
    )
    paths = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['include']); "
            "print(sysconfig.get_paths()['purelib']); "
            "print(sysconfig.get_config_var('EXT_SUFFIX'))",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout.split()
    include, site_packages, suffix = paths
    source = root / "gilext.c"
    source.write_text(
        "#include <Python.h>\n"
        'static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "gilext", NULL, -1, NULL};\n'
        "PyMODINIT_FUNC PyInit_gilext(void) { return PyModule_Create(&def); }\n",
        encoding="utf-8",
    )
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            f"-I{include}",
            str(source),
            "-o",
            str(Path(site_packages) / f"gilext{suffix}"),
        ],
        check=True,
        timeout=120,
        env={**os.environ, "LC_ALL": "C"},
    )
    (Path(site_packages) / "gilext.pth").write_text("import gilext\n", encoding="utf-8")
    return venv / "bin" / "python"
