from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from readiness.evidence.indexconfig import (
    configured_index_url,
    parse_pip_config_list,
    pip_configured_index,
    pip_help_default_index,
    uv_configured_index,
    uv_help_default_index,
)
from readiness.evidence.interface import ServiceError

MIRROR = "http://127.0.0.1:3141/root/mirror/simple"
OTHER = "http://127.0.0.1:8080/simple"


@pytest.fixture
def environ(tmp_path: Path) -> dict[str, str]:
    """An environment with no index configured: no user files, pip's own files switched off."""
    home = tmp_path / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "xdg"),
        # pip reads only this file (and the site one) when it is set; os.devnull is empty.
        "PIP_CONFIG_FILE": os.devnull,
    }


def pip_default() -> str:
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url)


def test_uv_environment_first(environ: dict[str, str]) -> None:
    environ |= {"UV_INDEX_URL": OTHER, "UV_DEFAULT_INDEX": MIRROR, "PIP_INDEX_URL": OTHER}
    assert configured_index_url(environ) == MIRROR


def test_uv_index_url_before_pip(environ: dict[str, str]) -> None:
    environ |= {"UV_INDEX_URL": MIRROR, "PIP_INDEX_URL": OTHER}
    assert configured_index_url(environ) == MIRROR


def test_pip_environment(environ: dict[str, str]) -> None:
    environ["PIP_INDEX_URL"] = MIRROR
    assert configured_index_url(environ) == MIRROR


def test_pip_configuration_file(environ: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nindex-url = {OTHER}\n[install]\nindex-url = {MIRROR}\n")
    environ["PIP_CONFIG_FILE"] = str(config)
    assert configured_index_url(environ) == MIRROR


def test_pip_before_uv(environ: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nindex-url = {MIRROR}\n")
    environ["PIP_CONFIG_FILE"] = str(config)
    uv_dir = Path(environ["XDG_CONFIG_HOME"]) / "uv"
    uv_dir.mkdir(parents=True)
    (uv_dir / "uv.toml").write_text(f'index-url = "{OTHER}"\n')
    assert configured_index_url(environ) == MIRROR


def test_uv_user_configuration(environ: dict[str, str]) -> None:
    uv_dir = Path(environ["XDG_CONFIG_HOME"]) / "uv"
    uv_dir.mkdir(parents=True)
    (uv_dir / "uv.toml").write_text(
        f'[[index]]\nname = "extra"\nurl = "{OTHER}"\n\n'
        f'[[index]]\nname = "mirror"\nurl = "{MIRROR}"\ndefault = true\n'
    )
    assert configured_index_url(environ) == MIRROR


def test_uv_config_file_variable(environ: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text(f'index-url = "{MIRROR}"\n')
    environ["UV_CONFIG_FILE"] = str(config)
    assert uv_configured_index(environ) == MIRROR
    environ["UV_NO_CONFIG"] = "1"
    assert uv_configured_index(environ) is None


def test_uv_project_settings_before_the_users(environ: dict[str, str], tmp_path: Path) -> None:
    uv_dir = Path(environ["XDG_CONFIG_HOME"]) / "uv"
    uv_dir.mkdir(parents=True)
    (uv_dir / "uv.toml").write_text(f'index-url = "{OTHER}"\n')
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\n\n[[tool.uv.index]]\nurl = "{MIRROR}"\ndefault = true\n'
    )
    assert uv_configured_index(environ, project_dir=project) == MIRROR
    assert uv_configured_index(environ) == OTHER


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('index-url = "x\n', 1),
        ("a = " + "[" * 3000 + "]" * 3000 + "\n", None),
        ('index-url = "x"\nport = ' + "9" * 5000 + "\n", 2),
    ],
    ids=["invalid", "nested", "huge number"],
)
def test_a_broken_uv_config_is_a_clear_error(
    environ: dict[str, str], tmp_path: Path, text: str, line: int | None
) -> None:
    config = tmp_path / "uv.toml"
    config.write_text(text)
    environ["UV_CONFIG_FILE"] = str(config)
    with pytest.raises(ServiceError) as raised:
        uv_configured_index(environ)
    where = f"{config}:{line}:" if line else f"{config}:"
    assert str(raised.value).startswith(where)


def test_nothing_configured_is_pips_default(environ: dict[str, str]) -> None:
    assert configured_index_url(environ) == pip_default()


def test_pips_default_from_its_help(environ: dict[str, str]) -> None:
    assert pip_help_default_index(Path(sys.executable), environ) == pip_default()


def test_uvs_default_from_its_help(environ: dict[str, str]) -> None:
    assert uv_help_default_index(environ) == pip_default()


def test_parse_pip_config_list() -> None:
    output = (
        ":env:.find-links='/opt/wheels'\n"
        f"global.index-url='{OTHER}'\n"
        f"install.index-url='{MIRROR}'\n"
        "not a setting\n"
    )
    assert parse_pip_config_list(output) == {
        ":env:.find-links": "/opt/wheels",
        "global.index-url": OTHER,
        "install.index-url": MIRROR,
    }


@pytest.mark.skipif(os.name != "posix", reason="the counting interpreter is a shell script")
def test_pips_answer_is_kept_until_its_settings_change(
    environ: dict[str, str], tmp_path: Path
) -> None:
    # The real pip, through a script that counts how often it is started.
    calls = tmp_path / "calls"
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nindex-url = {MIRROR}\n")
    environ["PIP_CONFIG_FILE"] = str(config)
    cache = tmp_path / "cache"

    def ask(max_age: float = 3600) -> str | None:
        return pip_configured_index(python, environ, cache_dir=cache, max_age=max_age)

    def started() -> int:
        return len(calls.read_text().splitlines())

    assert ask() == MIRROR
    assert ask() == MIRROR
    assert started() == 1
    config.write_text(f"[global]\nindex-url = {OTHER}\n")
    assert ask() == OTHER
    assert started() == 2
    environ["PIP_TIMEOUT"] = "5"  # any PIP_ variable may change what pip says
    assert ask() == OTHER
    assert started() == 3
    assert ask(max_age=0) == OTHER  # --refresh
    assert started() == 4
