"""A failed build's reason is its cause line, found in real output of pip and uv.

The sdist ``ft-refuses-build`` prints thirty lines of noise, then raises ``RuntimeError("CFFI
does not support the free-threaded build")`` from its setup.py, as cffi 2.x does on 3.13t;
both installers build it for real (setuptools from the machine's own files, nothing fetched).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.environment.interface import Installer, InstallResult
from readiness.environment.venv import create_environment, install_dependencies
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from tests.environment.conftest import installers, pin

pytestmark = pytest.mark.freethreaded

CAUSE = "RuntimeError: CFFI does not support the free-threaded build"


@pytest.mark.parametrize("installer", installers(), ids=lambda installer: installer.name)
def test_the_reason_is_the_build_backends_error(
    freethreaded: Interpreter, tmp_path: Path, refusing: IndexOptions, installer: Installer
) -> None:
    env = create_environment(freethreaded, "refusing", cache_dir=tmp_path, installer=installer)

    def install() -> InstallResult:
        return install_dependencies(
            env,
            [pin("alpha", "1.0", 1), pin("ft-refuses-build", "1.0", 2)],
            complete=True,
            installer=installer,
            no_build=False,
            index_options=refusing,
        )

    result = install()
    assert "alpha" in {dist.name for dist in result.installed}
    [failure] = result.failures
    assert failure.name == "ft-refuses-build"
    assert failure.reason == CAUSE
    # The whole output is kept: the noise, the traceback, the installer's own words.
    assert "checking for feature 29... yes" in failure.log
    assert "Traceback (most recent call last):" in failure.log
    assert failure.log.rstrip().splitlines()[-1] != CAUSE
    assert "\x1b[" not in failure.log

    # Recorded with the environment: the same scan again reads the same reason and log.
    again = install()
    assert again.failures == result.failures
