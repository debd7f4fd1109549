"""The gate, the table and the time limit, on a project whose tests keep the GIL off."""

from __future__ import annotations

import functools
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.testrun.conftest import RunProject, run_test_command

pytestmark = [pytest.mark.network, pytest.mark.freethreaded]


@pytest.fixture
def run_clean(run_project: RunProject) -> RunProject:
    """Run ``readiness test`` on the clean project with extra arguments."""
    return functools.partial(run_project, "clean")


def test_a_failing_test_alone_passes_the_gate(run_clean: RunProject) -> None:
    run = run_clean("--format", "json")
    assert run.verdicts() == {
        "tests/check_basic.py::test_passes": "passed",
        "tests/check_basic.py::test_fails": "failed",
        "tests/check_race.py::test_shared_list": "passed",
        "tests/check_slow.py::test_slow": "passed",
        "tests/check_slow.py::test_after_the_slow_one": "passed",
        "tests/check_unittest.py::AddTest::test_adds": "passed",
    }, run.stderr
    assert run.json()["processes"] == 1
    assert run.returncode == 0, run.stderr
    assert "gate passed" in run.stderr


def test_strict_fails_on_a_failing_test_and_the_table_says_so(
    run_clean: RunProject,
) -> None:
    run = run_clean("--strict")
    assert run.returncode == 1, run.stderr
    rows = {line.split()[1]: line for line in run.stdout.splitlines() if "check_" in line}
    assert "failed (gate)" in rows["tests/check_basic.py::test_fails"]
    assert "assert 3 == 4" in rows["tests/check_basic.py::test_fails"]
    assert "gate failed" in run.stderr


def test_a_test_past_the_time_limit_is_a_timeout_and_the_rest_runs(
    run_clean: RunProject,
) -> None:
    run = run_clean("--format", "json", "--test-timeout", "1.5", "--fail-on", "timeout")
    verdicts = run.verdicts()
    assert verdicts["tests/check_slow.py::test_slow"] == "timeout", run.stderr
    assert verdicts["tests/check_slow.py::test_after_the_slow_one"] == "passed"
    detail = {test["id"]: test["detail"] for test in run.json()["tests"]}
    assert detail["tests/check_slow.py::test_slow"].startswith("no answer after 1.5 s\n")
    # Where it hung, innermost frame first: faulthandler's dump, asked for before the kill.
    assert 'check_slow.py", line 9 in test_slow' in detail["tests/check_slow.py::test_slow"]
    assert run.json()["processes"] == 2
    assert run.returncode == 1


def test_a_test_that_passes_alone_and_fails_in_threads_is_thread_unsafe(
    run_clean: RunProject,
) -> None:
    run = run_clean("--format", "json", "--threads", "4")
    assert run.verdicts() == {
        "tests/check_basic.py::test_passes": "passed",
        # It fails alone: failed, not blamed on the threads (and not run in them).
        "tests/check_basic.py::test_fails": "failed",
        "tests/check_race.py::test_shared_list": "thread-unsafe",
        "tests/check_slow.py::test_slow": "passed",
        "tests/check_slow.py::test_after_the_slow_one": "passed",
        "tests/check_unittest.py::AddTest::test_adds": "passed",
    }, run.stderr
    detail = {test["id"]: test["detail"] for test in run.json()["tests"]}
    assert detail["tests/check_race.py::test_shared_list"].startswith("in 4 threads, failed:\n")
    assert "AssertionError" in detail["tests/check_race.py::test_shared_list"]
    assert (run.json()["threads"], run.json()["reruns"]) == (4, 2)
    # Alone, in threads, then the race alone twice more: it passed, so it is no flaky test.
    assert run.json()["processes"] == 4
    assert run.returncode == 1


def test_a_test_that_fails_alone_on_a_rerun_is_flaky_not_thread_unsafe(
    run_project: RunProject, tmp_path: Path
) -> None:
    environ = {**os.environ, "TMPDIR": str(tmp_path)}  # the flaky test's memory, fresh
    run = run_project("flaky", "--format", "json", "--threads", "2", environ=environ)
    assert run.verdicts() == {
        "tests/check_flaky.py::test_passes_only_the_first_time": "failed",
        "tests/check_flaky.py::test_steady": "passed",
    }, run.stderr
    [flaky] = [test for test in run.json()["tests"] if test["verdict"] == "failed"]
    assert flaky["detail"].startswith(
        "flaky: passed alone, failed in threads, then failed alone on re-run 1 of 2:\n"
    )
    assert run.returncode == 0


def test_junit_has_one_case_per_test_counted_as_the_gate_counts(
    run_clean: RunProject,
) -> None:
    run = run_clean("--format", "junit", "--test-timeout", "1.5")
    assert run.returncode == 1, run.stderr
    suite = ET.fromstring(run.stdout).find("testsuite")  # noqa: S314 -- our own output
    assert suite is not None
    cases = {(case.get("classname"), case.get("name")): case for case in suite.iter("testcase")}
    assert len(cases) == 6
    timeout = cases[("tests/check_slow.py", "test_slow")].find("failure")
    assert timeout is not None
    assert timeout.get("type") == "timeout"
    # Failed alone, which the gate lets pass without --strict: skipped, saying so.
    failed = cases[("tests/check_basic.py", "test_fails")].find("skipped")
    assert failed is not None
    assert (failed.get("message") or "").startswith("failed: assert 3 == 4")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("6", "1", "1")


def test_markdown_lists_what_did_not_pass_gate_failures_first(run_clean: RunProject) -> None:
    run = run_clean("--format", "markdown", "--strict", environ={**os.environ, "PYTHON_GIL": "0"})
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("## readiness test: clean on CPython 3.")
    assert lines[2] == "**Gate failed**: 5 passed, 1 failed, in 1 processes."
    # Only what did not pass is a row; its cells are escaped Markdown.
    assert [line for line in lines if line.startswith("| `")] == [
        "| `tests/check_basic.py::test_fails` | failed | assert 3 == 4 + where 3 = add(1, 2) |"
    ]
    assert lines[-1].startswith("- PYTHON\\_GIL=0 is set in your environment")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--test-timeout", "0"), "--test-timeout must be a positive number"),
        (("--threads", "0"), "--threads must be 1 or more"),
        (("--fail-on", "gil-enabled,slow"), "not a verdict: slow"),
    ],
)
def test_usage_errors_exit_2(run_clean: RunProject, args: tuple[str, ...], message: str) -> None:
    run = run_clean(*args)
    assert run.returncode == 2
    assert message in run.stderr


def test_a_folder_without_a_project_exits_2(
    freethreaded_python: Path, tmp_path: Path, test_cache: Path
) -> None:
    run = run_test_command(
        str(tmp_path), python=freethreaded_python, cache=test_cache, env=os.environ
    )
    assert run.returncode == 2
    assert "no pyproject.toml here" in run.stderr
