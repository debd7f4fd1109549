"""The command line starts light: ``--version`` and ``--help`` import none of a command's machinery.

Counted, not timed: the machine's load makes a timing flaky, and a module imported is what
costs the time. ``nox -s bench`` measures the time itself.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# What a scan needs and a parser does not: the HTTP client, the console, the wheel tags, the
# pipeline's stages and the report formats (jinja2 with them).
HEAVY = (
    "httpx",
    "rich",
    "packaging.tags",
    "readiness.scan",
    "readiness.session",
    "readiness.environment",
    "readiness.evidence",
    "readiness.sources",
    "readiness.formats",
    "readiness.testrun",
    "jinja2",
)

# Runs the command line as ``python -m readiness`` does, then prints what was imported, even
# though --version and --help end in SystemExit.
_PROBE = """
import json, runpy, sys
sys.argv = ["readiness", *json.loads(sys.argv[1])]
try:
    runpy.run_module("readiness", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--help"], ["scan", "--help"], ["deps", "--help"], ["test", "--help"]],
    ids=" ".join,
)
def test_the_parser_alone_imports_no_command_machinery(argv: list[str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    modules = json.loads(completed.stderr.strip().splitlines()[-1])

    assert "readiness._cli" in modules
    assert completed.stdout.strip()
    loaded = [
        name
        for name in modules
        if any(name == heavy or name.startswith(f"{heavy}.") for heavy in HEAVY)
    ]
    assert loaded == []
