"""The gate's policy through the real command line: allowlist, expiry, stale entries, baseline.

The stack is the compiled fixture packages of tests/test_scan_cli.py; ft-gil re-enables the GIL
on import (culprit ft_gil._core), ft-gil-two as well (ft_gil_two._impl), ft-ready does not.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

# `name as name` marks the fixtures as re-exported: pytest finds them in this module by name.
from tests.test_scan_cli import (
    cache_dir as cache_dir,
)
from tests.test_scan_cli import (
    fixture_wheels as fixture_wheels,
)
from tests.test_scan_cli import readiness, requirements

pytestmark = pytest.mark.freethreaded

ALLOW_FT_GIL = """\
[tool.readiness]
fail-on = ["gil-enabled"]

[[tool.readiness.allow]]
name = "ft-gil"
version = "<2"
reason = "ft_gil ports its C module in 2.0"
until = {until}
"""


def scan(
    project: Path, python: Path, cache: Path, *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """Scan the requirements file of ``project`` from inside it, as a CI job would."""
    return readiness(
        "scan",
        project / "requirements.txt",
        "--python",
        python,
        "--cache-dir",
        cache,
        "--offline",
        *args,
        cwd=project,
    )


def cell(table: str, name: str, column: int) -> str:
    """Return the text of one cell of the table row of ``name``, its folded lines joined."""
    parts: list[str] = []
    for line in table.splitlines():
        cells = [text.strip() for text in line.split("│")]
        if len(cells) <= column:
            continue
        if cells[1] == name or (parts and not cells[1]):
            parts.append(cells[column])
        elif parts:
            break
    return " ".join(part for part in parts if part)


def test_a_culprit_fails_the_gate_without_an_allowlist(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-gil"])

    result = scan(tmp_path, freethreaded_python, cache_dir)

    assert result.returncode == 1, result.stderr
    assert "gate failed (ft-gil)" in result.stderr


def test_an_allow_entry_passes_the_gate_and_marks_the_row(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-gil"])
    (tmp_path / "pyproject.toml").write_text(
        ALLOW_FT_GIL.format(until="2999-12-31")
        + '\n[[tool.readiness.allow]]\nname = "numpy"\nreason = "was slow to port"\n'
    )

    table = scan(tmp_path, freethreaded_python, cache_dir)
    report = scan(tmp_path, freethreaded_python, cache_dir, "--format", "json")

    assert table.returncode == 0, table.stderr
    assert cell(table.stdout, "ft-gil", 3) == "gil-enabled (allowed)"
    assert cell(table.stdout, "ft-gil", 4) == (
        "ft_gil._core (on import); allowed until 2999-12-31: ft_gil ports its C module in 2.0"
    )
    assert "gate passed" in table.stderr
    # The entry naming numpy, which is not in the stack, is stale: a warning, exit 0 all the same.
    assert "warning: stale allowance: numpy" in table.stderr
    assert report.returncode == 0, report.stderr
    document = json.loads(report.stdout)
    allowed = {dist["name"]: dist["allowed"] for dist in document["distributions"]}
    assert allowed["ft-gil"]["reason"] == "ft_gil ports its C module in 2.0"
    assert allowed["ft-ready"] is None
    assert document["gate"]["allowed"] == ["ft-gil"]
    assert document["gate"]["failed"] == []
    assert [entry["name"] for entry in document["gate"]["stale"]] == ["numpy"]


def test_an_expired_allowance_fails_and_says_so(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-gil"])
    config = tmp_path / "ci" / "readiness.toml"
    config.parent.mkdir()
    config.write_text(ALLOW_FT_GIL.format(until="2001-02-03"))

    result = scan(tmp_path, freethreaded_python, cache_dir, "--config", config)

    assert result.returncode == 1, result.stderr
    assert "EXPIRED on 2001-02-03" in result.stderr
    assert "ft_gil ports its C module in 2.0" in result.stderr
    assert "gate failed (ft-gil)" in result.stderr


def test_flags_override_the_configuration(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-gil"])
    (tmp_path / "pyproject.toml").write_text('[tool.readiness]\nfail-on = ["crashed"]\n')

    configured = scan(tmp_path, freethreaded_python, cache_dir)
    overridden = scan(tmp_path, freethreaded_python, cache_dir, "--fail-on", "gil-enabled")

    assert configured.returncode == 0, configured.stderr
    assert overridden.returncode == 1, overridden.stderr


def test_a_baseline_fails_only_new_blockers(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-gil"])
    baseline = tmp_path / "readiness-baseline.json"

    written = scan(tmp_path, freethreaded_python, cache_dir, "--write-baseline", baseline)
    again = scan(tmp_path, freethreaded_python, cache_dir, "--baseline", baseline)
    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-gil", "ft-gil-two"])
    # The baseline named in the configuration counts as --baseline.
    (tmp_path / "pyproject.toml").write_text(f'[tool.readiness]\nbaseline = "{baseline.name}"\n')
    regressed = scan(tmp_path, freethreaded_python, cache_dir)

    assert written.returncode == 0, written.stderr
    assert json.loads(baseline.read_text())["blockers"] == [
        {"name": "ft-gil", "version": "1.0", "verdict": "gil-enabled", "culprits": ["ft_gil._core"]}
    ]
    assert again.returncode == 0, again.stderr
    assert "gate passed" in again.stderr
    assert "in the baseline, not failing: ft-gil (gil-enabled)" in again.stderr
    assert regressed.returncode == 1, regressed.stderr
    assert "gate failed (ft-gil-two)" in regressed.stderr
    assert "new blocker, not in the baseline: ft-gil-two 2.0 (gil-enabled)" in regressed.stderr
    assert "new blocker, not in the baseline: ft-gil " not in regressed.stderr


def test_a_fixed_blocker_is_reported(
    freethreaded_python: Path, fixture_wheels: Path, cache_dir: Path, tmp_path: Path
) -> None:
    requirements(tmp_path, fixture_wheels, ["ft-ready"])
    baseline = tmp_path / "baseline.json"
    baseline.write_text(
        '{"readiness_baseline": 1, "blockers": '
        '[{"name": "ft-gil", "version": "1.0", "verdict": "gil-enabled", "culprits": []}]}\n'
    )

    result = scan(tmp_path, freethreaded_python, cache_dir, "--baseline", baseline)

    assert result.returncode == 0, result.stderr
    assert "fixed: ft-gil (gil-enabled)" in result.stderr


def test_a_bad_configuration_exits_2_naming_the_file_and_the_line(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.readiness]\nstrict = true\n\n[[tool.readiness.allow]]\nname = "x"\n'
    )

    result = readiness("scan", tmp_path / "requirements.txt", cwd=tmp_path)

    assert result.returncode == 2
    assert f"{pyproject}:4: allow entry 1 has no 'reason'" in result.stderr
    assert "Traceback" not in result.stderr
