"""Scans of real distributions from the package index, on the real free-threaded interpreter."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from readiness._process import clean_environment
from tests.test_scan_cli import readiness, verdicts

pytestmark = [pytest.mark.network, pytest.mark.freethreaded]

WARNING = re.compile(r"GIL\) has been enabled to load module '([^']+)'")


def interpreter_warning(python: Path, module: str) -> str | None:
    """Return the module the interpreter's own RuntimeWarning names when importing ``module``."""
    result = subprocess.run(
        [str(python), "-I", "-W", "default", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_environment(),
    )
    found = WARNING.search(result.stderr)
    return found.group(1) if found else None


def test_real_stack_names_the_module_the_interpreter_warns_about(
    freethreaded_python: Path, tmp_path: Path
) -> None:
    # markupsafe 2.1.5 has no free-threaded wheel: built here, its _speedups lacks the slot
    # (3.0 declares it). pyyaml 6.0.2's _yaml does not declare it either.
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("six==1.16.0\nmarkupsafe==2.1.5\npyyaml==6.0.2\njinja2==3.1.4\n")
    cache = tmp_path / "cache"

    result = readiness(
        "scan", reqs, "--python", freethreaded_python, "--format", "json", "--cache-dir", cache
    )

    assert result.returncode == 1, result.stderr
    found = verdicts(json.loads(result.stdout))
    assert found == {
        "six": ("ready", [], None),
        "markupsafe": ("gil-enabled", ["markupsafe._speedups"], "on-import"),
        "pyyaml": ("gil-enabled", ["yaml._yaml"], "on-import"),
        "jinja2": ("ready", [], None),
    }
    by_name = {d["name"]: d for d in json.loads(result.stdout)["distributions"]}
    # The evidence: markupsafe 2.1.5 has only an sdist; 3.0.0 is the first with cp313t wheels.
    assert by_name["markupsafe"]["evidence"]["index"]["wheel"] == "source-build-required"
    assert by_name["markupsafe"]["remedy"]["upgrade_to"] == "3.0.0"
    assert by_name["markupsafe"]["built_from_source"]
    jinja2 = by_name["jinja2"]
    assert [(reach["module"], reach["owner"], reach["through"]) for reach in jinja2["reaches"]] == [
        ("markupsafe._speedups", "markupsafe", "jinja2")
    ]
    [environment] = (cache / "envs").glob("*/bin/python")
    assert interpreter_warning(environment, "markupsafe") == "markupsafe._speedups"
    assert interpreter_warning(environment, "yaml") == "yaml._yaml"
    assert interpreter_warning(environment, "six") is None


def test_ready_real_stack_exits_zero(freethreaded_python: Path, tmp_path: Path) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("six==1.16.0\nmarkupsafe==3.0.2\nidna==3.10\n")

    result = readiness(
        "scan", reqs, "--python", freethreaded_python, "--cache-dir", tmp_path / "cache"
    )

    assert result.returncode == 0, result.stderr
    assert "3 ready" in result.stderr
