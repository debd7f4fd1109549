"""A distribution whose build fails: its cause as the reason, its whole log one flag away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.environment.conftest import make_wheel
from tests.sdists import sdist_folder
from tests.test_scan_cli import readiness

CAUSE = "RuntimeError: CFFI does not support the free-threaded build"


@pytest.mark.freethreaded
def test_reason_in_every_report_and_the_log_in_json_and_with_debug(
    freethreaded_python: Path, tmp_path: Path
) -> None:
    (tmp_path / "dists").mkdir()
    folder = sdist_folder(freethreaded_python, tmp_path / "dists", "ft-refuses-build")
    make_wheel(folder, "alpha", "1.0")
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"--no-index\n--find-links {folder}\nalpha==1.0\nft-refuses-build==1.0\n")
    report = tmp_path / "report.json"
    scan = (
        "scan",
        reqs,
        "--python",
        freethreaded_python,
        "--offline",
        "--cache-dir",
        tmp_path / "cache",
    )

    result = readiness(*scan, "--format", f"json={report}", "--format", "table")

    assert result.returncode == 1, result.stderr
    by_name = {d["name"]: d for d in json.loads(report.read_text())["distributions"]}
    refused = by_name["ft-refuses-build"]
    assert (refused["verdict"], refused["reason"]) == ("not-installable", CAUSE)
    assert "checking for feature 0... yes" in refused["install_log"]
    assert CAUSE in refused["install_log"]
    assert by_name["alpha"]["install_log"] is None
    # The table shows the cause, not the installer's boilerplate.
    row = next(line for line in result.stdout.splitlines() if "ft-refuses-build" in line)
    assert "RuntimeError: CFFI does" in row
    assert "note: This error originates" not in result.stdout
    # Without --debug, one line says where the log is; with it, the log is printed.
    assert "install_log" in result.stderr
    assert "checking for feature" not in result.stderr

    debug = readiness(*scan, "--format", "json", "--debug")

    assert debug.returncode == 1, debug.stderr
    assert "install log of ft-refuses-build 1.0:" in debug.stderr
    assert "checking for feature 29... yes" in debug.stderr
    assert json.loads(debug.stdout)["distributions"][1]["install_log"] is not None
