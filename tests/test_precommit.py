"""The pre-commit hooks and the GitHub Action, as their users run them.

The hook test runs the real ``pre-commit`` in a temporary git repository whose configuration
names a git repository made from this checkout as its hook repository: pre-commit clones it,
pip-installs it into the hook's own environment (from the package index: ``network``) and
runs ``readiness scan`` on the fixture stack, compiled for the free-threaded interpreter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # pre-commit's own dependency; no stubs installed

from tests.test_scan_cli import fixture_wheels, requirements

__all__ = ["fixture_wheels"]  # a fixture: pytest finds it by name in this module

ROOT = Path(__file__).resolve().parent.parent
"""The checkout under test: the hook repository, action.yml and the hook manifest."""

GIT_ENVIRONMENT = {
    **os.environ,
    # Commits in the temporary repositories need an author, and must not depend on (or be
    # signed by) the user's own configuration.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "readiness tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "readiness tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
}
"""The environment of every git and pre-commit command the tests run."""


def git(*args: str | Path, cwd: Path) -> str:
    """Run git in ``cwd`` and return its output; a failure fails the test with git's stderr."""
    result = subprocess.run(
        ["git", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=GIT_ENVIRONMENT,
    )
    assert result.returncode == 0, f"git {' '.join(map(str, args))}: {result.stderr}"
    return result.stdout


def load_yaml(path: Path) -> Any:
    """Parse a YAML file as pre-commit and GitHub do (plain data, no Python tags)."""
    return yaml.safe_load(path.read_text())


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the real pre-commit of the test environment in ``cwd``, caching in ``home``."""
    environment = {k: v for k, v in GIT_ENVIRONMENT.items() if k not in ("SKIP", "PYTHON_GIL")}
    environment["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args, "--color", "never"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )


# --- the hook manifest -------------------------------------------------------------------

MANIFEST = ROOT / ".pre-commit-hooks.yaml"


def hooks() -> dict[str, dict[str, Any]]:
    """The hooks of the manifest, by id."""
    return {hook["id"]: hook for hook in load_yaml(MANIFEST)}


def test_manifest_and_config_are_valid_for_pre_commit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    manifest = pre_commit("validate-manifest", str(MANIFEST), cwd=ROOT, home=home)
    config = pre_commit(
        "validate-config", str(ROOT / ".pre-commit-config.yaml"), cwd=ROOT, home=home
    )

    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    assert config.returncode == 0, config.stdout + config.stderr


def test_hooks_scan_the_whole_project() -> None:
    found = hooks()

    assert found["readiness"]["entry"] == "readiness scan"
    assert found["readiness-static"]["entry"] == "readiness scan --static"
    for hook in found.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["description"]


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("requirements.txt", True),
        ("requirements-dev.txt", True),
        ("dev-requirements.txt", True),
        ("requirements/prod.txt", True),
        ("requirements.in", True),
        ("requirements/base.in", True),
        ("pylock.toml", True),
        ("pylock.dev.toml", True),
        ("uv.lock", True),
        ("poetry.lock", True),
        ("pdm.lock", True),
        ("Pipfile.lock", True),
        ("pyproject.toml", True),
        ("services/api/uv.lock", True),
        ("MANIFEST.in", False),
        ("README.md", False),
        ("src/app/main.py", False),
        ("notes.txt", False),
        ("Pipfile", False),
        ("pylock.toml.bak", False),
        ("my-pyproject.toml", False),
    ],
)
def test_hooks_run_when_a_dependency_file_changes(path: str, runs: bool) -> None:
    for hook in hooks().values():
        # pre-commit's own test: `files` searched in, `exclude` searched out (re.search).
        selected = re.search(hook["files"], path) is not None
        excluded = re.search(hook["exclude"], path) is not None
        assert (selected and not excluded) is runs, (hook["id"], path)


# --- the hook, run by pre-commit ---------------------------------------------------------


@pytest.fixture(scope="module")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository of this checkout, as it is now, and the commit pre-commit should use.

    A clone of HEAD, with the working tree's uncommitted changes committed on top: what is
    tested is what is checked out (in CI, a clean clone, the two are the same).
    """
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: there is no hook repository to clone")
    clone = tmp_path_factory.mktemp("hook-repository") / "readiness"
    git("clone", "--quiet", ROOT, clone, cwd=ROOT)
    present = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in filter(None, present.split("\0")):
        source = ROOT / name
        if source.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
        else:  # deleted in the working tree
            (clone / name).unlink(missing_ok=True)
    git("add", "--all", cwd=clone)
    if git("status", "--porcelain", cwd=clone).strip():
        git("commit", "--quiet", "--no-verify", "-m", "The working tree under test", cwd=clone)
    return clone, git("rev-parse", "HEAD", cwd=clone).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache for the module: the hook environment is installed once."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def scan_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """readiness's cache for the hook's scans."""
    return tmp_path_factory.mktemp("readiness-cache")


def project(
    folder: Path,
    hook_repository: tuple[Path, str],
    python: Path,
    cache: Path,
    wheels: Path,
    distributions: list[str],
) -> Path:
    """A git repository using the readiness hook on a requirements file of ``distributions``."""
    folder.mkdir()
    git("init", "--quiet", cwd=folder)
    requirements(folder, wheels, distributions)
    repository, rev = hook_repository
    config = {
        "repos": [
            {
                "repo": str(repository),
                "rev": rev,
                "hooks": [
                    {
                        "id": "readiness",
                        "args": [
                            "--python",
                            str(python),
                            "--cache-dir",
                            str(cache),
                            "--import-timeout",
                            "10",
                            "requirements.txt",
                        ],
                    }
                ],
            }
        ]
    }
    (folder / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git("add", "--all", cwd=folder)
    return folder


@pytest.mark.network
@pytest.mark.freethreaded
def test_hook_passes_a_ready_stack(
    hook_repository: tuple[Path, str],
    pre_commit_home: Path,
    scan_cache: Path,
    freethreaded_python: Path,
    fixture_wheels: Path,
    tmp_path: Path,
) -> None:
    folder = project(
        tmp_path / "ready",
        hook_repository,
        freethreaded_python,
        scan_cache,
        fixture_wheels,
        ["ft-ready", "ft-single-ok"],
    )

    result = pre_commit("run", "--all-files", cwd=folder, home=pre_commit_home)

    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"readiness \(free-threaded CPython\)\.+Passed", result.stdout)


@pytest.mark.network
@pytest.mark.freethreaded
def test_hook_fails_naming_the_culprit_module(
    hook_repository: tuple[Path, str],
    pre_commit_home: Path,
    scan_cache: Path,
    freethreaded_python: Path,
    fixture_wheels: Path,
    tmp_path: Path,
) -> None:
    folder = project(
        tmp_path / "not-ready",
        hook_repository,
        freethreaded_python,
        scan_cache,
        fixture_wheels,
        ["ft-ready", "ft-gil"],
    )

    result = pre_commit("run", "--all-files", cwd=folder, home=pre_commit_home)

    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"readiness \(free-threaded CPython\)\.+Failed", result.stdout)
    assert "- exit code: 1" in result.stdout
    assert "ft_gil._core" in result.stdout
    assert "gate failed" in result.stdout


# --- the GitHub Action -------------------------------------------------------------------

ACTION = ROOT / "action.yml"

_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
_READINESS_COMMAND = re.compile(r'"\$READINESS"\s+(python\s+\w+|\w+)')
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def action() -> dict[str, Any]:
    """The parsed action.yml."""
    parsed = load_yaml(ACTION)
    assert isinstance(parsed, dict)
    return parsed


def run_steps() -> list[dict[str, Any]]:
    """The action's steps that run a script."""
    return [step for step in action()["runs"]["steps"] if "run" in step]


def help_text(command: str) -> str:
    """The ``--help`` of a readiness command (``scan``, ``python install``), as a user sees it."""
    result = subprocess.run(
        [sys.executable, "-m", "readiness", *command.split(), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_action_is_a_composite_action_with_its_inputs() -> None:
    parsed = action()

    assert parsed["runs"]["using"] == "composite"
    assert set(parsed["inputs"]) == {
        "path",
        "python",
        "format",
        "fail-on",
        "args",
        "test",
        "test-args",
        "readiness-version",
    }
    assert parsed["inputs"]["python"]["default"] == "3.14t"
    assert all(spec["description"] for spec in parsed["inputs"].values())
    for step in run_steps():
        assert step["shell"] == "bash", step["name"]


def strings(value: Any) -> list[str]:
    """Every string in a parsed YAML document (its comments are gone)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def test_action_refers_only_to_what_exists() -> None:
    parsed = action()
    step_ids = {step["id"] for step in parsed["runs"]["steps"] if "id" in step}
    expressions = [found for text in strings(parsed) for found in _EXPRESSION.findall(text)]

    assert expressions
    for expression in expressions:
        if expression.startswith("inputs."):
            assert expression.removeprefix("inputs.") in parsed["inputs"], expression
        elif expression.startswith("steps."):
            assert expression.split(".")[1] in step_ids, expression
        else:
            assert expression == "github.action_path", expression
    for step in run_steps():
        # Inputs reach scripts through env only: an expression in a script is injected code.
        assert not _EXPRESSION.search(step["run"]), step["name"]


def test_action_runs_readiness_with_existing_options_only() -> None:
    commands_run = []
    for step in run_steps():
        commands = set(_READINESS_COMMAND.findall(step["run"]))
        if not commands:
            continue
        assert len(commands) == 1, step["name"]
        command = " ".join(commands.pop().split())
        commands_run.append(command)
        known = set(_OPTION.findall(help_text(command)))
        lines = [line for line in step["run"].splitlines() if not line.lstrip().startswith("#")]
        used = set(_OPTION.findall("\n".join(lines)))
        assert used <= known, (command, used - known)
    assert commands_run == ["python install", "scan", "test"]


def test_action_writes_the_markdown_summary_and_exits_with_the_scan() -> None:
    scan = next(step for step in run_steps() if step.get("id") == "scan")

    assert '--format "markdown=$GITHUB_STEP_SUMMARY"' in scan["run"]
    assert scan["run"].rstrip().endswith('exit "$status"')


# --- the snippets of docs/ci.md ----------------------------------------------------------

_COMMENTED_KEY = re.compile(r"^(\s*)# ((?:- )?[a-z-]+: )", re.MULTILINE)


def readme_yaml(section: str) -> Any:
    """The first YAML snippet of a docs/ci.md section, its commented-out keys commented back in."""
    text = (ROOT / "docs" / "ci.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    snippet = body.split("```yaml\n", 1)[1].split("```", 1)[0]
    return yaml.safe_load(_COMMENTED_KEY.sub(r"\1\2", snippet))


def test_readme_pre_commit_snippet_names_our_hooks() -> None:
    (repository,) = readme_yaml("Pre-commit")["repos"]

    assert {hook["id"] for hook in repository["hooks"]} == set(hooks())


def test_readme_action_snippet_uses_the_action_inputs() -> None:
    steps = readme_yaml("CI gate")["jobs"]["free-threading"]["steps"]
    (ours,) = (step for step in steps if "/readiness@" in step["uses"])

    assert set(ours["with"]) <= set(action()["inputs"])
    assert {"path", "python", "fail-on", "format", "args"} <= set(ours["with"])
