"""pyproject.toml: PEP 621, PEP 735 groups and poetry tables, resolved by the installer."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.environment.installers import pick_resolver
from readiness.environment.uv import UvResolver
from readiness.interpreter.inspect import inspect_interpreter
from readiness.model import Target
from readiness.sources.interface import (
    Dependency,
    Origin,
    ResolvedDependency,
    Selection,
    SourceError,
)
from readiness.sources.pyproject import PyprojectSource, poetry_constraint
from tests.sources.conftest import RecordingResolver
from tests.sources.outcomes import ASSETS, skipped

DEMO = ASSETS / "pyprojectdemo" / "pyproject.toml"
POETRY = ASSETS / "poetrydemo" / "pyproject.toml"


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def collect(
    path: Path, recording: RecordingResolver, target: Target, selection: Selection | None = None
) -> list[Dependency]:
    source = PyprojectSource(path, selection or Selection(), recording)
    assert source.complete
    assert source.kind == "pyproject"
    return list(source.collect(target))


def asked(path: Path, selection: Selection | None = None) -> list[tuple[str, int | None]]:
    """Every requirement the file asks for with ``selection``, markers or not, and its line."""
    source = PyprojectSource(path, selection or Selection(), RecordingResolver())
    return [(line.installer_line(), line.origin.line) for line in source.requirement_lines()]


def test_dependencies_and_the_dev_group_by_default(
    recording: RecordingResolver, linux_313t: Target
) -> None:
    found = collect(DEMO, recording, linux_313t)
    assert asked(DEMO) == [
        ("gamma>=1", line_of(DEMO, '"gamma>=1"')),
        ("pywin32", line_of(DEMO, "pywin32")),
        ("alpha<1.1", line_of(DEMO, "alpha<1.1")),
        ("beta", line_of(DEMO, '"beta"')),
    ]
    assert skipped(found) == {
        "pywin32": 'marker `sys_platform == "win32"` is false for this interpreter'
    }


def test_extras_expand_through_the_project_itself_and_no_dev(
    recording: RecordingResolver, linux_313t: Target
) -> None:
    selection = Selection(extras=frozenset({"all"}), no_dev=True)
    assert [text for text, _ in asked(DEMO, selection)] == ["gamma>=1", "pywin32", "speedy"]


def test_all_groups_and_all_extras(recording: RecordingResolver, linux_313t: Target) -> None:
    selection = Selection(all_extras=True, all_groups=True)
    assert sorted(text for text, _ in asked(DEMO, selection)) == [
        "alpha<1.1",
        "alpha<1.1",
        "beta",
        "gamma>=1",
        "pywin32",
        "speedy",
    ]


def test_poetry_tables(recording: RecordingResolver, linux_313t: Target) -> None:
    found = collect(POETRY, recording, linux_313t)
    source = PyprojectSource(POETRY, Selection(), RecordingResolver())
    lines = {line.installer_line(): line for line in source.requirement_lines()}
    project = (POETRY.parent.parent / "pyprojectdemo").absolute()
    assert list(lines) == [
        "gamma<2,>=1.0",
        "alpha<1.1",
        "alpha>=1.1",
        f"-e {project}",
        "vcspkg @ git+https://127.0.0.1:9/vcspkg.git@v1",
        "beta",
    ]
    assert str(lines["alpha<1.1"].marker) == 'python_full_version < "3.12"'
    assert lines["gamma<2,>=1.0"].origin == Origin(POETRY, line_of(POETRY, "gamma ="))
    assert lines["beta"].origin == Origin(POETRY, line_of(POETRY, "beta ="))
    assert {dep.name for dep in found if isinstance(dep, ResolvedDependency)} == {
        "gamma",
        "alpha",
        "localpkg",
        "vcspkg",
        "beta",
    }


def test_poetry_extras_and_optional_groups(
    recording: RecordingResolver, linux_313t: Target
) -> None:
    selection = Selection(extras=frozenset({"fast"}), groups=frozenset({"docs"}), no_dev=True)
    texts = [text for text, _ in asked(POETRY, selection)]
    assert "speedy<1.1,>=1.0" in texts
    assert "delta==1.2.*" in texts
    assert "beta" not in texts


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("^1.2.3", ">=1.2.3,<2"),
        ("^0.2.3", ">=0.2.3,<0.3"),
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),
        ("~1.2.3", ">=1.2.3,<1.3"),
        ("~1", ">=1,<2"),
        ("*", ""),
        ("1.2.3", "==1.2.3"),
        ("1.2.*", "==1.2.*"),
        (">= 1.2, < 2.0", ">=1.2,<2.0"),
        (">=1.2 <2", ">=1.2,<2"),
        ("~=1.4", "~=1.4"),
    ],
)
def test_poetry_constraints(written: str, expected: str) -> None:
    assert poetry_constraint(written) == expected


@pytest.mark.parametrize("written", ["1.0 || 2.0", "^x.y", ">=>=1"])
def test_poetry_constraints_pep_440_cannot_say(written: str) -> None:
    with pytest.raises(ValueError, match=r"`"):
        poetry_constraint(written)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "selection", "message", "line"),
    [
        ('[project]\nname = "x"\nversion = = 1\n', Selection(), "not valid TOML", 3),
        (
            '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
            Selection(),
            "dependencies are dynamic",
            3,
        ),
        (
            '[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "a"}]\n',
            Selection(groups=frozenset({"a"})),
            "cycle: a -> b -> a",
            3,
        ),
        (
            '[project]\nname = "x"\n\n[project.optional-dependencies]\ncli = ["click"]\n',
            Selection(extras=frozenset({"gui"})),
            "unknown extra `gui`; the file declares cli",
            4,
        ),
        (
            '[dependency-groups]\ndev = ["a"]\n',
            Selection(groups=frozenset({"docs"})),
            "unknown dependency group `docs`",
            1,
        ),
        ('[project]\nname = "x"\ndependencies = [\n  "a >> 1",\n]\n', Selection(), "valid", 4),
        (
            '[tool.poetry.dependencies]\npython = "^3.9"\nx = "1 || 2"\n',
            Selection(),
            "no PEP 440 spelling",
            3,
        ),
    ],
)
def test_bad_input_names_the_file_and_line(
    tmp_path: Path,
    recording: RecordingResolver,
    linux_313t: Target,
    text: str,
    selection: Selection,
    message: str,
    line: int,
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SourceError, match=message) as raised:
        collect(path, recording, linux_313t, selection)
    assert raised.value.path == path
    assert raised.value.line == line


@pytest.mark.freethreaded
@pytest.mark.usefixtures("quiet_installers")
def test_resolved_by_uv_for_the_real_interpreter(
    freethreaded_python: Path, index_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", index_url)
    resolver = pick_resolver("uv")
    assert isinstance(resolver, UvResolver)
    target = inspect_interpreter(freethreaded_python).target()
    source = PyprojectSource(DEMO, Selection(extras=frozenset({"fast"})), resolver)
    found: dict[str, Dependency] = {dep.name: dep for dep in source.collect(target)}
    assert {name: str(getattr(dep, "version", None)) for name, dep in found.items()} == {
        "gamma": "1.0",
        "beta": "2.0",
        # The test group's constraint, included by dev.
        "alpha": "1.0",
        "speedy": "1.0",
        "pywin32": "None",
    }
    assert found["alpha"].origin == Origin(DEMO, line_of(DEMO, "alpha<1.1"))


@pytest.mark.freethreaded
@pytest.mark.usefixtures("quiet_installers")
def test_unsatisfiable_requirement_names_its_line(
    freethreaded_python: Path, index_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", index_url)
    path = write(tmp_path, '[project]\nname = "x"\ndependencies = [\n  "gamma",\n  "beta>=9",\n]\n')
    target = inspect_interpreter(freethreaded_python).target()
    with pytest.raises(SourceError, match="uv cannot resolve") as raised:
        list(PyprojectSource(path, Selection(), pick_resolver("uv")).collect(target))
    assert raised.value.line == 5
