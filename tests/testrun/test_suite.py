"""The suite project through the real command, on the real free-threaded interpreter."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.testrun.conftest import CommandRun, RunProject, offline_environment, run_test_command

EXPECTED = {
    "tests/check_collect.py": ("gil-enabled", "collection", "ft_gil_two._impl", "ft-gil-two"),
    "tests/with_conftest": ("gil-enabled", "collection", "ft_gil_two._impl", "ft-gil-two"),
    "tests/check_crash.py::test_segfault": ("crashed", None, None, None),
    "tests/check_crash.py::test_after_the_crash": ("passed", None, None, None),
    "tests/check_gil.py::test_answer": ("gil-enabled", "call", "ft_gil._core", "ft-gil"),
    "tests/check_lazy.py::test_accelerator": ("gil-enabled", "call", "ft_lazy._accel", "ft-lazy"),
    "tests/check_plain.py::test_passes": ("passed", None, None, None),
    "tests/check_plain.py::test_fails": ("failed", None, None, None),
    "tests/check_plain.py::test_skipped": ("skipped", None, None, None),
    "tests/check_plain.py::test_ready_extension": ("passed", None, None, None),
}
"""Every test of the suite project (and the module and the folder decided at collection):
verdict, phase, module and distribution."""


@pytest.fixture(scope="module", params=[False, True], ids=["gil-unset", "PYTHON_GIL=0"])
def python_gil_0(request: pytest.FixtureRequest) -> bool:
    """Whether the caller's environment holds PYTHON_GIL=0."""
    value: bool = request.param
    return value


@pytest.fixture(scope="module")
def suite_run(
    python_gil_0: bool, freethreaded_python: Path, suite_wheelhouse: Path, test_cache: Path
) -> CommandRun:
    """The suite project's run, with and without PYTHON_GIL=0 in the caller's environment."""
    environ = {key: value for key, value in os.environ.items() if key != "PYTHON_GIL"}
    if python_gil_0:
        environ["PYTHON_GIL"] = "0"
    return run_test_command(
        "suite",
        "--format",
        "json",
        python=freethreaded_python,
        cache=test_cache,
        env=offline_environment(suite_wheelhouse, environ),
    )


@pytest.mark.network
@pytest.mark.freethreaded
def test_every_test_gets_its_verdict(suite_run: CommandRun) -> None:
    tests = suite_run.json()["tests"]
    assert {
        test["id"]: (test["verdict"], test["phase"], test["module"], test["distribution"])
        for test in tests
    } == EXPECTED, suite_run.stderr
    # In the order decided; each GIL switch and the crash end one process: six in all.
    assert [test["id"] for test in tests] == list(EXPECTED)
    assert suite_run.json()["processes"] == 6
    assert suite_run.returncode == 1


@pytest.mark.network
@pytest.mark.freethreaded
def test_a_crash_is_named_with_its_signal_and_a_failure_with_its_assertion(
    suite_run: CommandRun,
) -> None:
    details = {test["id"]: test["detail"] for test in suite_run.json()["tests"]}
    crash = details["tests/check_crash.py::test_segfault"]
    assert crash.startswith("killed by SIGSEGV\nFatal Python error: Segmentation fault\n")
    assert "assert 4 == 5" in details["tests/check_plain.py::test_fails"]
    assert details["tests/check_plain.py::test_skipped"] == "Skipped: never runs"


@pytest.mark.network
@pytest.mark.freethreaded
def test_the_gate_and_the_warning(suite_run: CommandRun, python_gil_0: bool) -> None:
    report = suite_run.json()
    assert report["gate"] == {
        "fail_on": ["crashed", "gil-enabled", "thread-unsafe", "timeout"],
        "passed": False,
    }
    assert report["summary"] == {
        "passed": 3,
        "failed": 1,
        "gil-enabled": 4,
        "crashed": 1,
        "skipped": 1,
    }
    hidden = [warning for warning in report["warnings"] if "PYTHON_GIL=0" in warning]
    # PYTHON_GIL=0 is removed for the children (the verdicts above are the same), and said.
    assert bool(hidden) is python_gil_0
    assert ("PYTHON_GIL=0 is set" in suite_run.stderr) is python_gil_0
    assert "gate failed" in suite_run.stderr


@pytest.mark.network
@pytest.mark.freethreaded
def test_a_conftest_that_switches_the_gil_on_at_startup_is_the_one_verdict(
    run_project: RunProject,
) -> None:
    run = run_project("startup", "--format", "json")
    # Its test would pass, with the GIL on: it gets no verdict, the start-up gets one.
    [result] = run.json()["tests"]
    assert (result["id"], result["verdict"], result["phase"]) == (
        "<startup>",
        "gil-enabled",
        "startup",
    ), run.stderr
    assert (result["module"], result["distribution"]) == ("ft_gil._core", "ft-gil")
    assert run.returncode == 1


@pytest.mark.network
@pytest.mark.freethreaded
def test_each_distribution_is_summarized_as_scan_sees_it(suite_run: CommandRun) -> None:
    summary = {
        dist["name"]: (dist["modules"], dist["tests"], dist["scan_trigger"], dist["lazy"])
        for dist in suite_run.json()["distributions"]
    }
    assert summary == {
        "ft-gil-two": (
            ["ft_gil_two._impl"],
            ["tests/check_collect.py", "tests/with_conftest"],
            "on-import",
            False,
        ),
        "ft-gil": (["ft_gil._core"], ["tests/check_gil.py::test_answer"], "on-import", False),
        # scan's import of the stack keeps the GIL off for it: only the test's first use finds
        # the accelerator in use.
        "ft-lazy": (
            ["ft_lazy._accel"],
            ["tests/check_lazy.py::test_accelerator"],
            "submodule",
            True,
        ),
    }


@pytest.mark.network
@pytest.mark.freethreaded
def test_a_switch_between_two_tests_is_the_next_tests_not_a_pass(run_project: RunProject) -> None:
    # A thread test_first left behind imports ft_gil as test_second is about to start,
    # outside every phase: test_second is the first that would run with the GIL on.
    run = run_project("background", "--format", "json")
    tests = {
        test["id"]: (test["verdict"], test["phase"], test["module"], test["distribution"])
        for test in run.json()["tests"]
    }
    assert tests == {
        "tests/check_background.py::test_first": ("passed", None, None, None),
        "tests/check_background.py::test_second": (
            "gil-enabled",
            "between-tests",
            "ft_gil._core",
            "ft-gil",
        ),
        "tests/check_background.py::test_third": ("passed", None, None, None),
    }, run.stderr
    assert run.json()["processes"] == 2
