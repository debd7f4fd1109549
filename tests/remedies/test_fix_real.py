"""``scan --fix`` on a stack of real old pins, from the package index, on the real interpreter.

markupsafe 2.1.5 has no free-threaded wheel; built from its sdist, its ``_speedups`` module
re-enables the GIL, and 3.0.0 is the first release whose wheels keep it off. netifaces
0.10.9 re-enables it too, and so does 0.11.0, its last release (built from its sdist): no
release is proven, and the row must say so. six is pure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_scan_cli import readiness

pytestmark = [pytest.mark.network, pytest.mark.freethreaded]

OLD_PINS = "markupsafe==2.1.5  # templates\nnetifaces==0.10.9\nsix==1.16.0\n"


def scan(reqs: Path, python: Path, cache: Path, *flags: str) -> dict[str, dict[str, Any]]:
    result = readiness(
        "scan", reqs, "--python", python, "--format", "json", "--cache-dir", cache, *flags
    )
    assert result.returncode == 1, result.stderr  # netifaces is left
    report: dict[str, Any] = json.loads(result.stdout)
    return {dist["name"]: dist for dist in report["distributions"]}


def test_fix_leaves_only_the_blockers_no_release_fixes_and_a_second_scan_agrees(
    freethreaded_python: Path, tmp_path: Path
) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(OLD_PINS)
    cache = tmp_path / "cache"

    fixed = scan(reqs, freethreaded_python, cache, "--fix")

    assert reqs.read_text() == "markupsafe==3.0.0  # templates\nnetifaces==0.10.9\nsix==1.16.0\n"
    verdicts = {name: (dist["version"], dist["verdict"]) for name, dist in fixed.items()}
    assert verdicts == {
        "markupsafe": ("3.0.0", "ready"),
        "netifaces": ("0.10.9", "gil-enabled"),
        "six": ("1.16.0", "ready"),
    }
    # What is left says that no release is proven, and which it tried.
    remedy = fixed["netifaces"]["remedy"]
    assert remedy["verified"] is False
    assert remedy["upgrade_to"] is None
    assert remedy["text"].startswith(
        "no release keeps the GIL off yet (not verified: tried 0.11.0 re-enables the GIL"
    )
    blockers = [dist for dist in fixed.values() if dist["verdict"] == "gil-enabled"]
    assert all(dist["remedy"]["verified"] is False for dist in blockers)

    again = scan(reqs, freethreaded_python, cache)
    assert {name: (d["version"], d["verdict"], d["remedy"]) for name, d in again.items()} == {
        name: (d["version"], d["verdict"], d["remedy"]) for name, d in fixed.items()
    }
