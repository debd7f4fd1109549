"""Remedies proven on the real free-threaded interpreter, from a real index on 127.0.0.1.

ft-upgrade 1.0 re-enables the GIL; 2.0 has a free-threaded wheel that still does (so the
verification must move past it); 3.0 declares support, and needs ft-helper 2.0 where the
stack pins 1.0. No release of ft-stuck keeps the GIL off. ft-refuses-build 1.0 is an sdist
whose build fails; 2.0 is a free-threaded wheel that keeps the GIL off.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from readiness.results import clear_cache
from tests.sdists import sdist_folder
from tests.test_scan_cli import readiness
from tests.wheelhouse import build_wheelhouse
from tests.wheelindex import serve_index

pytestmark = pytest.mark.freethreaded

RELEASES = [
    "ft-upgrade-1",
    "ft-upgrade-2",
    "ft-upgrade-3",
    "ft-stuck-1",
    "ft-stuck-2",
    "ft-helper-1",
    "ft-helper-2",
    "ft-refuses-build-2",
]


@dataclass(frozen=True)
class Scans:
    """A scan without verification, then the same scan cold and warm, on one cache."""

    unverified: dict[str, Any]
    cold: dict[str, Any]
    warm: dict[str, Any]
    asked_cold: list[str]
    asked_warm: list[str]
    cache: Path
    index_url: str


def scan(reqs: Path, python: Path, cache: Path, *flags: str) -> dict[str, Any]:
    result = readiness(
        "scan", reqs, "--python", python, "--format", "json", "--cache-dir", cache, *flags
    )
    assert result.returncode == 1, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return {dist["name"]: dist for dist in report["distributions"]}


@pytest.fixture(scope="module")
def scans(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scans]:
    folder = build_wheelhouse(freethreaded_python, RELEASES, tmp_path_factory.mktemp("index"))
    sdist_folder(freethreaded_python, folder, "ft-refuses-build")
    work = tmp_path_factory.mktemp("project")
    cache = work / "cache"
    asked: list[str] = []
    with serve_index(folder, asked) as url:
        reqs = work / "requirements.txt"
        reqs.write_text(
            f"--index-url {url}\nft-upgrade==1.0\nft-stuck==1.0\nft-helper==1.0\n"
            "ft-refuses-build==1.0\n"
        )
        unverified = scan(reqs, freethreaded_python, cache, "--no-verify-remedies")
        asked.clear()
        cold = scan(reqs, freethreaded_python, cache)
        asked_cold = list(asked)
        asked.clear()
        warm = scan(reqs, freethreaded_python, cache)
        yield Scans(unverified, cold, warm, asked_cold, list(asked), cache, url)


def test_verification_moves_past_a_free_threaded_wheel_that_re_enables_the_gil(
    scans: Scans,
) -> None:
    upgrade = scans.cold["ft-upgrade"]
    assert upgrade["verdict"] == "gil-enabled"
    remedy = upgrade["remedy"]
    assert remedy["upgrade_to"] == "3.0"
    assert remedy["verified"] is True
    assert remedy["tried"] == [
        {"version": "2.0", "verified": False, "why": "re-enables the GIL (ft_upgrade._core)"},
        {"version": "3.0", "verified": True, "why": None},
    ]
    assert remedy["text"].startswith("upgrade ft-upgrade 1.0 -> 3.0: verified")
    assert "tried first: 2.0 re-enables the GIL (ft_upgrade._core)" in remedy["text"]
    assert remedy["workaround"] is None


def test_the_upgrade_of_a_pin_that_cannot_be_installed_is_proven_too(scans: Scans) -> None:
    refused = scans.cold["ft-refuses-build"]
    assert refused["verdict"] == "not-installable"
    remedy = refused["remedy"]
    assert (remedy["upgrade_to"], remedy["verified"]) == ("2.0", True)
    assert remedy["tried"] == [{"version": "2.0", "verified": True, "why": None}]
    assert remedy["text"].startswith("upgrade ft-refuses-build 1.0 -> 2.0: verified")
    assert scans.warm["ft-refuses-build"]["remedy"] == remedy


def test_the_upgrade_names_the_other_pins_it_forces(scans: Scans) -> None:
    # 3.0 needs ft-helper>=2.0; ft-stuck keeps its pin, as nothing forces it.
    remedy = scans.cold["ft-upgrade"]["remedy"]
    assert remedy["also_upgrade"] == ["ft-helper==2.0"]
    assert remedy["text"].endswith("; it also needs ft-helper==2.0")


def test_no_release_that_keeps_the_gil_off_is_said_so(scans: Scans) -> None:
    remedy = scans.cold["ft-stuck"]["remedy"]
    assert remedy["verified"] is False
    assert remedy["upgrade_to"] is None
    assert remedy["text"] == (
        "no release keeps the GIL off yet "
        "(not verified: tried 2.0 re-enables the GIL (ft_stuck._core))"
    )


def test_the_verification_installed_from_the_index_and_left_no_environment(
    scans: Scans,
) -> None:
    # The releases tried were fetched from this index, and what 3.0 needs with them.
    fetched = [line for line in scans.asked_cold if "/files/" in line and "GET" in line]
    assert any("ft_upgrade-2.0-" in line for line in fetched)
    assert any("ft_upgrade-3.0-" in line for line in fetched)
    assert any("ft_stuck-2.0-" in line for line in fetched)
    assert any("ft_helper-2.0-" in line for line in fetched)
    assert [path.name for path in (scans.cache / "envs").glob("verify-*") if path.is_dir()] == []


def test_a_warm_scan_asks_the_index_nothing_and_says_the_same(scans: Scans) -> None:
    # Nothing installed, nothing downloaded: every release's outcome comes from the cache.
    assert scans.asked_warm == []
    for name in ("ft-upgrade", "ft-stuck"):
        assert scans.warm[name]["remedy"] == scans.cold[name]["remedy"]


def test_no_verify_remedies_leaves_the_remedy_unproven(scans: Scans) -> None:
    # 1.0 already has a free-threaded wheel and no tracker row names these: no advice at all.
    assert scans.unverified["ft-upgrade"]["verdict"] == "gil-enabled"
    assert scans.unverified["ft-upgrade"]["remedy"] is None
    assert scans.unverified["ft-stuck"]["remedy"] is None


def test_cache_clear_removes_the_kept_verifications(tmp_path: Path) -> None:
    (tmp_path / "verified" / "ab").mkdir(parents=True)

    assert [path.name for path in clear_cache(tmp_path)] == ["verified"]
    assert not (tmp_path / "verified").exists()


def test_an_upgrade_that_conflicts_with_another_pin_is_said_not_to_fit(
    freethreaded_python: Path, tmp_path: Path
) -> None:
    # ft-pinner's only release holds ft-helper below 2; ft-upgrade 3.0 needs 2.0 or later.
    folder = build_wheelhouse(freethreaded_python, [*RELEASES, "ft-pinner"], tmp_path / "index")
    with serve_index(folder) as url:
        reqs = tmp_path / "requirements.txt"
        reqs.write_text(f"--index-url {url}\nft-upgrade==1.0\nft-pinner==1.0\nft-helper==1.0\n")
        found = scan(reqs, freethreaded_python, tmp_path / "cache")

    remedy = found["ft-upgrade"]["remedy"]
    assert remedy["verified"] is True
    assert remedy["upgrade_to"] == "3.0"
    assert remedy["also_upgrade"] == []
    upgrade, _, conflict = remedy["text"].partition("; it does not fit the rest of the stack: ")
    assert upgrade.startswith("upgrade ft-upgrade 1.0 -> 3.0: verified")
    assert "ft-pinner" in conflict
    assert "ft-helper" in conflict
    assert "No solution found" not in conflict


def test_an_existing_environment_gets_its_remedies_proven_too(
    scans: Scans, freethreaded_python: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([freethreaded_python, "-m", "venv", venv], check=True, timeout=300)
    python = venv / "bin" / "python"
    install: list[str | Path] = [python, "-m", "pip", "install", "-q"]
    install += ["--index-url", scans.index_url, "ft-upgrade==1.0", "ft-helper==1.0"]
    subprocess.run(install, check=True, timeout=300)
    # The installer that proves the upgrade finds the index as the user configured it.
    configured = os.environ | {"UV_INDEX_URL": scans.index_url, "PIP_INDEX_URL": scans.index_url}

    result = readiness(
        "scan",
        "--env",
        venv,
        "--index-url",
        scans.index_url,
        "--format",
        "json",
        "--cache-dir",
        tmp_path / "cache",
        env=configured,
    )

    assert result.returncode == 1, result.stderr
    by_name = {dist["name"]: dist for dist in json.loads(result.stdout)["distributions"]}
    remedy = by_name["ft-upgrade"]["remedy"]
    assert (remedy["upgrade_to"], remedy["verified"]) == ("3.0", True)
    assert remedy["also_upgrade"] == ["ft-helper==2.0"]
    # Proven in scratch environments: the scanned one still holds what it held.
    listed = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    versions = {item["name"]: item["version"] for item in json.loads(listed.stdout)}
    assert (versions["ft-upgrade"], versions["ft-helper"]) == ("1.0", "1.0")
