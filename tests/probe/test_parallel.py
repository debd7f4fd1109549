"""Probe processes that run at once: the same observations, and every child ended together."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from readiness.probe.interface import (
    ImportObservation,
    ImportStatus,
    ModuleKind,
    ModuleName,
    ProbeError,
    ProbePlan,
    ProbeStep,
)
from readiness.probe.plan import plan_probe
from readiness.probe.runner import run_probe
from tests.probe.conftest import ProbeVenv, make_venv
from tests.probe.test_runner import HANG_TIMEOUT, STATUSES
from tests.processes import HAS_PROC, PATIENCE, alive, wait_for

pytestmark = pytest.mark.freethreaded

MEETING = """\
import pathlib, time

_here = pathlib.Path({folder!r})
(_here / "{me}").touch()
_deadline = time.monotonic() + 60
while not (_here / "{other}").exists():
    if time.monotonic() > _deadline:
        raise ImportError("met no one: the other import did not run at the same time")
    time.sleep(0.02)
"""
"""A module whose import waits for another module's import to begin: it succeeds only when
both run at once, and fails (slowly, never by a close timing) when they run one by one."""


def _steps(*names: str) -> ProbePlan:
    return ProbePlan(
        tuple(
            ProbeStep(ModuleName(name), canonicalize_name(name), ModuleKind.TOP_LEVEL)
            for name in names
        ),
        {},
    )


def _culprits_by_owner(
    plan: ProbePlan, observations: list[ImportObservation]
) -> dict[NormalizedName, set[ModuleName]]:
    found: dict[NormalizedName, set[ModuleName]] = {}
    for observation in observations:
        for module in observation.gil_modules:
            owner = plan.extension_owners.get(module, observation.step.distribution)
            found.setdefault(owner, set()).add(module)
    return found


def test_two_processes_observe_what_one_does(probe_venv: ProbeVenv) -> None:
    plan = plan_probe(probe_venv.site_packages)

    one = run_probe(probe_venv.python, plan, import_timeout=HANG_TIMEOUT, processes=1)
    two = run_probe(probe_venv.python, plan, import_timeout=HANG_TIMEOUT, processes=2)

    assert [observation.step for observation in two] == list(plan.steps)
    assert {o.step.module: o.status for o in two} == STATUSES
    assert _culprits_by_owner(plan, two) == _culprits_by_owner(plan, one)
    # Whole distributions go to one share: a distribution's imports share their processes
    # with no other share's, and both shares ran.
    processes: dict[NormalizedName, set[int]] = {}
    for observation in two:
        processes.setdefault(observation.step.distribution, set()).add(observation.process)
    first, last = processes[two[0].step.distribution], processes[two[-1].step.distribution]
    assert first.isdisjoint(last)


def test_the_shares_run_at_the_same_time(
    freethreaded_python: Path, wheelhouse: Path, tmp_path: Path
) -> None:
    venv = make_venv(freethreaded_python, tmp_path / "v", wheelhouse, ["ft-ready"])
    folder = tmp_path / "meeting"
    folder.mkdir()
    for me, other in (("meet_left", "meet_right"), ("meet_right", "meet_left")):
        source = MEETING.format(folder=str(folder), me=me, other=other)
        (venv.site_packages[0] / f"{me}.py").write_text(source)

    observations = run_probe(venv.python, _steps("meet_left", "meet_right"), processes=2)

    assert [(o.step.module, o.status, o.error) for o in observations] == [
        ("meet_left", ImportStatus.OK, None),
        ("meet_right", ImportStatus.OK, None),
    ]
    assert observations[0].process != observations[1].process


@pytest.mark.skipif(os.name != "posix" or not HAS_PROC, reason="a shell script; reads /proc")
def test_a_failing_share_ends_the_others_at_once(tmp_path: Path) -> None:
    # The share of "quiet" hangs after its hello, far longer than the test waits; the share
    # of "broken" breaks the protocol. The error must come now, not after the time limit,
    # and the hung child (with what it started) must be gone when it does.
    pids = tmp_path / "pids"
    python = tmp_path / "python"
    python.write_text(
        "#!/bin/sh\n"
        'task=$(cat)\ncase "$task" in\n'
        f'  *quiet*) echo $$ >> {pids}; echo \'{{"event": "hello", "protocol": 2}}\'; '
        "exec sleep 600;;\n"
        f"  *) while [ ! -s {pids} ]; do sleep 0.05; done; echo 'not an event';;\n"
        "esac\n"
    )
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    raised: list[BaseException] = []

    def probe() -> None:
        try:
            run_probe(python, _steps("quiet", "broken"), import_timeout=600, processes=2)
        except BaseException as e:
            raised.append(e)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    hung = int(wait_for(lambda: pids.is_file() and pids.read_text().strip(), "the hung child"))
    thread.join(PATIENCE)

    assert not thread.is_alive(), "the hung share was waited out"
    assert len(raised) == 1
    assert isinstance(raised[0], ProbeError)
    assert "a line that is not a probe event" in str(raised[0])
    assert not alive(hung)
