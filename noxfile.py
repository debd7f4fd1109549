"""Development sessions: ``nox -s tests`` runs every test, ``nox -s unit`` the fast lane."""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

TEST_PYTHON_VERSION = os.environ.get("READINESS_TEST_PYTHON_VERSION", "3.13t")
"""What the tests provision when no free-threaded interpreter is found: 3.13t, because
it can be built offline from Debian's source package as well as installed by uv."""


def _free_threaded_python(session: nox.Session) -> str:
    """Find a free-threaded CPython for the tests, provisioning one (once) if there is none."""
    if configured := os.environ.get("READINESS_TEST_PYTHON"):
        return configured
    found = session.run("readiness", "python", "find", silent=True, success_codes=[0, 2], log=False)
    lines = str(found or "").strip().splitlines()
    if lines and lines[-1].startswith("/"):
        return lines[-1]
    session.log(f"no free-threaded interpreter found: provisioning {TEST_PYTHON_VERSION}")
    session.run("readiness", "python", "install", TEST_PYTHON_VERSION)
    installed = session.run(
        "readiness", "python", "find", "--python", TEST_PYTHON_VERSION, silent=True
    )
    return str(installed).strip().splitlines()[-1]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite on a real free-threaded interpreter (provisioned if needed)."""
    session.install("-e", ".[test]")
    python = _free_threaded_python(session)
    session.run("pytest", *session.posargs, env={"READINESS_TEST_PYTHON": python})


@nox.session(default=False)
def unit(session: nox.Session) -> None:
    """Run the fast lane: every test that needs no free-threaded interpreter.

    tests/conftest.py marks each test that uses one ``freethreaded``; this lane leaves them
    out, so it runs on any machine, with nothing provisioned. ``tests`` still runs them all.
    """
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "not freethreaded", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package, the tests and this file with mypy --strict."""
    session.install("-e", ".[test]", "mypy", "nox")
    session.run("mypy")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the probe, index evidence, every scan and readiness test, each beside its anchor.

    Arguments after ``--`` go to scripts/bench_scan.py (``--sizes 27 100 --large 500``).
    """
    session.install("-e", ".[test]")
    python = _free_threaded_python(session)
    session.run("python", "scripts/bench_probe.py", "--python", python)
    session.run("python", "scripts/bench_index.py")
    session.run("python", "scripts/bench_scan.py", "--python", python, *session.posargs)
    session.run("python", "scripts/bench_testrun.py", "--python", python)


@nox.session(default=False)
def fuzz(session: nox.Session) -> None:
    """Run the parsers' property tests with many examples: 100,000 per test by default.

    ``READINESS_FUZZ_EXAMPLES`` sets another number; arguments after ``--`` go to pytest
    (``-k uv.lock`` for one parser). A crash found here becomes an ``@example`` in the test.
    """
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "tests/sources/test_hostile_input.py",
        "tests/sources/test_requirements.py::test_any_text_is_read_or_refused_with_source_error",
        "-p",
        "no:cacheprovider",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "fuzz"},
    )


@nox.session(default=False)
def refresh_data(session: nox.Session) -> None:
    """Regenerate data/tracker.json from the free-threading tracker (the live page by default).

    Where the tracker's copy shared beside this repository exists (../shared/tracker), it is
    read instead; arguments after ``--`` go to scripts/refresh_tracker.py and replace that.
    """
    session.install("-e", ".")
    arguments = list(session.posargs)
    shared_copy = Path("../shared/tracker/tracking.md")
    if not arguments and shared_copy.is_file():
        arguments = ["--input", str(shared_copy)]
    session.run("python", "scripts/refresh_tracker.py", *arguments)
