"""Fixtures shared by every test: the free-threaded interpreter the tests probe with."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from readiness._cache import default_cache_dir

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
