"""A project's pytest options that would stop the run early or hide tests from the observer."""

from __future__ import annotations

import pytest

from tests.testrun.conftest import RunProject


@pytest.mark.network
@pytest.mark.freethreaded
def test_every_test_runs_here_whatever_the_project_options_say(run_project: RunProject) -> None:
    # addopts = -x -n 2: the first failure would end the session, the collection error too,
    # and pytest-xdist's workers would load ft_gil where no observer watches the GIL.
    run = run_project("options", "--format", "json")
    assert run.verdicts() == {
        "tests/check_broken.py": "failed",
        "tests/check_a.py::test_fails_first": "failed",
        "tests/check_a.py::test_passes_after": "passed",
        "tests/check_b.py::test_passes": "passed",
        "tests/check_c.py::test_loads_ft_gil": "gil-enabled",
    }, run.stderr
    details = {test["id"]: test["detail"] for test in run.json()["tests"]}
    assert "ImportError while importing test module" in details["tests/check_broken.py"]
    assert run.json()["processes"] == 1
