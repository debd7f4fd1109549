"""The command line starts light: ``--version`` and ``--help`` import none of a command's machinery.

Counted, not timed: the machine's load makes a timing flaky, and a module imported is what
costs the time. ``nox -s bench`` measures the time itself.
"""

from __future__ import annotations

import gc
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from readiness import _cli as cli
from tests.wheelhouse import build_wheelhouse

# What a scan needs and a parser does not: the HTTP client, the console, the wheel tags, the
# pipeline's stages and the report formats (jinja2 with them), and the dataclasses' machinery
# (inspect, ast, dis: 10 ms of a 25 ms start).
HEAVY = (
    "dataclasses",
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


def _imported(argv: list[str]) -> tuple[list[str], str]:
    """Run the command line with ``argv``; return every module it imported, and its output."""
    completed = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(argv)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    modules: list[str] = json.loads(completed.stderr.strip().splitlines()[-1])
    return modules, completed.stdout


def _among(modules: list[str], wanted: tuple[str, ...]) -> list[str]:
    return [
        name
        for name in modules
        if any(name == module or name.startswith(f"{module}.") for module in wanted)
    ]


COLD_ONLY = (
    "httpx",
    "email",
    "importlib.metadata",
    "tarfile",
    "difflib",
    "rich.progress",
    "readiness.interpreter.provision",
    "readiness.environment.filling",
    "readiness.environment.trials",
    "readiness.probe.plan",
    "readiness.probe.runner",
    "readiness.remedies.fit",
)
"""What only a run with work to do needs: the HTTP client and the parsing of what it
fetches, installed distributions' metadata, provisioning, the terminal's progress bar, the
suggestions for a misspelt setting, making and filling an environment, and probing it."""


OTHER_READERS = (
    "packaging.pylock",
    "readiness.sources.pylock",
    "readiness.sources.uvlock",
    "readiness.sources.poetrylock",
    "readiness.sources.pdmlock",
    "readiness.sources.pipfilelock",
)
"""The readers of the kinds of file a scan of a requirements file does not read."""


def _pylock(wheels: Path, lock: Path) -> Path:
    """Write a ``pylock.toml`` at ``lock`` that installs each wheel in ``wheels``, by path."""
    packages = []
    for wheel in sorted(wheels.glob("*.whl")):
        name, version = wheel.name.split("-")[:2]
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        where = wheel.relative_to(lock.parent).as_posix()
        packages.append(
            f'[[packages]]\nname = "{name.replace("_", "-")}"\nversion = "{version}"\n'
            f'archive = {{ path = "{where}", hashes = {{ sha256 = "{digest}" }} }}\n'
        )
    lock.write_text('lock-version = "1.0"\ncreated-by = "a test"\n\n' + "\n".join(packages))
    return lock


@pytest.mark.freethreaded
@pytest.mark.parametrize("kind", ["requirements", "pylock"])
def test_a_warm_scan_imports_only_what_it_uses(
    freethreaded_python: Path, tmp_path: Path, kind: str
) -> None:
    wheels = build_wheelhouse(freethreaded_python, ["ft-ready"], tmp_path / "wheels")
    if kind == "pylock":
        declared = _pylock(wheels, tmp_path / "pylock.toml")
    else:
        declared = tmp_path / "requirements.txt"
        declared.write_text(f"--no-index\n--find-links {wheels}\nft-ready==1.0\n")
    argv = [
        "scan",
        str(declared),
        "--python",
        str(freethreaded_python),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--format",
        "json",
        # The lock names no index of its own: the evidence would be asked of the user's.
        *(["--offline"] if kind == "pylock" else []),
    ]
    cold, _ = _imported(argv)
    warm, report = _imported(argv)

    assert _among(cold, ("readiness.probe.runner",)), "the cold run did not install and probe"
    # A wheel's metadata is read without importlib.metadata (and the email parser with it).
    assert _among(cold, ("importlib.metadata", "email.parser")) == []
    assert "ft-ready" in report
    assert _among(warm, COLD_ONLY) == []
    # A lock's reading is kept: not even its own reader's parser is imported again.
    others = OTHER_READERS if kind == "requirements" else ("packaging.pylock",)
    assert _among(warm, others) == []
    # stderr is a pipe here, as in CI or under pre-commit: messages need no styles (the
    # table would: it is drawn by rich). The index's pages come from the cache, and nothing
    # here is a test run; nothing is installed, probed or asked, so no pool of threads.
    assert _among(warm, ("rich", "html.parser", "readiness.testrun", "concurrent.futures")) == []


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["--help"], ["scan", "--help"], ["deps", "--help"], ["test", "--help"]],
    ids=" ".join,
)
def test_the_parser_alone_imports_no_command_machinery(argv: list[str]) -> None:
    modules, output = _imported(argv)

    assert "readiness._cli" in modules
    assert output.strip()
    assert _among(modules, HEAVY) == []


def test_the_command_exits_with_main_s_code_its_objects_frozen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # What the run made is not walked again by the interpreter's last collection.
    monkeypatch.setattr(cli, "main", lambda: 3)
    threshold = gc.get_threshold()
    try:
        with pytest.raises(SystemExit) as ended:
            cli.run()
        assert ended.value.code == 3
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == 100_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_python_m_readiness_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "readiness", "--version"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0
    assert done.stdout.startswith("readiness ")
