"""Fixtures shared by every test: the free-threaded interpreter the tests probe with."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from readiness._cache import default_cache_dir

# Property tests draw a fixed set of examples in CI, so a run passes or fails by the code and
# never by the luck of the draw; `nox -s fuzz` draws many more (HYPOTHESIS_PROFILE=fuzz), and a
# crash it finds becomes an @example. Locally the default profile draws fresh examples.
settings.register_profile("ci", max_examples=300, derandomize=True, database=None, print_blob=True)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("READINESS_FUZZ_EXAMPLES", "100000")),
    deadline=None,
    print_blob=True,
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)

TEST_PYTHON_ENV = "READINESS_TEST_PYTHON"


def _find_test_python() -> Path | None:
    configured = os.environ.get(TEST_PYTHON_ENV)
    if configured:
        return Path(configured)
    for name in ("python3.14t", "python3.15t", "python3.13t"):
        found = shutil.which(name)
        if found:
            return Path(found)
    # What `readiness python install` provisions (nox -s tests runs it first).
    provisioned = sorted((default_cache_dir() / "python").glob("cpython-*t/bin/python3.*t"))
    return provisioned[-1] if provisioned else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the free-threaded interpreter ``freethreaded``.

    A fixture's closure holds the fixtures it depends on, so a test that only asks for
    ``wheelhouse`` or ``freethreaded`` (both built with the interpreter) is marked too, and
    ``pytest -m "not freethreaded"`` (``nox -s unit``) runs on a machine without one.
    """
    for item in items:
        if "freethreaded_python" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.freethreaded)


@pytest.fixture(scope="session")
def freethreaded_python() -> Path:
    """A free-threaded CPython executable; the test fails (not skips) without one."""
    found = _find_test_python()
    if found is None:
        pytest.fail(
            f"no free-threaded interpreter: set {TEST_PYTHON_ENV} or run "
            "`readiness python install 3.13t` (nox -s tests does)"
        )
    return found
