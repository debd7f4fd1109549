"""``readiness deps`` end to end, through the real command line, on tests/assets/sources.

Locks are read as they are; requirements files are resolved by the real uv or pip against an
index served on 127.0.0.1, so that nothing leaves the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.sources.index import build_index, make_wheel, serve
from tests.sources.outcomes import ASSETS, LINUX_313_DEV, WINDOWS_310_DEV
from tests.sources.test_same_project import EXPECTED as SAME_PROJECT_SET
from tests.wheelindex import serve_index

LINUX = ("--platform", "linux-x86_64")


@pytest.fixture(scope="module")
def child_env(
    freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """The environment of every child: no user installer configuration, and a free-threaded
    interpreter on PATH for discovery to find (uv needs one to resolve for a synthesized
    free-threaded target)."""
    bin_dir = tmp_path_factory.mktemp("bin")
    # The link is named for the version the interpreter is (3.13.5t, provisioned by the tests).
    major, minor = _version_of(freethreaded_python)
    (bin_dir / f"python{major}.{minor}t").symlink_to(freethreaded_python)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "UV_INDEX_URL"}
    }
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["UV_NO_CONFIG"] = "1"
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def _version_of(python: Path) -> tuple[int, int]:
    completed = subprocess.run(
        [str(python), "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    major, minor = completed.stdout.split()
    return int(major), int(minor)


Deps = Callable[..., "subprocess.CompletedProcess[str]"]
"""``deps(*arguments)``: run ``readiness deps`` with these arguments."""


@pytest.fixture
def deps(child_env: dict[str, str], tmp_path: Path) -> Deps:
    """Run ``readiness deps`` in a child process with an empty cache, as a user would."""

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "readiness",
                "deps",
                *map(str, args),
                "--cache-dir",
                str(tmp_path / "cache"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=child_env,
        )

    return run


def listing(completed: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """Return the JSON document of a successful ``deps --format json``."""
    assert completed.returncode == 0, completed.stderr
    document: dict[str, Any] = json.loads(completed.stdout)
    return document


def installed(document: dict[str, Any]) -> set[tuple[str, str]]:
    """Return (name, version) of every distribution the document does not skip."""
    return {(d["name"], d["version"]) for d in document["distributions"] if not d["skipped"]}


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the document's distributions by name."""
    return {d["name"]: d for d in document["distributions"]}


# Locks: read as they are.


def test_uv_lock_lists_transitive_rows_and_skipped_ones_last(deps: Deps) -> None:
    completed = deps(ASSETS / "lockdemo" / "uv.lock", "--target", "3.13t", *LINUX)
    assert completed.returncode == 0, completed.stderr
    rows = [line for line in completed.stdout.splitlines() if line.startswith("│ ")]
    first_cells = [row.split("│")[1].strip() for row in rows]
    names = [cell for cell in first_cells if cell]
    resolved = sorted(name for name, _ in LINUX_313_DEV)
    skipped = ["click", "colorama", "exceptiongroup", "mdurl", "tomli", "typing-extensions"]
    assert names == [*resolved, *skipped]
    idna = next(row for row in rows if row.startswith("│ idna "))
    assert "anyio -> idna" in idna
    assert "│ index " in idna
    assert "skipped" in next(row for row in rows if row.startswith("│ tomli "))
    assert "9 distributions (3 direct, 6 transitive), 6 skipped" in completed.stderr


@pytest.mark.parametrize(
    "lock", ["poetry21/poetry.lock", "same-project/pdm/pdm.lock", "same-project/poetry/poetry.lock"]
)
def test_graph_locks_show_the_chain(deps: Deps, lock: str) -> None:
    completed = deps(ASSETS / lock, "--target", "3.13t", *LINUX, "--format", "json")
    found = by_name(listing(completed))
    assert found["sniffio"]["chain"] == ["anyio"]
    assert found["pluggy"]["chain"] == ["pytest"]
    assert (found["anyio"]["direct"], found["sniffio"]["direct"]) == (True, False)
    table = deps(ASSETS / lock, "--target", "3.13t", *LINUX)
    assert "anyio -> sniffio" in table.stdout
    assert "pytest -> pluggy" in table.stdout


@pytest.mark.parametrize(
    "lock", ["lockdemo/uv.lock", "lockdemo/pylock.toml", "poetry21/poetry.lock"]
)
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (["--target", "3.13t", *LINUX], LINUX_313_DEV),
        (["--target", "3.10", "--platform", "win-amd64"], WINDOWS_310_DEV),
    ],
    ids=["linux-3.13t", "windows-3.10"],
)
def test_the_target_selects_the_fork(
    deps: Deps, lock: str, target: list[str], expected: set[tuple[str, str]]
) -> None:
    document = listing(deps(ASSETS / lock, *target, "--format", "json"))
    assert installed(document) == expected


def test_json_document(deps: Deps, tmp_path: Path) -> None:
    report = tmp_path / "deps.json"
    lock = ASSETS / "lockdemo" / "uv.lock"
    completed = deps(
        lock, "--target", "3.10", "--platform", "win-amd64", "--format", "json", "--output", report
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    document = json.loads(report.read_text())
    assert document["schema_version"] == 1
    assert document["target"] == {
        "tag": "3.10",
        "platform": "win-amd64",
        "synthetic": True,
        "python": None,
    }
    assert document["input"] == {"path": str(lock), "kind": "uv.lock"}
    fields = {
        "name",
        "version",
        "provenance",
        "url",
        "editable",
        "direct",
        "declared_at",
        "chain",
        "skipped",
        "reason",
    }
    for distribution in document["distributions"]:
        assert set(distribution) == fields
    six = by_name(document)["six"]
    assert (six["version"], six["provenance"], six["skipped"]) == ("1.16.0", "index", False)
    assert six["declared_at"] == {"path": str(lock), "line": None, "entry": 'package "six" 1.16.0'}
    skipped = [d for d in document["distributions"] if d["skipped"]]
    assert [d["name"] for d in skipped] == ["click", "mdurl"]
    assert all(d["reason"] for d in skipped)
    assert document["distributions"][-len(skipped) :] == skipped


def test_python_option_uses_that_interpreters_target(deps: Deps, freethreaded_python: Path) -> None:
    document = listing(
        deps(ASSETS / "lockdemo" / "uv.lock", "--python", freethreaded_python, "--format", "json")
    )
    major, minor = _version_of(freethreaded_python)
    assert document["target"]["tag"] == f"{major}.{minor}t"
    assert document["target"]["synthetic"] is False
    assert document["target"]["python"] == str(freethreaded_python)


# Requirements files: resolved by the installer, against a local index.


@pytest.fixture(scope="module")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The simple index of tests/sources/index.py, served on 127.0.0.1."""
    with serve(build_index(tmp_path_factory.mktemp("index"))) as url:
        yield url


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_requirements_resolved_with_chains_and_a_skipped_line(
    deps: Deps, tmp_path: Path, index_url: str, installer: str
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"--index-url {index_url}\ngamma\nspeedy==1.0 ; sys_platform == 'win32'\n"
    )
    arguments = [requirements, "--target", "3.13t", *LINUX, "--installer", installer]
    document = listing(deps(*arguments, "--format", "json"))
    assert installed(document) == {("gamma", "1.0"), ("beta", "2.0"), ("alpha", "1.1")}
    found = by_name(document)
    assert found["gamma"]["direct"] is True
    assert found["gamma"]["declared_at"] == {"path": str(requirements), "line": 2, "entry": None}
    assert found["alpha"]["chain"] == ["gamma", "beta"]
    assert found["speedy"]["skipped"] is True
    assert 'sys_platform == "win32"' in found["speedy"]["reason"]
    assert found["speedy"]["version"] == "1.0"
    table = deps(*arguments).stdout
    assert "gamma -> beta -> alpha" in table
    assert table.index("speedy") > table.index("gamma -> beta -> alpha")


@pytest.fixture
def deps_without_uv(child_env: dict[str, str], tmp_path: Path) -> Deps:
    """Run ``readiness deps`` on a machine without uv: neither on PATH nor importable.

    readiness finds uv on PATH, else through the ``uv`` Python package (find_uv): PATH loses
    every folder holding a ``uv``, and a ``uv`` module that cannot be imported shadows the
    package (the child's children, the installers, never see PYTHONPATH).
    """
    shadow = tmp_path / "no-uv"
    (shadow / "uv").mkdir(parents=True)
    (shadow / "uv" / "__init__.py").write_text("raise ImportError('uv is not installed here')\n")
    env = dict(child_env)
    env["PATH"] = os.pathsep.join(
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "uv").exists()
    )
    env["PYTHONPATH"] = str(shadow)

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "readiness",
                "deps",
                *map(str, args),
                "--cache-dir",
                str(tmp_path / "cache"),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )

    return run


def test_a_hashed_fully_pinned_file_is_listed_without_uv(
    deps_without_uv: Deps, tmp_path: Path
) -> None:
    """As `uv export` writes it: hashes, markers, a pin with no free-threaded wheel."""
    folder = tmp_path / "dists"
    folder.mkdir()
    pins = {
        "alpha": ("1.1", "py3-none-any", ()),
        "beta": ("2.0", "py3-none-any", ("alpha>=1",)),
        "gamma": ("1.0", "py3-none-any", ("beta",)),
        # Only a GIL wheel: any resolver fails for 3.13t, and the listing must not.
        "speedy": ("2.0", "cp313-cp313-manylinux_2_17_x86_64", ()),
    }
    digests = {
        name: hashlib.sha256(make_wheel(folder, name, *pin).read_bytes()).hexdigest()
        for name, pin in pins.items()
    }

    def pinned(requirement: str, digest: str) -> str:
        return f"{requirement} \\\n    --hash=sha256:{digest}\n"

    asked: list[str] = []
    with serve_index(folder, asked) as url:
        requirements = tmp_path / "requirements.txt"
        requirements.write_text(
            "# This file was autogenerated by uv via the following command:\n"
            "#    uv export --no-emit-project\n"
            f"--index-url {url}\n"
            + pinned("alpha==1.1", digests["alpha"])
            + pinned("beta==2.0", digests["beta"])
            + "    # via gamma\n"
            + pinned("gamma==1.0", digests["gamma"])
            + pinned("speedy==2.0 ; sys_platform == 'linux'", digests["speedy"])
            + pinned("colorama==0.4.6 ; sys_platform == 'win32'", "0" * 64)
        )
        # uv is really out of reach: asked for, it is not found.
        refused = deps_without_uv(requirements, "--installer", "uv")
        assert refused.returncode == 2
        assert "uv is not installed" in refused.stderr

        documents = [
            listing(deps_without_uv(requirements, *target, "--format", "json"))
            for target in (["--target", "3.13t", *LINUX], ["--target", "3.14t"], [])
        ]
    # No resolver ran: the index was never asked.
    assert asked == []
    for document in documents:
        assert installed(document) == {(name, pin[0]) for name, pin in pins.items()}
        found = by_name(document)
        assert found["colorama"]["skipped"] is True
        assert found["gamma"]["declared_at"] == {
            "path": str(requirements),
            "line": 9,
            "entry": None,
        }


# Bad input: exit 2, and the message names the file.


def test_malformed_lock_exits_2_naming_the_line(deps: Deps, tmp_path: Path) -> None:
    lock = tmp_path / "poetry.lock"
    lock.write_text("[[package]]\nname = 'x'\nversion = = 1\n")
    completed = deps(lock)
    assert completed.returncode == 2
    assert f"{lock}:3" in completed.stderr
    assert completed.stdout == ""


def test_missing_file_exits_2_naming_it(deps: Deps, tmp_path: Path) -> None:
    completed = deps(tmp_path / "missing.lock")
    assert completed.returncode == 2
    assert f"{tmp_path / 'missing.lock'}: no such file or folder" in completed.stderr


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--target", "3.12t"], "no free-threaded build of Python 3.12"),
        (["--target", "3.14t", "--platform", "plan9"], "cannot synthesize the platform"),
        (["--python", "3.14t", "--target", "3.14t"], "--python reads the dependencies"),
    ],
)
def test_bad_target_exits_2(deps: Deps, arguments: list[str], message: str) -> None:
    completed = deps(ASSETS / "lockdemo" / "uv.lock", *arguments)
    assert completed.returncode == 2, completed.stderr
    assert message in completed.stderr


# One project locked by every tool: the same set through `readiness deps`.

SAME = ASSETS / "same-project"

# The distributions of same-project's graph, as their own metadata declares their dependencies
# (the wheels' METADATA at these versions), for the requirements files to be resolved offline.
SAME_PROJECT_WHEELS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "anyio",
        "4.11.0",
        (
            'exceptiongroup>=1.0.2; python_version < "3.11"',
            "idna>=2.8",
            "sniffio>=1.1",
            'typing-extensions>=4.5; python_version < "3.13"',
        ),
    ),
    ("click", "8.3.0", ('colorama; platform_system == "Windows"',)),
    ("colorama", "0.4.6", ()),
    ("exceptiongroup", "1.3.0", ('typing-extensions>=4.6.0; python_version < "3.13"',)),
    ("idna", "3.11", ()),
    ("iniconfig", "2.3.0", ()),
    ("packaging", "25.0", ()),
    ("pluggy", "1.6.0", ()),
    ("pygments", "2.19.2", ()),
    (
        "pytest",
        "8.4.2",
        (
            'colorama>=0.4; sys_platform == "win32"',
            'exceptiongroup>=1; python_version < "3.11"',
            "iniconfig>=1",
            "packaging>=20",
            "pluggy<2,>=1.5",
            "pygments>=2.7.2",
            'tomli>=1; python_version < "3.11"',
        ),
    ),
    ("sniffio", "1.3.1", ()),
    ("tomli", "2.3.0", ()),
    ("typing-extensions", "4.15.0", ()),
)


@pytest.fixture(scope="module")
def same_project_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A simple index on 127.0.0.1 serving same-project's distributions as small wheels."""
    root = tmp_path_factory.mktemp("same-project-index")
    files = root / "files"
    files.mkdir()
    for name, version, requires in SAME_PROJECT_WHEELS:
        wheel = make_wheel(files, name, version, "py3-none-any", requires)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        folder = root / "simple" / name
        folder.mkdir(parents=True)
        (folder / "index.html").write_text(
            f'<!DOCTYPE html><html><body>\n<a href="../../files/{wheel.name}#sha256={digest}">'
            f"{wheel.name}</a>\n</body></html>\n"
        )
    with serve(root) as url:
        yield url


def _pointed_at(requirements: Path, index_url: str, folder: Path) -> Path:
    """Copy ``requirements`` into ``folder`` with ``index_url`` as its only index."""
    lines = [
        line
        for line in requirements.read_text().splitlines()
        if not line.startswith(("--index-url", "-i "))
    ]
    copy = folder / requirements.name
    copy.write_text("\n".join([f"--index-url {index_url}", *lines]) + "\n")
    return copy


SAME_PROJECT_LOCKS: dict[str, tuple[str, Sequence[str]]] = {
    # tool: (file, the selection the tool itself was asked for: README.md, "same-project/")
    "uv.lock": ("uv/uv.lock", ("--extra", "cli")),
    "uv export": ("uv/pylock.toml", ()),
    "poetry": ("poetry/poetry.lock", ("--extra", "cli")),
    "pdm": ("pdm/pdm.lock", ("--extra", "cli")),
    "pipenv": ("pipenv/Pipfile.lock", ("--group", "dev")),
    "pip lock": ("pip/pylock.toml", ()),
    "pip-compile": ("pip-tools/requirements.txt", ()),
    "uv pip compile": ("uv-pip-compile/requirements.txt", ()),
}


@pytest.mark.parametrize("tool", sorted(SAME_PROJECT_LOCKS))
def test_every_tool_gives_the_same_set(
    deps: Deps, tool: str, same_project_index: str, tmp_path: Path
) -> None:
    name, selection = SAME_PROJECT_LOCKS[tool]
    path = SAME / name
    if path.suffix == ".txt":
        path = _pointed_at(path, same_project_index, tmp_path)
    document = listing(deps(path, *selection, "--target", "3.13t", *LINUX, "--format", "json"))
    assert installed(document) == SAME_PROJECT_SET
