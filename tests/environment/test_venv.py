from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness._metadata import Headers, MetadataFolder
from readiness.environment import venv as venv_module
from readiness.environment.interface import (
    InstalledDistribution,
    InstallResult,
)
from readiness.environment.pip import PipInstaller
from readiness.environment.venv import (
    Refusals,
    create_environment,
    install_dependencies,
)
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from tests.environment.conftest import RecordingProgress, install_lock, pin, uv_installer

pytestmark = pytest.mark.freethreaded


def summary(result: InstallResult) -> dict[str, tuple[str, bool]]:
    return {d.name: (str(d.version), d.built_from_source) for d in result.installed}


def test_uv_environment_lock_style(
    freethreaded: Interpreter,
    tmp_path: Path,
    local_index: IndexOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A lock (complete): --no-deps, one bad pin, one sdist to build."""
    installer = uv_installer()
    env = create_environment(freethreaded, "key-1", cache_dir=tmp_path, installer=installer)
    assert env.root == tmp_path / "envs" / "key-1"
    assert env.python == env.root / "bin" / "python"
    assert all(env.root in path.parents for path in env.site_packages)
    # uv venv seeds nothing: the environment starts empty.
    assert list(venv_module.installed_distributions(env, set())) == []

    progress = RecordingProgress()
    result = install_dependencies(
        env,
        [pin("alpha", "1.0", 1), pin("nosuch", "1.0", 2), pin("gamma", "3.0", 3)],
        complete=True,
        installer=installer,
        no_build=False,
        index_options=local_index,
        progress=progress,
    )
    assert summary(result) == {"alpha": ("1.0", False), "gamma": ("3.0", True)}
    assert [failure.name for failure in result.failures] == ["nosuch"]
    assert "nosuch" in result.failures[0].reason
    assert progress.phases == ["installing with uv", "installing one by one with uv"]
    assert any("alpha" in line for line in progress.lines)

    # The same scan again: the environment and its result are reused as they are, and its
    # interpreter is not started to name its site-packages again.
    sentinel = env.root / "sentinel"
    sentinel.touch()

    def asked(root: Path) -> None:
        raise AssertionError(f"{root}'s interpreter was asked again")

    monkeypatch.setattr(venv_module, "describe_environment", asked)
    again = create_environment(freethreaded, "key-1", cache_dir=tmp_path, installer=installer)
    assert again == env
    quiet = RecordingProgress()
    reused = install_dependencies(
        again,
        [pin("alpha", "1.0", 1), pin("nosuch", "1.0", 2), pin("gamma", "3.0", 3)],
        complete=True,
        installer=installer,
        no_build=False,
        index_options=local_index,
        progress=quiet,
    )
    assert reused == result
    assert quiet.phases == []
    assert sentinel.exists()

    # The lock changes: beta comes, nosuch goes. Only beta's line reaches the installer;
    # gamma, built from source by the first install, is neither built again nor forgotten.
    changed = RecordingProgress()
    moved = install_dependencies(
        again,
        [pin("alpha", "1.0", 1), pin("beta", "2.0", 2), pin("gamma", "3.0", 3)],
        complete=True,
        installer=installer,
        no_build=False,
        index_options=local_index,
        progress=changed,
    )
    assert summary(moved) == {
        "alpha": ("1.0", False),
        "beta": ("2.0", False),
        "gamma": ("3.0", True),
    }
    assert moved.failures == ()
    assert changed.phases == ["installing with uv"]
    assert any("Installed 1 package" in line for line in changed.lines), changed.lines


def test_a_changed_pin_reads_only_its_own_metadata(
    freethreaded: Interpreter,
    tmp_path: Path,
    local_index: IndexOptions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installer = uv_installer()
    pins = [pin("alpha", "1.0", 1), pin("delta", "1.0", 2), pin("gamma", "3.0", 3)]
    install_lock(freethreaded, tmp_path, "key-1", installer, pins, local_index)
    read: list[str | None] = []
    headers = MetadataFolder.headers

    def reading(folder: MetadataFolder) -> Headers:
        found = headers(folder)
        read.append(found.name)
        return found

    monkeypatch.setattr(MetadataFolder, "headers", reading)
    pins[1] = pin("delta", "1.1", 2)
    moved = install_lock(freethreaded, tmp_path, "key-1", installer, pins, local_index)

    assert summary(moved) == {
        "alpha": ("1.0", False),
        "delta": ("1.1", False),
        "gamma": ("3.0", True),
    }
    assert read == ["delta"]
    # What it says is what the environment holds, as a whole reading finds it.
    env = create_environment(freethreaded, "key-1", cache_dir=tmp_path, installer=installer)
    assert moved.installed == venv_module.installed_distributions(env, {NormalizedName("gamma")})


def test_a_refusal_is_not_tried_again_until_refresh(
    freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions
) -> None:
    installer = uv_installer()
    refusals = Refusals.in_cache(tmp_path, "interpreter", "uv")
    asked = [pin("alpha", "1.0", 1), pin("nosuch", "1.0", 2)]

    def install(key: str, refusals: Refusals) -> tuple[InstallResult, list[str]]:
        progress = RecordingProgress()
        result = install_lock(
            freethreaded,
            tmp_path,
            key,
            installer,
            asked,
            local_index,
            progress=progress,
            refusals=refusals,
        )
        return result, progress.phases

    first, phases = install("one", refusals)
    assert phases == ["installing with uv", "installing one by one with uv"]
    # Another environment (another lock): the refused pin is not tried, the rest installs.
    second, phases = install("two", refusals)
    assert phases == ["installing with uv"]
    assert summary(second) == summary(first) == {"alpha": ("1.0", False)}
    assert second.failures == first.failures
    assert "nosuch" in second.failures[0].reason
    # --refresh: tried again.
    _, phases = install("three", dataclasses.replace(refusals, refresh=True))
    assert phases == ["installing with uv", "installing one by one with uv"]


def test_an_unfinished_environment_is_rebuilt(freethreaded: Interpreter, tmp_path: Path) -> None:
    installer = uv_installer()
    env = create_environment(freethreaded, "key-2", cache_dir=tmp_path, installer=installer)
    leftover = env.root / "leftover"
    leftover.touch()
    # No install finished, so no completion marker: created again from scratch.
    create_environment(freethreaded, "key-2", cache_dir=tmp_path, installer=installer)
    assert not leftover.exists()


def test_uv_resolves_when_the_file_is_not_a_lock(
    freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions
) -> None:
    installer = uv_installer()
    env = create_environment(freethreaded, "key-3", cache_dir=tmp_path, installer=installer)
    result = install_dependencies(
        env,
        [pin("beta", "2.0")],
        complete=False,
        installer=installer,
        no_build=False,
        index_options=local_index,
    )
    assert summary(result) == {"alpha": ("1.0", False), "beta": ("2.0", False)}
    assert result.failures == ()


def test_uv_no_build_refuses_the_sdist(
    freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions
) -> None:
    installer = uv_installer()
    env = create_environment(freethreaded, "key-4", cache_dir=tmp_path, installer=installer)
    result = install_dependencies(
        env,
        [pin("alpha", "1.0"), pin("gamma", "3.0")],
        complete=True,
        installer=installer,
        no_build=True,
        index_options=local_index,
    )
    assert summary(result) == {"alpha": ("1.0", False)}
    assert [failure.name for failure in result.failures] == ["gamma"]
    assert "gamma" in result.failures[0].reason


def test_uv_sees_a_source_build_taken_from_its_cache(
    freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions
) -> None:
    # Built once (in the first environment), then taken from uv's cache: no "Built" line.
    installer = uv_installer()
    results = []
    for key in ("key-5", "key-6"):
        env = create_environment(freethreaded, key, cache_dir=tmp_path, installer=installer)
        results.append(
            install_dependencies(
                env,
                [pin("gamma", "3.0")],
                complete=True,
                installer=installer,
                no_build=False,
                index_options=local_index,
            )
        )
    assert [summary(result) for result in results] == [{"gamma": ("3.0", True)}] * 2


def test_pip_environment(
    freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions
) -> None:
    """pip in the environment itself: resolving, one bad pin, one sdist to build."""
    installer = PipInstaller()
    env = create_environment(freethreaded, "key-pip", cache_dir=tmp_path, installer=installer)
    assert "pip" in {d.name for d in venv_module.installed_distributions(env, set())}
    progress = RecordingProgress()
    result = install_dependencies(
        env,
        [pin("beta", "2.0", 1), pin("nosuch", "1.0", 2), pin("gamma", "3.0", 3)],
        complete=False,
        installer=installer,
        no_build=False,
        index_options=local_index,
        progress=progress,
    )
    installed = summary(result)
    assert installed["alpha"] == ("1.0", False)
    assert installed["beta"] == ("2.0", False)
    assert installed["gamma"] == ("3.0", True)
    assert "pip" in installed
    assert [failure.name for failure in result.failures] == ["nosuch"]
    reason = result.failures[0].reason
    assert "nosuch" in reason
    assert "\x1b[" not in reason
    assert progress.phases == ["installing with pip", "installing one by one with pip"]


def test_pip_no_build(freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions) -> None:
    installer = PipInstaller()
    env = create_environment(freethreaded, "key-pip-2", cache_dir=tmp_path, installer=installer)
    result = install_dependencies(
        env,
        [pin("gamma", "3.0")],
        complete=True,
        installer=installer,
        no_build=True,
        index_options=local_index,
    )
    assert "gamma" not in summary(result)
    assert [failure.name for failure in result.failures] == ["gamma"]


@pytest.mark.network
@pytest.mark.parametrize("installer_name", ["uv", "pip"])
def test_installs_from_the_configured_index(
    freethreaded: Interpreter, tmp_path: Path, installer_name: str
) -> None:
    installer = uv_installer() if installer_name == "uv" else PipInstaller()
    env = create_environment(freethreaded, "key-net", cache_dir=tmp_path, installer=installer)
    result = install_dependencies(
        env, [pin("six", "1.16.0")], complete=True, installer=installer, no_build=False
    )
    # six declares no free-threading classifier: read, and none found.
    six = InstalledDistribution(canonicalize_name("six"), Version("1.16.0"), False, ())
    assert six in result.installed
    assert result.failures == ()
    probe = subprocess.run(
        [str(env.python), "-c", "import six; print(six.__version__)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert probe.stdout.strip() == "1.16.0"
