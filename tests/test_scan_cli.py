"""The scan end to end, through the real command line, on the real free-threaded interpreter.

The stack is made of the fixture packages of tests/assets/packages, compiled here by the
interpreter's own headers and the machine's C compiler, and installed from a local folder.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.interpreter.conftest import bare_machine
from tests.probe.conftest import make_venv
from tests.wheelhouse import build_wheelhouse

FIXTURE_STACK = {
    # distribution: (verdict, culprit modules, gil trigger)
    "ft-ready": ("ready", [], None),
    "ft-gil": ("gil-enabled", ["ft_gil._core"], "on-import"),
    "ft-gil-two": ("gil-enabled", ["ft_gil_two._impl"], "on-import"),
    "ft-single-ok": ("ready", [], None),
    "ft-single-gil": ("gil-enabled", ["ft_single_gil"], "on-import"),
    "ft-pure-importer": ("ready", [], None),
    "ft-lazy": ("gil-enabled", ["ft_lazy._accel"], "submodule"),
    "ft-segfault": ("crashed", [], None),
    "ft-hang": ("timeout", [], None),
    "ft-flood": ("ready", [], None),
    "ft-exit": ("crashed", [], None),
}


@pytest.fixture(scope="module")
def fixture_wheels(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every fixture package, built once as a wheel for the free-threaded interpreter."""
    return build_wheelhouse(
        freethreaded_python, list(FIXTURE_STACK), tmp_path_factory.mktemp("wheels")
    )


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache for the module: probe environments are reused across its scans."""
    return tmp_path_factory.mktemp("cache")


def requirements(folder: Path, wheels: Path, names: list[str]) -> Path:
    """Write a requirements file pinning ``names`` that installs only from ``wheels``."""
    lines = ["--no-index", f"--find-links {wheels}", *(f"{name}==1.0" for name in names)]
    text = "\n".join(lines).replace("ft-gil-two==1.0", "ft-gil-two==2.0") + "\n"
    path = folder / "requirements.txt"
    path.write_text(text)
    return path


def readiness(
    *args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "readiness", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
    )


def verdicts(report: dict[str, Any]) -> dict[str, tuple[str, list[str], str | None]]:
    """Map each distribution of a JSON report to (verdict, culprit modules, trigger)."""
    return {
        dist["name"]: (
            dist["verdict"],
            [culprit["module"] for culprit in dist["culprits"]],
            dist["gil_trigger"],
        )
        for dist in report["distributions"]
    }


@pytest.mark.freethreaded
@pytest.mark.parametrize("python_gil", [None, "0"], ids=["clean-env", "PYTHON_GIL=0"])
def test_fixture_stack_gives_exact_verdicts(
    freethreaded_python: Path,
    fixture_wheels: Path,
    cache_dir: Path,
    tmp_path: Path,
    python_gil: str | None,
) -> None:
    reqs = requirements(tmp_path, fixture_wheels, list(FIXTURE_STACK))
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_GIL"}
    if python_gil is not None:
        env["PYTHON_GIL"] = python_gil

    result = readiness(
        "scan",
        reqs,
        "--python",
        freethreaded_python,
        "--format",
        "json",
        "--import-timeout",
        "5",
        "--cache-dir",
        cache_dir,
        # Each run probes for real: with and without PYTHON_GIL=0 in the caller's environment.
        "--no-cache",
        env=env,
    )

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert verdicts(report) == FIXTURE_STACK
    by_name = {dist["name"]: dist for dist in report["distributions"]}
    assert "SIGSEGV" in by_name["ft-segfault"]["reason"]
    assert "exited with status 0" in by_name["ft-exit"]["reason"]
    assert "5" in by_name["ft-hang"]["reason"]
    assert by_name["ft-gil"]["declared_at"]["line"] == 4
    # Not blamed, but its row says which culprit its import reaches, and through what.
    assert by_name["ft-pure-importer"]["reaches"] == [
        {"module": "ft_gil._core", "owner": "ft-gil", "through": "ft_pure_importer", "chain": []}
    ]
    hidden = any("PYTHON_GIL=0" in warning for warning in report["warnings"])
    assert hidden is (python_gil == "0")
    assert "gate failed" in result.stderr


@pytest.mark.freethreaded
def test_ready_stack_passes_the_gate(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    reqs = requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-single-ok", "ft-flood"])

    result = readiness("scan", reqs, "--python", freethreaded_python, "--cache-dir", cache_dir)

    assert result.returncode == 0, result.stderr
    assert "ft-single-ok" in result.stdout
    assert "3 ready" in result.stderr
    assert "gate passed" in result.stderr


@pytest.mark.freethreaded
def test_fail_on_chooses_what_fails(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    reqs = requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-segfault"])
    common = ("--python", freethreaded_python, "--cache-dir", cache_dir, "--format", "json")

    assert readiness("scan", reqs, *common).returncode == 1
    assert readiness("scan", reqs, *common, "--fail-on", "gil-enabled").returncode == 0


@pytest.mark.freethreaded
def test_report_written_to_output_file(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    reqs = requirements(tmp_path, fixture_wheels, ["ft-gil"])
    output = tmp_path / "report.json"

    result = readiness(
        "scan",
        reqs,
        "--python",
        freethreaded_python,
        "--cache-dir",
        cache_dir,
        "--format",
        "json",
        "--output",
        output,
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert verdicts(json.loads(output.read_text()))["ft-gil"][0] == "gil-enabled"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    result = readiness("scan", tmp_path / "nope.txt")

    assert result.returncode == 2
    assert "nope.txt" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.freethreaded
def test_unsatisfiable_requirement_names_file_and_line(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"--no-index\n--find-links {fixture_wheels}\nft-ready==1.0\n\nft-gil>=7\n")

    result = readiness("scan", reqs, "--python", freethreaded_python)

    assert result.returncode == 2
    assert f"{reqs}:5" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_option_is_a_usage_error() -> None:
    result = readiness("scan", "--no-such-option")

    assert result.returncode == 2
    assert "--no-such-option" in result.stderr


def test_gil_build_is_refused_with_a_hint(tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("six==1.16.0\n")

    # The interpreter running the tests is a GIL build (CPython 3.11+).
    result = readiness("scan", reqs, "--python", sys.executable)

    assert result.returncode == 2
    assert "hint:" in result.stderr
    assert "3.14t" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.freethreaded
def test_python_find_prints_the_proven_interpreter(freethreaded_python: Path) -> None:
    result = readiness("python", "find", "--python", freethreaded_python)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(freethreaded_python)


def test_python_find_refuses_a_gil_build() -> None:
    result = readiness("python", "find", "--python", sys.executable)

    assert result.returncode == 2
    assert "no free-threaded build" in result.stderr


@pytest.mark.freethreaded
def test_env_scans_an_installed_environment_as_it_is(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    venv = make_venv(
        freethreaded_python, tmp_path / "venv", fixture_wheels, ["ft-pure-importer", "ft-ready"]
    )

    result = readiness("scan", "--env", venv.python.parent.parent, "--format", "json")

    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["inputs"] == [{"path": str(tmp_path / "venv"), "kind": "environment"}]
    assert verdicts(report) == {
        "ft-gil": ("gil-enabled", ["ft_gil._core"], "on-import"),
        "ft-pure-importer": ("ready", [], None),
        "ft-ready": ("ready", [], None),
    }
    direct = {dist["name"]: dist["direct"] for dist in report["distributions"]}
    # ft-gil is there only because ft-pure-importer requires it.
    assert direct == {"ft-gil": False, "ft-pure-importer": True, "ft-ready": True}


def test_env_refuses_a_folder_without_an_environment(tmp_path: Path) -> None:
    result = readiness("scan", "--env", tmp_path)

    assert result.returncode == 2
    assert "no virtual environment" in result.stderr


def test_env_takes_no_dependency_file(tmp_path: Path) -> None:
    result = readiness("scan", "requirements.txt", "--env", tmp_path)

    assert result.returncode == 2
    assert "--env" in result.stderr


def test_tracker_update_offline_keeps_the_shipped_snapshot(tmp_path: Path) -> None:
    # Port 9 on 127.0.0.1 refuses the connection: what an offline machine sees.
    result = readiness(
        "tracker", "update", "--url", "http://127.0.0.1:9/tracking.md", "--cache-dir", tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "shipped" in result.stderr
    assert "days old" in result.stderr


def test_no_interpreter_anywhere_falls_back_to_a_static_scan_loudly(tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("six==1.16.0\n")
    # A machine with no free-threaded interpreter, and an empty readiness cache.
    env = bare_machine(tmp_path / "home")

    result = readiness(
        "scan", reqs, "--offline", "--format", "json", "--cache-dir", tmp_path / "c", env=env
    )

    assert result.returncode == 0, result.stderr
    assert "falling back to a STATIC scan" in result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "static"
    assert report["interpreter"]["synthetic"]
    [six] = report["distributions"]
    assert six["verdict"] == "unknown"  # --offline: the index was not asked
    assert "inconclusive" in result.stderr
