"""``[tool.readiness.test]`` and the shared keys, read by ``readiness test``; flags win."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from readiness.config import TestConfig, load_config
from readiness.testrun.model import CaseVerdict
from tests.testrun.conftest import PROJECTS, RunProject, run_test_command

TEST_TABLE = """
[tool.readiness]
index-max-age = 60

[tool.readiness.test]
threads = 4
test-timeout = 1.5
fail-on = ["timeout"]
strict = true
"""
"""The clean project's options, given in its pyproject.toml instead of on the command line."""


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the clean project whose pyproject.toml holds ``TEST_TABLE``."""
    project = tmp_path_factory.mktemp("configured") / "clean"
    shutil.copytree(PROJECTS / "clean", project)
    with (project / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(TEST_TABLE)
    return project


@pytest.mark.network
@pytest.mark.freethreaded
def test_the_test_table_gives_the_threads_the_time_limit_and_the_gate(
    run_project: RunProject, configured: Path
) -> None:
    run = run_project(str(configured), "--format", "json")
    report = run.json()
    assert (report["threads"], report["gate"]["fail_on"]) == (4, ["failed", "timeout"])
    verdicts = run.verdicts()
    assert verdicts["tests/check_race.py::test_shared_list"] == "thread-unsafe", run.stderr
    assert verdicts["tests/check_slow.py::test_slow"] == "timeout"
    assert verdicts["tests/check_basic.py::test_fails"] == "failed"
    assert run.returncode == 1
    assert f"configuration: {configured / 'pyproject.toml'}" in run.stderr


@pytest.mark.network
@pytest.mark.freethreaded
def test_flags_win_over_the_test_table(run_project: RunProject, configured: Path) -> None:
    # --strict cannot be switched off by a flag: the file's strict stays, and fails the run.
    run = run_project(
        str(configured),
        "--format",
        "json",
        "--threads",
        "1",
        "--test-timeout",
        "60",
        "--fail-on",
        "crashed",
    )
    report = run.json()
    assert (report["threads"], report["gate"]["fail_on"]) == (1, ["crashed", "failed"])
    verdicts = run.verdicts()
    assert verdicts["tests/check_race.py::test_shared_list"] == "passed", run.stderr
    assert verdicts["tests/check_slow.py::test_slow"] == "passed"
    assert run.returncode == 1


@pytest.mark.freethreaded
@pytest.mark.parametrize(
    ("table", "line", "message"),
    [
        ("[tool.readiness.test]\nthreads = 0\n", 2, "threads in [tool.readiness.test] must be"),
        (
            '[tool.readiness.test]\nstrict = true\ntest-timeout = "slow"\n',
            3,
            "test-timeout in [tool.readiness.test] must be a positive number of seconds",
        ),
        (
            '[tool.readiness.test]\nfail-on = ["gil-enabled", "not-installable"]\n',
            2,
            "'not-installable' in fail-on is not a verdict",
        ),
        ("[tool.readiness.test]\nthread = 4\n", 2, "unknown key 'thread' in [tool.readiness.test]"),
        ("[tool.readiness]\ntest = 4\n", 2, "test in [tool.readiness] must be a table"),
    ],
)
def test_a_bad_key_or_value_exits_2_naming_the_file_and_the_line(
    freethreaded_python: Path, tmp_path: Path, table: str, line: int, message: str
) -> None:
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "clean", project)
    pyproject = project / "pyproject.toml"
    before = len(pyproject.read_text(encoding="utf-8").splitlines())
    with pyproject.open("a", encoding="utf-8") as file:
        file.write(table)
    cache = tmp_path / "cache"
    run = run_test_command(str(project), python=freethreaded_python, cache=cache, env=os.environ)
    assert run.returncode == 2
    # The file is refused before anything is installed.
    assert not (cache / "envs").exists()
    assert f"{pyproject}:{before + line}: {message}" in run.stderr, run.stderr


def test_the_documented_test_table_is_a_valid_configuration(tmp_path: Path) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = docs.split("## `readiness test`: `[tool.readiness.test]`", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readiness.toml"
    path.write_text(example, encoding="utf-8")

    config = load_config(path).test

    assert config == TestConfig(
        fail_on=frozenset(
            {
                CaseVerdict.GIL_ENABLED,
                CaseVerdict.THREAD_UNSAFE,
                CaseVerdict.CRASHED,
                CaseVerdict.TIMEOUT,
            }
        ),
        strict=True,
        threads=4,
        test_timeout=120.0,
    )
