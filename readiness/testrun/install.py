"""The test run's environment: the project's dependencies, its test group, pytest and itself.

The dependencies come from the same sources as ``scan`` (a lock where the project has one),
installed by the same code into a probe environment of the free-threaded interpreter; then
pytest and the project itself, editable, so that its tests run the code in the folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from readiness._documents import read_toml
from readiness._state import Progress
from readiness.environment.interface import Installer, ProbeEnvironment
from readiness.environment.venv import (
    create_environment,
    environment_lock,
    install_dependencies,
)
from readiness.installer_requirements import EDITABLE_PREFIX
from readiness.interpreter.interface import Interpreter
from readiness.sources.discovery import find_source
from readiness.sources.interface import DependencySource, ResolvedDependency, Selection
from readiness.sources.resolve import Resolver
from readiness.testrun.model import TestRunError

TEST_PARTS = ("test", "tests", "testing", "dev")
"""The dependency group or extra that holds a project's test dependencies, in the order
looked for, when the user names none (``--group``, ``--extra``)."""

PYTEST_REQUIREMENT = "pytest"
"""The runner: installed beside the test dependencies, which usually name it already."""

THREADS_REQUIREMENT = "pytest-run-parallel"
"""The plugin that runs each test in several threads at once (``--threads``)."""


def suite_selection(project: Path, selection: Selection) -> Selection:
    """Return ``selection``, or, when it chooses nothing, the project's test group or extra.

    A PEP 735 dependency group is preferred to an extra of the same name.
    """
    if selection.groups or selection.extras or selection.all_groups or selection.all_extras:
        return selection
    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return selection
    _, document = read_toml(pyproject)
    groups = document.get("dependency-groups")
    project_table = document.get("project")
    extras = project_table.get("optional-dependencies") if isinstance(project_table, dict) else None
    for name in TEST_PARTS:
        if isinstance(groups, dict) and name in groups:
            return replace(selection, groups=frozenset({name}))
        if isinstance(extras, dict) and name in extras:
            return replace(selection, extras=frozenset({name}))
    return selection


def suite_source(project: Path, selection: Selection, resolver: Resolver) -> DependencySource:
    """Return the source of ``project``'s dependencies and its test part, as ``scan`` reads it.

    Its lock where the project has one, else its pyproject.toml, resolved by ``resolver``.
    """
    return find_source(project, suite_selection(project, selection), resolver)


@contextlib.contextmanager
def suite_environment(
    project: Path,
    interpreter: Interpreter,
    *,
    source: DependencySource,
    installer: Installer,
    cache_dir: Path,
    no_build: bool = False,
    threads: bool = False,
    progress: Progress | None = None,
) -> Iterator[ProbeEnvironment]:
    """Yield the probe environment that runs ``project``'s tests, held for this run only.

    ``source`` is :func:`suite_source`'s; ``threads`` installs pytest-run-parallel too.

    Raises :class:`TestRunError` when a dependency cannot be installed: a suite without one
    of its dependencies fails for that reason alone, which says nothing about the GIL.
    """
    progress = progress or Progress()
    dependencies = list(source.collect(interpreter.target()))
    resolved = [dep for dep in dependencies if isinstance(dep, ResolvedDependency)]
    index_options = source.index_options()
    key = _environment_key(project, interpreter, resolved, installer, no_build=no_build)
    with environment_lock(cache_dir / "envs" / key):
        environment = create_environment(interpreter, key, cache_dir=cache_dir, installer=installer)
        installed = install_dependencies(
            environment,
            resolved,
            complete=source.complete,
            installer=installer,
            no_build=no_build,
            index_options=index_options,
            progress=progress,
        )
        if installed.failures:
            reasons = "; ".join(f"{item.name}: {item.reason}" for item in installed.failures)
            raise TestRunError(
                f"the test environment lacks what could not be installed: {reasons}",
                hint="`readiness scan` on the project says why, with the remedies it knows.",
            )
        progress.start(f"installing pytest and {project.name} with {installer.name}")
        installer.install(
            environment,
            [
                PYTEST_REQUIREMENT,
                *([THREADS_REQUIREMENT] if threads else []),
                f"{EDITABLE_PREFIX}{project.resolve()}",
            ],
            no_deps=False,
            no_build=no_build,
            on_line=progress.message,
            index_options=index_options,
        )
        progress.finish()
        yield environment


def _environment_key(
    project: Path,
    interpreter: Interpreter,
    resolved: list[ResolvedDependency],
    installer: Installer,
    *,
    no_build: bool,
) -> str:
    """Name the environment for this project, interpreter and set of dependencies.

    ``test-`` keeps it apart from ``scan``'s environments, which hold no pytest and no project.
    """
    inputs = {
        "project": str(project.resolve()),
        "python": str(interpreter.executable),
        "requirements": sorted(dep.requirement() for dep in resolved),
        "installer": installer.name,
        "no_build": no_build,
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    return f"test-{digest[:16]}"
