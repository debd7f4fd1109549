from __future__ import annotations

import pytest

from readiness._stream import error_tail
from readiness.environment import installers as installers_module
from readiness.environment.command import index_arguments
from readiness.environment.installers import pick_installer
from readiness.environment.interface import InstallerError
from readiness.environment.pip import PipInstaller, built_in_output
from readiness.environment.uv import UvInstaller
from readiness.environment.uv import built_in_output as uv_built_in_output
from readiness.model import IndexOptions


def test_pick_installer(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(pick_installer(), UvInstaller)
    assert isinstance(pick_installer(prefer="uv"), UvInstaller)
    assert isinstance(pick_installer(prefer="pip"), PipInstaller)
    monkeypatch.setattr(installers_module, "find_uv", lambda: None)
    assert isinstance(pick_installer(), PipInstaller)
    with pytest.raises(InstallerError, match="uv is not installed") as caught:
        pick_installer(prefer="uv")
    assert caught.value.hint is not None
    assert "--installer pip" in caught.value.hint


def test_index_arguments() -> None:
    options = IndexOptions(
        index_url="http://127.0.0.1:8080/simple",
        extra_index_urls=("http://127.0.0.1:8081/simple",),
        find_links=("/wheels",),
        no_index=True,
    )
    assert index_arguments(options) == [
        "--index-url",
        "http://127.0.0.1:8080/simple",
        "--extra-index-url",
        "http://127.0.0.1:8081/simple",
        "--find-links",
        "/wheels",
        "--no-index",
    ]
    assert index_arguments(None) == []
    assert index_arguments(IndexOptions()) == []


def test_built_lines() -> None:
    assert uv_built_in_output(
        ["   Building gamma==3.0", "      Built gamma==3.0", "      Built Zeta_Pkg @ file:///x"]
    ) == {"gamma", "zeta-pkg"}
    assert built_in_output(["Successfully built gamma Zeta_Pkg"]) == {"gamma", "zeta-pkg"}


def test_error_tail_drops_noise() -> None:
    lines = [
        "\x1b[1m\x1b[31merror\x1b[0m: resolution failed",
        "   ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1.2/1.2 MB 3.4 MB/s eta 0:00:00",
        "⠙ Resolving dependencies...",
        "Resolved 3 packages in 12ms",
        "",
        "  \N{MULTIPLICATION SIGN} No solution found when resolving dependencies:",
    ]
    assert error_tail(lines) == (
        "error: resolution failed\n"
        "  \N{MULTIPLICATION SIGN} No solution found when resolving dependencies:"
    )
