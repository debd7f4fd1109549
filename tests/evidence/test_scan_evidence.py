"""Evidence in scans: a static scan judged from a real local index, and disagreements."""

from __future__ import annotations

import datetime
import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._state import Progress
from readiness._uv import find_uv
from readiness.environment.uv import UvInstaller
from readiness.evidence.gather import EvidenceSources, disagreements
from readiness.evidence.index import IndexService
from readiness.evidence.interface import (
    Evidence,
    IndexEvidence,
    TrackerRecord,
    TrackerSnapshot,
    WheelKind,
)
from readiness.evidence.tracker import TrackerService
from readiness.interpreter.inspect import inspect_interpreter
from readiness.interpreter.target import synthesize_target, synthetic_interpreter
from readiness.policy import Policy
from readiness.report import DistributionReport, Report, Verdict
from readiness.scan import Scanner, ScanOptions
from readiness.sources.requirements import RequirementsSource
from tests.evidence.conftest import FAST, LINUX_PLATFORMS, IndexServer, Reply, target_tags
from tests.test_scan_cli import readiness
from tests.wheelhouse import PACKAGES, build_wheel

PYYAML = TrackerRecord(
    display_name="PyYAML",
    distributions=(NormalizedName("pyyaml"),),
    issue_url="https://example.invalid/yaml/issues/1",
    tested_in_ci=True,
    release_on_index=True,
    first_version="6.0.3",
    nightly_wheels=False,
    nightly_url=None,
)


def static_scan(index_server: IndexServer, tmp_path: Path, lines: list[str]) -> Report:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(lines) + "\n")
    target = synthesize_target("3.14t", platform="linux-x86_64")
    interpreter = synthetic_interpreter(target)
    tracker = TrackerService(
        TrackerSnapshot(source="test", taken=datetime.date.today(), records=(PYYAML,))
    )
    with httpx.Client() as client:
        index = IndexService(
            client,
            index_url=index_server.index_url,
            target_tags=target_tags(3, 14),
            abi="cp314t",
            cache_dir=None,
            policy=FAST,
        )
        scanner = Scanner(
            ScanOptions(cache_dir=tmp_path),
            Progress(),
            EvidenceSources(tracker=tracker, index=index, abi="cp314t"),
        )
        return scanner.scan_static(RequirementsSource(requirements), interpreter, target)


def test_static_scan_judges_from_the_index_alone(index_server: IndexServer, tmp_path: Path) -> None:
    assert "manylinux_2_28_x86_64" in LINUX_PLATFORMS
    report = static_scan(
        index_server,
        tmp_path,
        [
            "six==1.16.0",
            "pyyaml==6.0.2",
            "cryptography==46.0.1",
            "pywin32==306",
            "ft-history==1.0",
            "not-on-the-index==1.0",
        ],
    )

    by_name: dict[str, DistributionReport] = {d.name: d for d in report.distributions}
    assert {name: dist.verdict for name, dist in by_name.items()} == {
        "six": Verdict.PURE,
        "pyyaml": Verdict.SOURCE_BUILD_REQUIRED,
        "cryptography": Verdict.FREE_THREADED_WHEEL,
        "pywin32": Verdict.NO_FREE_THREADED_WHEEL,
        "ft-history": Verdict.SOURCE_BUILD_REQUIRED,
        "not-on-the-index": Verdict.UNKNOWN,
    }
    assert report.static
    assert any("does not prove" in warning for warning in report.warnings)
    pyyaml = by_name["pyyaml"].evidence
    assert pyyaml is not None
    assert pyyaml.remedy is not None
    assert pyyaml.remedy.upgrade_to == Version("6.0.3")
    assert "6.0.2 -> 6.0.3" in pyyaml.remedy.text
    assert pyyaml.tracker == PYYAML
    history = by_name["ft-history"].evidence
    assert history is not None
    assert history.remedy is not None
    # 1.1 is yanked and 1.2 needs Python 3.15: 1.3 is the first that installs.
    assert history.remedy.upgrade_to == Version("1.3")
    assert history.tracker is None  # not tracked, which is not "unsupported"
    # Only what is certain fails a static scan: a source build may succeed.
    policy = Policy.from_options(None, strict=False, static=True)
    assert [dist.name for dist in policy.failures(report)] == ["pywin32"]
    assert {d.name for d in policy.inconclusive(report)} == {
        "pyyaml",
        "ft-history",
        "not-on-the-index",
    }
    strict = Policy.from_options(None, strict=True, static=True)
    assert len(strict.failures(report)) == 4


def test_an_unreachable_index_makes_evidence_unavailable(tmp_path: Path) -> None:
    server = IndexServer()  # never started: every connection is refused
    server.httpd.server_close()

    report = static_scan(server, tmp_path, ["six==1.16.0"])

    [six] = report.distributions
    assert six.verdict is Verdict.UNKNOWN
    assert six.reason is not None
    assert six.reason != "the index does not list this version"


def test_disagreements_are_said_plainly() -> None:
    evidence = Evidence(
        tracker=PYYAML,
        index=IndexEvidence(
            wheel=WheelKind.FREE_THREADED_WHEEL,
            classifier="Programming Language :: Python :: Free Threading :: 3 - Stable",
        ),
    )

    found = disagreements(True, Version("6.0.4"), evidence, "cp314t")

    assert found == (
        "the index has cp314t wheels for 6.0.4, yet its extension re-enabled the GIL",
        "it declares '3 - Stable' free-threading support, yet re-enabled the GIL",
        "the tracker says supported since 6.0.3, yet 6.0.4 re-enabled the GIL",
    )
    assert disagreements(False, Version("6.0.1"), evidence, "cp314t") == (
        "the tracker says supported since 6.0.3; 6.0.1 is older",
    )
    assert disagreements(False, Version("6.0.4"), evidence, "cp314t") == ()


@pytest.mark.network
@pytest.mark.freethreaded
def test_static_scan_through_the_command_line(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\nmarkupsafe==2.1.5\n")

    result = readiness("scan", requirements, "--static", "--target", "3.13t", "--format", "json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["mode"] == "static"
    assert report["interpreter"]["synthetic"]
    by_name = {d["name"]: d for d in report["distributions"]}
    assert by_name["six"]["verdict"] == "pure"
    assert by_name["markupsafe"]["verdict"] == "source-build-required"
    assert by_name["markupsafe"]["remedy"]["upgrade_to"] == "3.0.0"
    assert "inconclusive" in result.stderr


@pytest.mark.freethreaded
def test_the_index_is_asked_while_the_stack_installs(
    freethreaded_python: Path, index_server: IndexServer, tmp_path: Path
) -> None:
    # ft-ready, declaring free-threading support: its installed metadata says so, and the
    # index is asked for its page alone.
    project = tmp_path / "ft-ready"
    shutil.copytree(PACKAGES / "ft-ready", project)
    stable = "Programming Language :: Python :: Free Threading :: 3 - Stable"
    (project / "fixture.toml").write_text(
        (PACKAGES / "ft-ready" / "fixture.toml")
        .read_text()
        .replace("[extensions]", f'classifiers = ["{stable}"]\n\n[extensions]')
    )
    wheels = tmp_path / "wheels"
    build_wheel(freethreaded_python, project, wheels)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--no-index\n--find-links {wheels}\nft-ready==1.0\n")
    [wheel] = wheels.glob("ft_ready-1.0-*.whl")
    files = [{"filename": wheel.name, "url": wheel.name, "hashes": {}}]
    page = {"meta": {"api-version": "1.1"}, "name": "ft-ready", "files": files}
    index_server.route("/simple/ft-ready/", Reply(json.dumps(page).encode()))
    seen_when_installing: list[int] = []

    class Watched(UvInstaller):
        def install(self, *args: Any, **options: Any) -> set[NormalizedName]:
            deadline = time.monotonic() + 30
            while not index_server.count("/simple/ft-ready/") and time.monotonic() < deadline:
                time.sleep(0.01)
            seen_when_installing.append(index_server.count("/simple/ft-ready/"))
            return super().install(*args, **options)

    interpreter = inspect_interpreter(freethreaded_python, cache_dir=tmp_path)
    uv = find_uv()
    assert uv is not None
    with httpx.Client(trust_env=False) as client:
        index = IndexService(
            client,
            index_url=index_server.index_url,
            target_tags=interpreter.wheel_tags(),
            abi=interpreter.abi_tag,
            cache_dir=tmp_path / "cache",
            policy=FAST,
            max_age=24 * 60 * 60.0,
        )
        tracker = TrackerService(
            TrackerSnapshot(source="test", taken=datetime.date.today(), records=())
        )
        scanner = Scanner(
            ScanOptions(cache_dir=tmp_path / "cache"),
            Progress(),
            EvidenceSources(tracker=tracker, index=index, abi=interpreter.abi_tag),
        )
        report = scanner.scan(RequirementsSource(requirements), interpreter, Watched(uv))

    # The page was asked for before the install began, and nothing else, then or after.
    assert seen_when_installing == [1]
    assert index_server.count() == 1
    [ready] = report.distributions
    assert ready.verdict is Verdict.READY
    assert ready.evidence is not None
    assert ready.evidence.index is not None
    assert ready.evidence.index.wheel is WheelKind.FREE_THREADED_WHEEL
    assert ready.evidence.index.classifier == stable
