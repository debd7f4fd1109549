"""The scanned project's own code: built from its folder, imported, its extensions probed.

The project (tests/assets/projects/ft-own) is built with setuptools from a real index on
127.0.0.1 by the real installer, on the real free-threaded interpreter. Its package imports
ft-gil, whose extension needs the GIL, from ``src/ft_own/core.py``; its own extension
``ft_own._speedups`` declares no ``Py_mod_gil`` slot.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name

from readiness.probe.interface import ImportSite, ModuleName
from readiness.project import (
    PORTING_GUIDE,
    PROJECT_MARKER,
    Project,
    SiteNames,
    binding_remedy,
    find_project,
)
from tests.sdists import setuptools_wheel
from tests.test_scan_cli import readiness
from tests.wheelhouse import build_wheelhouse
from tests.wheelindex import serve_index

PROJECT = Path(__file__).parent / "assets" / "projects" / "ft-own"

pytestmark = pytest.mark.freethreaded


@pytest.fixture(scope="module")
def index_url(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An index with ft-gil and the setuptools wheel that builds the project offline."""
    folder = build_wheelhouse(freethreaded_python, ["ft-gil"], tmp_path_factory.mktemp("index"))
    shutil.copy(setuptools_wheel(freethreaded_python), folder)
    with serve_index(folder) as url:
        yield url


def _project(tmp_path: Path, index_url: str) -> Path:
    folder = tmp_path / "ft-own"
    shutil.copytree(PROJECT, folder)
    (folder / "requirements.txt").write_text(f"--index-url {index_url}\nft-gil==1.0\n")
    return folder


def _scan(folder: Path, python: Path, cache: Path, *options: str) -> dict[str, Any]:
    result = readiness(
        "scan",
        folder / "requirements.txt",
        "--python",
        python,
        "--format",
        "json",
        "--offline",
        "--cache-dir",
        cache,
        *options,
    )
    assert result.returncode in (0, 1), result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


@pytest.fixture(scope="module")
def scanned(
    freethreaded_python: Path, index_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, dict[str, Any]]:
    """The project, the cache, and the JSON report of one scan of its requirements file."""
    tmp_path = tmp_path_factory.mktemp("scanned")
    folder = _project(tmp_path, index_url)
    cache = tmp_path / "cache"
    return folder, cache, _scan(folder, freethreaded_python, cache)


def test_the_project_is_built_and_probed_with_its_own_row_first(
    scanned: tuple[Path, Path, dict[str, Any]],
) -> None:
    folder, _, document = scanned
    [own, gil] = document["distributions"]
    assert (own["name"], own["project"], own["version"]) == ("ft-own", True, "0.1")
    assert own["declared_at"] == {
        "path": str(folder / "pyproject.toml"),
        "line": _line_of(folder / "pyproject.toml", 'name = "ft-own"'),
        "entry": None,
    }
    assert own["built_from_source"] is True
    assert (gil["name"], gil["project"], gil["verdict"]) == ("ft-gil", False, "gil-enabled")
    assert document["gate"]["passed"] is False


def test_a_culprit_its_code_imports_is_named_with_the_file_and_line(
    scanned: tuple[Path, Path, dict[str, Any]],
) -> None:
    folder, _, document = scanned
    own = document["distributions"][0]
    [reach] = own["reaches"]
    assert (reach["module"], reach["owner"], reach["through"]) == (
        "ft_gil._core",
        "ft-gil",
        "ft_own",
    )
    core_line = _line_of(folder / "src" / "ft_own" / "core.py", "import ft_gil")
    init_line = _line_of(folder / "src" / "ft_own" / "__init__.py", "from ft_own import core")
    # From the project's package down to the statement in ft-gil that loads the culprit.
    assert reach["chain"] == [
        {
            "file": "src/ft_own/__init__.py",
            "line": init_line,
            "statement": "from ft_own import core",
            "in_project": True,
        },
        {
            "file": "src/ft_own/core.py",
            "line": core_line,
            "statement": "import ft_gil",
            "in_project": True,
        },
        {
            "file": "ft_gil/__init__.py",
            "line": 3,
            "statement": "from ft_gil._core import answer",
            "in_project": False,
        },
    ]


def test_its_own_extension_without_the_slot_gets_the_binding_s_remedy(
    scanned: tuple[Path, Path, dict[str, Any]],
) -> None:
    folder, _, document = scanned
    own = document["distributions"][0]
    assert own["verdict"] == "gil-enabled"
    assert [culprit["module"] for culprit in own["culprits"]] == ["ft_own._speedups"]
    line = _line_of(
        folder / "src" / "ft_own" / "_speedups.c",
        "PyMODINIT_FUNC PyInit__speedups(void) { return PyModuleDef_Init(&module); }",
    )
    assert own["remedy"]["text"].startswith(
        f"C module ft_own._speedups, defined at src/ft_own/_speedups.c:{line}: "
        "add `{Py_mod_gil, Py_MOD_GIL_NOT_USED}` to its module slots"
    )
    assert own["evidence"]["index"] is None  # the index is never asked about the project


def test_the_markdown_says_where_the_project_imports_the_culprit(
    freethreaded_python: Path, scanned: tuple[Path, Path, dict[str, Any]]
) -> None:
    folder, cache, _ = scanned
    result = readiness(
        "scan",
        folder / "requirements.txt",
        "--python",
        freethreaded_python,
        "--offline",
        "--cache-dir",
        cache,
        "--format",
        "markdown",
    )
    core_line = _line_of(folder / "src" / "ft_own" / "core.py", "import ft_gil")
    assert f"imported at `src/ft_own/core.py:{core_line}`" in result.stdout
    assert "the scanned project's own code" in result.stdout


def test_an_unchanged_project_is_not_built_again_and_a_changed_one_is(
    freethreaded_python: Path, scanned: tuple[Path, Path, dict[str, Any]]
) -> None:
    folder, cache, first = scanned
    [marker] = cache.glob(f"envs/*/{PROJECT_MARKER}")
    built = marker.stat().st_mtime_ns
    again = _scan(folder, freethreaded_python, cache)
    assert marker.stat().st_mtime_ns == built  # not built, not installed again
    assert again["distributions"][0]["cached"] is True
    assert again["distributions"] == [
        {**dist, "cached": True, "import_seconds": again_dist["import_seconds"]}
        | {"modules": again_dist["modules"]}
        for dist, again_dist in zip(first["distributions"], again["distributions"], strict=True)
    ]

    # The project now declares its extension free-threading ready: rebuilt, probed anew.
    source = folder / "src" / "ft_own" / "_speedups.c"
    text = source.read_text(encoding="utf-8")
    source.write_text(
        text.replace("{{0, NULL}}", "{{Py_mod_gil, Py_MOD_GIL_NOT_USED}, {0, NULL}}"),
        encoding="utf-8",
    )
    fixed = _scan(folder, freethreaded_python, cache)
    own = fixed["distributions"][0]
    assert own["cached"] is False
    assert own["verdict"] == "ready"
    assert own["culprits"] == []
    assert [reach["module"] for reach in own["reaches"]] == ["ft_gil._core"]


def test_a_build_that_writes_into_the_tree_is_not_taken_for_a_change(
    freethreaded_python: Path, index_url: str, tmp_path: Path
) -> None:
    # As Cython writes its generated C beside its source: a new file at every build.
    folder = _project(tmp_path, index_url)
    with (folder / "setup.py").open("a", encoding="utf-8") as setup:
        setup.write(
            "\nimport pathlib, time\n"
            "pathlib.Path('src/ft_own/generated.txt').write_text(str(time.time_ns()))\n"
        )
    cache = tmp_path / "cache"
    _scan(folder, freethreaded_python, cache)
    [marker] = cache.glob(f"envs/*/{PROJECT_MARKER}")
    built = marker.stat().st_mtime_ns
    assert (folder / "src" / "ft_own" / "generated.txt").is_file()

    _scan(folder, freethreaded_python, cache)

    assert marker.stat().st_mtime_ns == built


def test_no_project_leaves_it_out(
    freethreaded_python: Path, scanned: tuple[Path, Path, dict[str, Any]]
) -> None:
    folder, cache, _ = scanned
    document = _scan(folder, freethreaded_python, cache, "--no-project")
    assert [dist["name"] for dist in document["distributions"]] == ["ft-gil"]


def test_a_project_that_cannot_be_built_is_a_warning_not_a_row(
    freethreaded_python: Path, index_url: str, tmp_path: Path
) -> None:
    folder = _project(tmp_path, index_url)
    (folder / "src" / "ft_own" / "_speedups.c").write_text("#error not today\n")
    document = _scan(folder, freethreaded_python, tmp_path / "cache")
    assert [dist["name"] for dist in document["distributions"]] == ["ft-gil"]
    [warning] = [w for w in document["warnings"] if "ft-own" in w]
    assert "could not be built and installed, so its own code was not probed" in warning
    assert "not today" in warning


# Finding the project, and its bindings: no interpreter needed.


@pytest.mark.parametrize(
    ("pyproject", "setup_py", "found"),
    [
        ('[project]\nname = "App"\n[build-system]\nrequires = ["hatchling"]\n', False, "app"),
        ('[tool.poetry]\nname = "app"\n[build-system]\nrequires = ["poetry-core"]\n', False, "app"),
        ('[project]\nname = "app"\n', True, "app"),
        ('[project]\nname = "app"\n[tool.uv]\npackage = true\n', False, "app"),
        # uv installs no project without a build system (a virtual one); nor do these.
        ('[project]\nname = "app"\n', False, None),
        ('[project]\nname = "app"\n[build-system]\n[tool.uv]\npackage = false\n', False, None),
        ('[tool.poetry]\nname = "app"\npackage-mode = false\n[build-system]\n', False, None),
        ('[project]\nversion = "1"\n[build-system]\nrequires = ["x"]\n', False, None),
        ('[tool.readiness]\nfail-on = ["crashed"]\n', False, None),
    ],
)
def test_a_project_is_one_that_builds_a_package(
    tmp_path: Path, pyproject: str, setup_py: bool, found: str | None
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    if setup_py:
        (tmp_path / "setup.py").write_text("")
    project = find_project(tmp_path)
    assert (project.name if project is not None else None) == found


def test_a_malformed_pyproject_beside_the_file_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\nname = "again"\n')
    (tmp_path / "requirements.txt").write_text("")
    result = readiness("scan", tmp_path / "requirements.txt", "--python", "3.13t")
    assert result.returncode == 2
    assert f"{tmp_path / 'pyproject.toml'}:3" in result.stderr


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "src/pkg/_fast.pyx",
            "def f(): pass\n",
            "Cython module pkg._fast, defined at src/pkg/_fast.pyx:1: add the directive "
            "`# cython: freethreading_compatible = True` at the top",
        ),
        (
            "src/lib.rs",
            "use pyo3::prelude::*;\n\n#[pymodule]\nfn _fast(m: &Bound<'_, PyModule>) {}\n",
            "PyO3 module pkg._fast, defined at src/lib.rs:3: declare it "
            "`#[pymodule(gil_used = false)]`",
        ),
        (
            "src/ext.cpp",
            "#include <nanobind/nanobind.h>\n\nNB_MODULE(_fast, m) {}\n",
            "nanobind module pkg._fast, defined at src/ext.cpp:3: pass `nb::gil_not_used()`",
        ),
        (
            "src/ext.cpp",
            "#include <pybind11/pybind11.h>\nPYBIND11_MODULE(_fast, m) {}\n",
            "pybind11 module pkg._fast, defined at src/ext.cpp:2: pass `py::mod_gil_not_used()`",
        ),
    ],
)
def test_the_remedy_is_the_binding_s_own_declaration(
    tmp_path: Path, path: str, text: str, expected: str
) -> None:
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(text)
    project = Project(tmp_path, canonicalize_name("pkg"), tmp_path / "pyproject.toml", None)
    remedy = binding_remedy(project, ModuleName("pkg._fast"), list(project.files()))
    assert remedy.text.startswith(expected)
    assert remedy.text.endswith(f"({PORTING_GUIDE})")


def test_the_project_s_state_skips_outputs_and_environments(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    for skipped in (".git", "build", "node_modules", "pkg/__pycache__", "pkg.egg-info", "env"):
        (tmp_path / skipped).mkdir(parents=True, exist_ok=True)
    (tmp_path / "env" / "pyvenv.cfg").write_text("")
    project = Project(tmp_path, canonicalize_name("pkg"), tmp_path / "pyproject.toml", None)
    before = project.state()
    for skipped in (".git", "build", "node_modules", "pkg/__pycache__", "pkg.egg-info", "env"):
        (tmp_path / skipped / "x").write_text("noise")
    assert project.state() == before
    assert [p.relative_to(tmp_path).as_posix() for p in project.files()] == ["pkg/__init__.py"]
    (tmp_path / "pkg" / "core.py").write_text("")
    assert project.state() != before


def test_a_site_is_named_in_the_project_s_tree(tmp_path: Path) -> None:
    site_packages = tmp_path / "site-packages"
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "core.py").write_text("")
    project = Project(tmp_path, canonicalize_name("pkg"), tmp_path / "pyproject.toml", None)
    names = SiteNames((site_packages,), project, frozenset({"pkg/core.py"}))
    seen = os.fspath(site_packages / "pkg" / "core.py")
    assert names.site(ImportSite(seen, 3, "numpy")) == ImportSite(
        "src/pkg/core.py", 3, "numpy", in_project=True
    )
    other = os.fspath(site_packages / "numpy" / "__init__.py")
    assert names.site(ImportSite(other, 9, "._core")) == ImportSite(
        "numpy/__init__.py", 9, "._core"
    )
    assert names.site(ImportSite("/usr/lib/x.py", 1, "y")) == ImportSite("/usr/lib/x.py", 1, "y")
