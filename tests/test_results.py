"""The result cache: a re-run probes only what changed, with the same verdicts."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.probe.interface import ImportStatus
from readiness.results import ResultCache, clear_cache
from tests.probe.conftest import make_venv
from tests.probe.test_lifetime import hung_probe, start_scan
from tests.processes import HAS_PROC, PATIENCE, descendants, end_leftovers
from tests.samples import failed, interpreter, ok
from tests.test_scan_cli import fixture_wheels as fixture_wheels
from tests.test_scan_cli import readiness, requirements

GIL = NormalizedName("ft-gil")


def test_observations_come_back_as_stored(tmp_path: Path) -> None:
    cache = ResultCache.for_interpreter(tmp_path, interpreter())
    key = cache.key(GIL, Version("1.0"), "digest")
    stored = [ok("ft_gil", "ft-gil", gil=("ft_gil._core",), warned="ft_gil._core")]

    assert cache.load(key) is None
    cache.store(key, stored)

    [loaded] = cache.load(key) or []
    assert loaded.step == stored[0].step
    assert loaded.gil_modules == ("ft_gil._core",)
    assert loaded.warned_module == "ft_gil._core"
    assert loaded.process == 0


def test_what_decides_a_verdict_is_in_the_key(tmp_path: Path) -> None:
    cache = ResultCache.for_interpreter(tmp_path, interpreter())
    keys = {
        cache.key(GIL, Version("1.0"), "digest"),
        cache.key(GIL, Version("1.1"), "digest"),
        cache.key(GIL, Version("1.0"), "other files"),
        cache.key(NormalizedName("ft-ready"), Version("1.0"), "digest"),
        ResultCache(root=tmp_path, interpreter="another build").key(GIL, Version("1.0"), "digest"),
    }
    assert len(keys) == 5


def test_a_timeout_is_not_kept_and_a_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache.for_interpreter(tmp_path, interpreter())
    slow = cache.key(NormalizedName("slow"), Version("1.0"), "d")
    cache.store(slow, [failed("slow", "slow", ImportStatus.TIMEOUT, "no answer after 60 s")])
    assert cache.load(slow) is None

    broken = cache.key(GIL, Version("1.0"), "d")
    cache.store(broken, [ok("ft_gil", "ft-gil")])
    [entry] = (tmp_path / "results").rglob(f"{broken}.json")
    entry.write_text('{"format": 1, "observations": [{"module": ')
    assert cache.load(broken) is None


def test_only_a_verdict_the_child_reached_by_itself_is_kept(tmp_path: Path) -> None:
    cache = ResultCache.for_interpreter(tmp_path, interpreter())
    fault = cache.key(NormalizedName("fault"), Version("1.0"), "d")
    killed = cache.key(NormalizedName("killed"), Version("1.0"), "d")
    crash = failed("fault", "fault", ImportStatus.CRASHED, "killed by SIGSEGV")

    cache.store(fault, [crash])
    cache.store(killed, [dataclasses.replace(crash, error="killed by SIGKILL", from_outside=True)])

    assert [o.error for o in cache.load(fault) or []] == ["killed by SIGSEGV"]
    assert cache.load(killed) is None


def test_cache_clear_keeps_interpreters(tmp_path: Path) -> None:
    cached = (
        "results/ab",
        "index",
        "envs/x",
        "interpreters/cd",
        "refusals/ef",
        "resolutions",
        "collected/01",
    )
    for name in (*cached, "python/cpython-3.13.5t", "tracker"):
        (tmp_path / name).mkdir(parents=True)

    removed = clear_cache(tmp_path)

    assert sorted(path.name for path in removed) == [
        "collected",
        "envs",
        "index",
        "interpreters",
        "refusals",
        "resolutions",
        "results",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["python", "tracker"]


def scan(reqs: Path, python: Path, cache: Path, *extra: str) -> dict[str, Any]:
    result = readiness(
        "scan", reqs, "--python", python, "--format", "json", "--cache-dir", cache, *extra
    )
    assert result.returncode == 1, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def summary(report: dict[str, Any]) -> dict[str, tuple[str, list[str], list[str], bool]]:
    return {
        d["name"]: (
            d["verdict"],
            [c["module"] for c in d["culprits"]],
            [r["module"] for r in d["reaches"]],
            d["cached"],
        )
        for d in report["distributions"]
    }


@pytest.mark.freethreaded
def test_a_rerun_probes_only_what_changed(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-pure-importer"])

    cold = scan(first, freethreaded_python, cache)
    warm = scan(first, freethreaded_python, cache)

    assert summary(cold) == {
        "ft-ready": ("ready", [], [], False),
        "ft-pure-importer": ("ready", [], ["ft_gil._core"], False),
        "ft-gil": ("gil-enabled", ["ft_gil._core"], [], False),
    }
    assert summary(warm) == {name: (*found[:3], True) for name, found in summary(cold).items()}
    assert cold["processes"] == 1
    assert warm["processes"] == 0  # nothing imported at all

    # One more distribution: only it is probed.
    (tmp_path / "more").mkdir()
    more = requirements(
        tmp_path / "more", fixture_wheels, ["ft-ready", "ft-pure-importer", "ft-lazy"]
    )
    changed = scan(more, freethreaded_python, cache)
    assert {name: found[3] for name, found in summary(changed).items()} == {
        "ft-ready": True,
        "ft-pure-importer": True,
        "ft-lazy": False,
        "ft-gil": True,
    }
    assert summary(changed)["ft-lazy"][:2] == ("gil-enabled", ["ft_lazy._accel"])

    fresh = scan(first, freethreaded_python, cache, "--no-cache")
    assert not any(found[3] for found in summary(fresh).values())


@pytest.mark.freethreaded
def test_a_changed_lock_reuses_its_environment_and_drops_what_it_no_longer_pins(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    reqs = requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-pure-importer"])
    scan(reqs, freethreaded_python, cache)
    [environment] = (cache / "envs").glob("*/bin/python")

    requirements(tmp_path, fixture_wheels, ["ft-ready", "ft-lazy"])
    changed = scan(reqs, freethreaded_python, cache)

    assert list((cache / "envs").glob("*/bin/python")) == [environment]
    assert {name: found[3] for name, found in summary(changed).items()} == {
        "ft-ready": True,
        "ft-lazy": False,
    }


@pytest.mark.freethreaded
@pytest.mark.skipif(not HAS_PROC, reason="reads /proc")
def test_a_child_killed_from_outside_is_reported_and_probed_again(
    freethreaded_python: Path, fixture_wheels: Path, tmp_path: Path
) -> None:
    venv = make_venv(freethreaded_python, tmp_path / "venv", fixture_wheels, ["ft-hang"])
    cache = tmp_path / "cache"
    scan = start_scan(venv, cache)
    seen: list[int] = []
    try:
        [probe] = hung_probe(scan)
        seen = descendants(scan.pid)
        # What the kernel's out-of-memory killer, or a user, does to the child.
        os.kill(probe, signal.SIGKILL)
        stdout, stderr = scan.communicate(timeout=PATIENCE)
    finally:
        if scan.poll() is None:
            scan.kill()
            scan.communicate()
        end_leftovers(seen)

    assert scan.returncode == 1, stderr
    [killed] = json.loads(stdout)["distributions"]
    assert (killed["name"], killed["verdict"], killed["cached"]) == ("ft-hang", "crashed", False)
    assert "killed by SIGKILL" in json.dumps(killed)
    assert list((cache / "results").rglob("*.json")) == []

    again = readiness(
        "scan",
        "--env",
        venv.python.parent.parent,
        "--offline",
        "--cache-dir",
        cache,
        "--import-timeout",
        "1",
        "--format",
        "json",
    )

    assert again.returncode == 1, again.stderr
    [probed] = json.loads(again.stdout)["distributions"]
    assert (probed["verdict"], probed["cached"]) == ("timeout", False)
