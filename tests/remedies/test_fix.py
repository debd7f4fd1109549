"""``scan --fix``: the verified upgrades written into the files, then a scan again.

The local index of test_verify.py: ft-upgrade 3.0 keeps the GIL off and needs ft-helper 2.0;
no release of ft-stuck does. pip-compile is the real one, from pip-tools installed from the
index into a venv of the free-threaded interpreter (so it resolves for the fixtures' tags).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from readiness._uv import find_uv
from readiness.remedies.fix import (
    FileEdit,
    FixError,
    Fixes,
    LockCommand,
    carry_out,
    pip_compile_command,
    raised,
    raised_poetry,
)
from tests.remedies.test_verify import RELEASES
from tests.test_scan_cli import readiness
from tests.wheelhouse import build_wheelhouse
from tests.wheelindex import serve_index

pytestmark = pytest.mark.freethreaded


@pytest.fixture(scope="module")
def wheels(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheelhouse(freethreaded_python, RELEASES, tmp_path_factory.mktemp("index"))


@pytest.fixture(scope="module")
def index(wheels: Path) -> Iterator[str]:
    with serve_index(wheels) as url:
        yield url


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: each release is verified once."""
    return tmp_path_factory.mktemp("cache")


def digests(wheels: Path, name: str, version: str) -> list[str]:
    """The SHA-256 of every file of ``name`` ``version`` in the wheelhouse, sorted."""
    files = wheels.glob(f"{name.replace('-', '_')}-{version}-*")
    return sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in files)


def fix(
    reqs: Path, python: Path, cache: Path, *flags: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = readiness(
        "scan", reqs, "--python", python, "--cache-dir", cache, "--format", "json", *flags, env=env
    )
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result, {dist["name"]: dist for dist in report.get("distributions", [])}


def test_dry_run_prints_the_diff_and_changes_nothing(
    freethreaded_python: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    reqs = tmp_path / "requirements.txt"
    text = (
        "# The stack, pinned.\n"
        f"--index-url {index}\n"
        "ft-upgrade==1.0  # until it is free-threaded\n"
        "ft-stuck==1.0  # \x1b[2J a stranger's comment\n"
        "FT_Helper == 1.0\n"
    )
    reqs.write_text(text)

    result, found = fix(reqs, freethreaded_python, cache, "--fix", "--dry-run")

    assert result.returncode == 1, result.stderr
    assert reqs.read_text() == text
    assert "-ft-upgrade==1.0  # until it is free-threaded\n" in result.stderr
    assert "+ft-upgrade==3.0  # until it is free-threaded\n" in result.stderr
    assert "+FT_Helper == 2.0\n" in result.stderr
    assert "ft-stuck" not in "".join(
        line for line in result.stderr.splitlines(keepends=True) if line.startswith(("+", "-"))
    )
    assert "--dry-run: nothing changed" in result.stderr
    # The diff's context shows the file's control characters, never sends them.
    assert "\x1b" not in result.stderr
    assert " ft-stuck==1.0  # \\x1b[2J a stranger's comment\n" in result.stderr
    assert found["ft-upgrade"]["version"] == "1.0"


def test_fix_moves_the_pins_and_their_hashes_then_scans_again(
    freethreaded_python: Path, wheels: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    def pinned(name: str, version: str) -> str:
        hashes = "".join(f" \\\n    --hash=sha256:{d}" for d in digests(wheels, name, version))
        return f"{name}=={version}{hashes}\n"

    reqs = tmp_path / "requirements.txt"
    reqs.write_text(
        f"--index-url {index}\n"
        + pinned("ft-upgrade", "1.0")
        + "    # via the app\n"
        + pinned("ft-stuck", "1.0")
        + pinned("ft-helper", "1.0")
    )

    result, found = fix(reqs, freethreaded_python, cache, "--fix")

    assert result.returncode == 1, result.stderr
    assert f"fixed {reqs}" in result.stderr
    assert reqs.read_text() == (
        f"--index-url {index}\n"
        + pinned("ft-upgrade", "3.0")
        + "    # via the app\n"
        + pinned("ft-stuck", "1.0")
        + pinned("ft-helper", "2.0")
    )
    # The report is the scan of the fixed file: what is left is ft-stuck.
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")
    assert found["ft-helper"]["version"] == "2.0"
    assert found["ft-stuck"]["verdict"] == "gil-enabled"
    assert list(tmp_path.glob(".requirements.txt.*")) == []


def test_fix_goes_with_a_probe_scan_only(tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("six==1.16.0\n")
    for flags in (["--fix", "--static"], ["--fix", "--offline"], ["--dry-run"]):
        result = readiness("scan", reqs, *flags)
        assert result.returncode == 2, (flags, result.stderr)
        assert ("--dry-run goes with --fix" if flags == ["--dry-run"] else "--fix applies") in (
            result.stderr
        )


def uv_lock(project: Path, python: Path, *pins: str) -> None:
    """Lock ``project`` with the real uv, for ``python``, at ``pins`` where they fit."""
    uv = find_uv()
    assert uv is not None
    subprocess.run(
        [uv, "lock", "--python", python, *(f"--upgrade-package={pin}" for pin in pins)],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_fix_moves_a_uv_lock_with_uv_itself(
    freethreaded_python: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.13"\n'
        'dependencies = ["ft-upgrade", "ft-stuck"]\n\n'
        f'[[tool.uv.index]]\nurl = "{index}"\ndefault = true\n'
    )
    # The lock pins the releases of today's stack, older than what the index offers.
    uv_lock(project, freethreaded_python, "ft-upgrade==1.0", "ft-stuck==1.0", "ft-helper==1.0")
    lock = (project / "uv.lock").read_text()
    assert 'name = "ft-upgrade"\nversion = "1.0"' in lock

    # The installer takes the lock's names and versions from the user's index: this one.
    env = {**os.environ, "UV_DEFAULT_INDEX": index}
    result, found = fix(project, freethreaded_python, cache, "--fix", env=env)

    assert result.returncode == 1, result.stderr
    assert "ran: (cd " in result.stderr
    assert "uv lock --upgrade-package ft-upgrade==3.0" in result.stderr
    moved = (project / "uv.lock").read_text()
    assert 'name = "ft-upgrade"\nversion = "3.0"' in moved
    assert 'name = "ft-helper"\nversion = "2.0"' in moved
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")
    assert found["ft-stuck"]["verdict"] == "gil-enabled"


def test_fix_raises_the_pyproject_then_uv_relocks_within_it(
    freethreaded_python: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    project = tmp_path / "app"
    project.mkdir()
    text = (
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.13"\n'
        'dependencies = ["ft-upgrade>=1.0,<2", "ft-stuck"]\n\n'
        f'[[tool.uv.index]]\nurl = "{index}"\ndefault = true\n'
    )
    (project / "pyproject.toml").write_text(text)
    uv_lock(project, freethreaded_python, "ft-stuck==1.0", "ft-helper==1.0")
    assert 'name = "ft-upgrade"\nversion = "1.0"' in (project / "uv.lock").read_text()

    # The pyproject.toml itself is scanned: its constraint is raised, and the lock beside it
    # moved by uv within the new constraint, never by hand.
    env = {**os.environ, "UV_DEFAULT_INDEX": index}
    result, found = fix(project / "pyproject.toml", freethreaded_python, cache, "--fix", env=env)

    assert result.returncode == 1, result.stderr
    assert (project / "pyproject.toml").read_text() == text.replace(
        '"ft-upgrade>=1.0,<2"', '"ft-upgrade>=3.0"'
    )
    assert "uv lock --upgrade-package=ft-upgrade" in result.stderr.replace("\n", "")
    moved = (project / "uv.lock").read_text()
    assert 'name = "ft-upgrade"\nversion = "3.0"' in moved
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("==1.0", "==3.0"),
        (">=1.0,<2", ">=3.0"),
        ("~=1.0", ">=3.0"),
        (">=1.0,!=2.5,<4", ">=3.0,!=2.5,<4"),
        ("", ">=3.0"),
    ],
)
def test_a_constraint_is_raised_to_take_the_upgrade(before: str, after: str) -> None:
    assert raised(SpecifierSet(before), Version("3.0")) == SpecifierSet(after)


def write_project(tmp_path: Path, text: str) -> Path:
    """Write ``app/pyproject.toml`` with ``text``, its line ends as given; return its path."""
    project = tmp_path / "app"
    project.mkdir()
    pyproject = project / "pyproject.toml"
    pyproject.write_bytes(text.encode())
    return pyproject


def test_fix_raises_the_constraint_in_pyproject_and_keeps_the_rest(
    freethreaded_python: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    pyproject = write_project(
        tmp_path,
        "[project]\n"
        'name = "app"  # the application\n'
        'version = "0"\n'
        "dependencies = [\n"
        "    'ft-upgrade >= 1.0, < 2',  # its 1.x series\n"
        '    "ft-stuck",\n'
        "]\n",
    )

    env = {**os.environ, "UV_DEFAULT_INDEX": index}
    result, found = fix(pyproject.parent, freethreaded_python, cache, "--fix", env=env)

    assert result.returncode == 1, result.stderr
    assert pyproject.read_text() == (
        "[project]\n"
        'name = "app"  # the application\n'
        'version = "0"\n'
        "dependencies = [\n"
        "    'ft-upgrade>=3.0',  # its 1.x series\n"
        '    "ft-stuck",\n'
        "]\n"
    )
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("^2.1", "^3.0.2"),
        ("~2.1", "~3.0.2"),
        ("2.1.5", "3.0.2"),
        ("==2.1.5", "==3.0.2"),
        ("2.*", "^3.0.2"),
        ("2.1.*", "~3.0.2"),
        ("*", ">=3.0.2"),
        (">=1.2,<2", ">=3.0.2"),
        (">=1.2, <4, !=3.1", ">=3.0.2, <4, !=3.1"),
        (">= 1.2 < 4.0", ">=3.0.2 < 4.0"),
        ("^1.2,!=3.0.2", "^3.0.2"),
    ],
)
def test_a_poetry_constraint_is_raised_in_poetry_syntax(before: str, after: str) -> None:
    assert raised_poetry(before, Version("3.0.2")) == after


def test_a_poetry_or_is_not_raised() -> None:
    with pytest.raises(ValueError, match="is an `or`"):
        raised_poetry("^1.2 || ^2.0", Version("3.0.2"))


def without_on_path(*tools: str) -> dict[str, str]:
    """Our environment, with the folders that hold any of ``tools`` left out of PATH."""
    folders = os.environ.get("PATH", "").split(os.pathsep)
    kept = [f for f in folders if not any((Path(f) / tool).exists() for tool in tools)]
    return {**os.environ, "PATH": os.pathsep.join(kept)}


def test_fix_raises_a_poetry_constraint_then_relocks_beside_it(
    freethreaded_python: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    text = (
        "[tool.poetry]\r\n"
        'name = "app"\r\n'
        'version = "0"\r\n'
        "\r\n"
        "[tool.poetry.dependencies]\r\n"
        'python = "^3.13"\r\n'
        'ft-upgrade = "^1.0"  # its 1.x series\r\n'
        "ft-stuck = '*'\r\n"
        "\r\n"
        "[tool.poetry.group.dev.dependencies]\r\n"
        'FT_Helper = { version = "1.0", optional = false }\r\n'
    )
    pyproject = write_project(tmp_path, text)
    project = pyproject.parent
    lock = project / "poetry.lock"
    lock.write_text("# The lock poetry keeps; moved by poetry itself, never by hand.\n")
    # poetry, where installed, would relock: this test shows what readiness asks of it.
    env = {**without_on_path("poetry"), "UV_DEFAULT_INDEX": index}

    result, found = fix(pyproject, freethreaded_python, cache, "--fix", "--dry-run", env=env)

    assert result.returncode == 1, result.stderr
    assert pyproject.read_bytes() == text.encode()
    assert '-ft-upgrade = "^1.0"  # its 1.x series\n' in result.stderr
    assert '+ft-upgrade = "^3.0"  # its 1.x series\n' in result.stderr
    assert '+FT_Helper = { version = "2.0", optional = false }\n' in result.stderr
    assert f"would run: (cd {project} && poetry update --lock ft-upgrade ft-helper)" in (
        result.stderr.replace("\n", "")
    )

    result, found = fix(pyproject, freethreaded_python, cache, "--fix", env=env)

    assert result.returncode == 1, result.stderr
    assert pyproject.read_bytes() == (
        text.replace('"^1.0"', '"^3.0"').replace('"1.0"', '"2.0"').encode()
    )
    assert "run yourself (the tool is not installed): (cd " in result.stderr
    assert lock.read_text().startswith("# The lock poetry keeps")
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")
    assert found["ft-helper"]["version"] == "2.0"


@pytest.fixture(scope="module")
def poetry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """poetry, from the index, in a venv of the interpreter that runs the tests."""
    return installed(Path(sys.executable), "poetry", tmp_path_factory.mktemp("poetry"))


@pytest.mark.network
def test_fix_raises_a_poetry_constraint_and_poetry_relocks_within_it(
    freethreaded_python: Path, index: str, cache: Path, poetry: Path, tmp_path: Path
) -> None:
    text = (
        "[tool.poetry]\n"
        'name = "app"\n'
        'version = "0"\n'
        "package-mode = false\n"
        "\n"
        "[tool.poetry.dependencies]\n"
        'python = ">=3.11"\n'
        'ft-upgrade = "^1.0"\n'
        "\n"
        "[tool.poetry.group.dev.dependencies]\n"
        'ft-helper = "~1.0"\n'
        "\n"
        "[[tool.poetry.source]]\n"
        'name = "fixtures"\n'
        f'url = "{index}"\n'
        'priority = "primary"\n'
    )
    pyproject = write_project(tmp_path, text)
    lock = pyproject.parent / "poetry.lock"
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(poetry), os.environ.get("PATH", "")]),
        # poetry keeps its cache and the project's venv here, not in the user's.
        "POETRY_CACHE_DIR": str(tmp_path / "poetry-cache"),
        "POETRY_VIRTUALENVS_PATH": str(tmp_path / "poetry-venvs"),
        "UV_DEFAULT_INDEX": index,
    }
    lock_it = ["poetry", "lock"]
    subprocess.run(
        lock_it, cwd=pyproject.parent, env=env, check=True, capture_output=True, timeout=600
    )
    assert 'name = "ft-upgrade"\nversion = "1.0"' in lock.read_text()

    result, found = fix(pyproject, freethreaded_python, cache, "--fix", env=env)

    # Nothing is left after the fix: the gate passes on the scan of the fixed file.
    assert result.returncode == 0, result.stderr
    assert "poetry update --lock ft-upgrade ft-helper)" in result.stderr.replace("\n", "")
    assert "ran: (cd " in result.stderr
    # poetry moved its lock within the raised constraints and left them as written.
    assert pyproject.read_text() == text.replace('"^1.0"', '"^3.0"').replace('"~1.0"', '"~2.0"')
    moved = lock.read_text()
    assert 'name = "ft-upgrade"\nversion = "3.0"' in moved
    assert 'name = "ft-helper"\nversion = "2.0"' in moved
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")


def test_a_failed_lock_tool_puts_every_file_back(tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("ft-upgrade==1.0\n")
    reqs.chmod(0o640)
    empty = tmp_path / "no-project"
    empty.mkdir()
    (empty / "uv.lock").write_text("version = 1\n")
    edit = FileEdit(reqs, "ft-upgrade==1.0\n", "ft-upgrade==3.0\n")
    # uv itself refuses: there is no project in the folder to lock.
    relock = LockCommand(
        empty, ("uv", "lock", "--upgrade-package", "ft-upgrade==3.0"), (empty / "uv.lock",)
    )

    with pytest.raises(FixError, match="failed in"):
        carry_out(Fixes(edits=(edit,), commands=(relock,)))

    assert reqs.read_text() == "ft-upgrade==1.0\n"
    assert reqs.stat().st_mode & 0o777 == 0o640
    assert (empty / "uv.lock").read_text() == "version = 1\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["no-project", "requirements.txt"]


PIP_COMPILE_HEADER = (
    "#\n"
    "# This file is autogenerated by pip-compile with Python 3.13\n"
    "# by the following command:\n"
    "#\n"
    "#    pip-compile --generate-hashes requirements.in\n"
    "#\n"
)
"""The header pip-compile (pip-tools 7) writes above what it compiled."""


@pytest.mark.parametrize(
    ("header", "command"),
    [
        (PIP_COMPILE_HEADER, ["pip-compile", "--generate-hashes", "requirements.in"]),
        (
            "#\n# This file is autogenerated by pip-compile\n# To update, run:\n#\n"
            "#    pip-compile --output-file='my reqs.txt' requirements.in\n#\n",
            ["pip-compile", "--output-file=my reqs.txt", "requirements.in"],
        ),
        (PIP_COMPILE_HEADER.replace("pip-compile --generate", "make reqs # --generate"), None),
        ("# pip-compile --generate-hashes requirements.in\n", None),
        ("six==1.16.0\n" + PIP_COMPILE_HEADER, None),
    ],
    ids=["pip-tools-7", "older", "custom-command", "no-mark", "not-a-header"],
)
def test_a_pip_compile_header_names_its_command(header: str, command: list[str] | None) -> None:
    assert pip_compile_command(header + "six==1.16.0\n") == command


def pip_compiled(
    folder: Path, index: str, wheels: Path, *, edited: dict[str, str] | None = None
) -> str:
    """requirements.txt as pip-compile --generate-hashes writes it for the stack at 1.0.

    ``edited``: the releases to pin instead, with their hashes (as readiness edits it).
    """
    folder.mkdir()
    (folder / "requirements.in").write_text(
        f"--index-url {index}\nft-upgrade\nft-stuck\nft-helper\n"
    )
    versions = {"ft-helper": "1.0", "ft-stuck": "1.0", "ft-upgrade": "1.0", **(edited or {})}
    return (
        PIP_COMPILE_HEADER
        + f"--index-url {index}\n\n"
        + "".join(
            f"{name}=={version}"
            + "".join(f" \\\n    --hash=sha256:{d}" for d in digests(wheels, name, version))
            + "\n    # via -r requirements.in\n"
            for name, version in sorted(versions.items())
        )
    )


def test_without_pip_compile_its_output_is_edited_in_place_and_says_so(
    freethreaded_python: Path, wheels: Path, index: str, cache: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "app"
    reqs = folder / "requirements.txt"
    reqs.write_text(pip_compiled(folder, index, wheels))
    env = without_on_path("pip-compile")

    result, found = fix(reqs, freethreaded_python, cache, "--fix", env=env)

    assert result.returncode == 1, result.stderr
    assert "pip-compile was not found, so" in result.stderr
    assert "is edited in place" in result.stderr
    edited = {"ft-upgrade": "3.0", "ft-helper": "2.0"}
    assert reqs.read_text() == pip_compiled(tmp_path / "expected", index, wheels, edited=edited)
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")


def installed(python: Path, package: str, folder: Path) -> Path:
    """Return the bin folder of a new venv of ``python`` in ``folder`` with ``package`` from
    the index."""
    venv = folder / "venv"
    subprocess.run([python, "-m", "venv", venv], check=True, timeout=300)
    pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "install", "-q", package]
    subprocess.run(pip, check=True, capture_output=True, timeout=600)
    return venv / "bin"


@pytest.fixture(scope="module")
def pip_tools(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip-tools in a venv of the free-threaded interpreter: it resolves for the fixtures' tags."""
    return installed(freethreaded_python, "pip-tools", tmp_path_factory.mktemp("pip-tools"))


def pip_compile_env(pip_tools: Path) -> dict[str, str]:
    """pip-compile first on PATH, reading no pip configuration: only the file's own index."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    path = os.pathsep.join([str(pip_tools), env.get("PATH", "")])
    return {**env, "PATH": path, "PIP_CONFIG_FILE": os.devnull}


def compile_stack(folder: Path, pip_tools: Path, requirements_in: str, *pins: str) -> Path:
    """requirements.txt as the real pip-compile --generate-hashes writes it, ``pins`` chosen."""
    folder.mkdir()
    (folder / "requirements.in").write_text(requirements_in)
    upgrades = [f"--upgrade-package={pin}" for pin in pins]
    subprocess.run(
        ["pip-compile", "--quiet", "--generate-hashes", "requirements.in", *upgrades],
        cwd=folder,
        env=pip_compile_env(pip_tools),
        check=True,
        capture_output=True,
        timeout=300,
    )
    return folder / "requirements.txt"


def old_stack(folder: Path, pip_tools: Path, index: str, helper: str = "ft-helper") -> Path:
    """The stack at 1.0, compiled by pip-compile from an input that asks for ``helper``."""
    stack = f"--index-url {index}\nft-upgrade\nft-stuck\n{helper}\n"
    old = ("ft-upgrade==1.0", "ft-stuck==1.0", "ft-helper==1.0")
    return compile_stack(folder, pip_tools, stack, *old)


@pytest.mark.network
def test_fix_recompiles_what_pip_compile_wrote_with_pip_compile(
    freethreaded_python: Path, index: str, cache: Path, pip_tools: Path, tmp_path: Path
) -> None:
    reqs = old_stack(tmp_path / "app", pip_tools, index)
    text = reqs.read_text()
    assert "ft-upgrade==1.0 \\\n    --hash=sha256:" in text
    env = pip_compile_env(pip_tools)

    result, _ = fix(reqs, freethreaded_python, cache, "--fix", "--dry-run", env=env)

    assert result.returncode == 1, result.stderr
    assert reqs.read_text() == text
    command = (
        "pip-compile --generate-hashes requirements.in "
        "--upgrade-package=ft-upgrade==3.0 --upgrade-package=ft-helper==2.0"
    )
    assert f"would run: (cd {reqs.parent} && {command})" in result.stderr.replace("\n", "")

    result, found = fix(reqs, freethreaded_python, cache, "--fix", env=env)

    assert result.returncode == 1, result.stderr
    assert f"ran: (cd {reqs.parent} && {command})" in result.stderr.replace("\n", "")
    # What pip-compile itself writes for the stack with the two pins moved, byte for byte.
    moved = ("ft-upgrade==3.0", "ft-stuck==1.0", "ft-helper==2.0")
    stack = (reqs.parent / "requirements.in").read_text()
    expected = compile_stack(tmp_path / "expected", pip_tools, stack, *moved)
    assert reqs.read_text() == expected.read_text()
    assert "ft-upgrade==3.0 \\\n    --hash=sha256:" in reqs.read_text()
    assert (found["ft-upgrade"]["version"], found["ft-upgrade"]["verdict"]) == ("3.0", "ready")
    assert found["ft-helper"]["version"] == "2.0"
    assert found["ft-stuck"]["verdict"] == "gil-enabled"


@pytest.mark.network
def test_when_pip_compile_refuses_the_upgrade_no_file_changes(
    freethreaded_python: Path, index: str, cache: Path, pip_tools: Path, tmp_path: Path
) -> None:
    # The input pins ft-helper 1.0 itself: pip-compile cannot take the 2.0 that 3.0 needs.
    reqs = old_stack(tmp_path / "app", pip_tools, index, helper="ft-helper==1.0")
    data = reqs.read_bytes()

    result, _ = fix(reqs, freethreaded_python, cache, "--fix", env=pip_compile_env(pip_tools))

    assert result.returncode == 2, result.stderr
    assert "failed in" in result.stderr
    assert "no file was edited" in result.stderr
    assert reqs.read_bytes() == data
    assert sorted(path.name for path in reqs.parent.iterdir()) == [
        "requirements.in",
        "requirements.txt",
    ]
