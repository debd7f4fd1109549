from __future__ import annotations

import itertools
import os
import stat
import subprocess
from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from readiness._state import Progress
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
from readiness.probe.process import child_environment
from readiness.probe.runner import GilEnabledAtStartup, run_probe
from tests.probe.conftest import ProbeVenv
from tests.processes import HAS_PROC, alive

pytestmark = pytest.mark.freethreaded

HANG_TIMEOUT = 3.0
"""The per-import limit of the runs that include ft-hang: every second counts twice."""

STATUSES = {
    "ft_exit": ImportStatus.CRASHED,
    "ft_flood": ImportStatus.OK,
    "ft_gil": ImportStatus.OK,
    "ft_gil_two": ImportStatus.OK,
    "ft_hang": ImportStatus.OK,
    "ft_lazy": ImportStatus.OK,
    "ft_ready": ImportStatus.OK,
    "ftns.alpha": ImportStatus.OK,
    "ftns.beta": ImportStatus.OK,
    "ftpkg.gamma": ImportStatus.OK,
    "ft_pure_importer": ImportStatus.OK,
    "ft_segfault": ImportStatus.CRASHED,
    "ft_single_gil": ImportStatus.OK,
    "ft_single_ok": ImportStatus.OK,
    "ft_flood._noise": ImportStatus.OK,
    "ft_gil._core": ImportStatus.OK,
    "ft_gil_two._impl": ImportStatus.OK,
    "ft_hang._stall": ImportStatus.TIMEOUT,
    "ft_lazy._accel": ImportStatus.OK,
    "ft_ready._core": ImportStatus.OK,
    "ftns.alpha._speed": ImportStatus.OK,
    "ftns.alpha.libplain": ImportStatus.NOT_A_MODULE,
    "ft_segfault._crash": ImportStatus.CRASHED,
}
"""How each import of the whole fixture stack ends, in plan order, whatever the strategy."""

CULPRITS = {"ft-gil", "ft-gil-two", "ft-single-gil", "ft-lazy"}
"""The distributions that ship a module that needs the GIL."""


def _n(name: str) -> NormalizedName:
    return canonicalize_name(name)


def _by_module(observations: list[ImportObservation]) -> dict[str, ImportObservation]:
    return {observation.step.module: observation for observation in observations}


def _culprit_owners(plan: ProbePlan, observations: list[ImportObservation]) -> set[str]:
    return {
        plan.extension_owners.get(module, observation.step.distribution)
        for observation in observations
        for module in observation.gil_modules
    }


@pytest.fixture(scope="module")
def stack_plan(probe_venv: ProbeVenv) -> ProbePlan:
    return plan_probe(probe_venv.site_packages)


@pytest.fixture(scope="module")
def verbose_run(probe_venv: ProbeVenv, stack_plan: ProbePlan) -> list[ImportObservation]:
    return run_probe(probe_venv.python, stack_plan, import_timeout=HANG_TIMEOUT)


@pytest.fixture(scope="module")
def restart_run(probe_venv: ProbeVenv, stack_plan: ProbePlan) -> list[ImportObservation]:
    return run_probe(probe_venv.python, stack_plan, import_timeout=HANG_TIMEOUT, verbose=False)


@pytest.mark.parametrize("strategy", ["verbose_run", "restart_run"])
def test_every_step_is_observed_in_plan_order(
    strategy: str, stack_plan: ProbePlan, request: pytest.FixtureRequest
) -> None:
    observations: list[ImportObservation] = request.getfixturevalue(strategy)

    assert [observation.step for observation in observations] == list(stack_plan.steps)
    assert {o.step.module: o.status for o in observations} == STATUSES
    assert list(_by_module(observations)) == list(STATUSES)


@pytest.mark.parametrize("strategy", ["verbose_run", "restart_run"])
def test_both_strategies_find_every_culprit(
    strategy: str, stack_plan: ProbePlan, request: pytest.FixtureRequest
) -> None:
    observations: list[ImportObservation] = request.getfixturevalue(strategy)

    assert _culprit_owners(stack_plan, observations) == CULPRITS


def test_one_verbose_process_sees_every_culprit(verbose_run: list[ImportObservation]) -> None:
    seen = _by_module(verbose_run)
    gil_modules = {module: observation.gil_modules for module, observation in seen.items()}

    assert {module: found for module, found in gil_modules.items() if found} == {
        "ft_gil": ("ft_gil._core",),
        # The GIL is on already (ft_gil), yet -v names the next culprit as well.
        "ft_gil_two": ("ft_gil_two._impl",),
        "ft_single_gil": ("ft_single_gil",),
        # Loaded again after the crash of ft_segfault: each child starts afresh.
        "ft_gil._core": ("ft_gil._core",),
        "ft_gil_two._impl": ("ft_gil_two._impl",),
        "ft_lazy._accel": ("ft_lazy._accel",),
    }
    assert seen["ft_gil"].warned_module == "ft_gil._core"
    assert seen["ft_gil_two"].warned_module is None
    assert seen["ft_flood"].gil_enabled_after is False
    assert seen["ft_gil"].gil_enabled_after is True
    # A process ends only where an import crashed or hung.
    assert {module: observation.process for module, observation in seen.items()} == {
        **dict.fromkeys(["ft_exit"], 1),
        **dict.fromkeys(list(STATUSES)[1:12], 2),
        **dict.fromkeys(list(STATUSES)[12:18], 3),
        **dict.fromkeys(list(STATUSES)[18:], 4),
    }


def test_restart_strategy_ends_a_process_after_each_switch(
    restart_run: list[ImportObservation], verbose_run: list[ImportObservation]
) -> None:
    for observation, following in itertools.pairwise(restart_run):
        switched = observation.warned_module is not None
        ended = observation.status in (ImportStatus.CRASHED, ImportStatus.TIMEOUT)
        assert following.process == observation.process + (1 if switched or ended else 0)
    seen = _by_module(restart_run)
    # Each child starts with the GIL off, so the pure importer is seen loading its culprit
    # and the lazy package's top-level import is seen keeping the GIL off.
    assert seen["ft_pure_importer"].warned_module == "ft_gil._core"
    assert seen["ft_pure_importer"].gil_modules == ("ft_gil._core",)
    assert seen["ft_lazy"].gil_enabled_after is False
    assert seen["ft_lazy._accel"].warned_module == "ft_lazy._accel"
    assert restart_run[-1].process > verbose_run[-1].process


def test_failures_are_recorded_with_their_cause(verbose_run: list[ImportObservation]) -> None:
    seen = _by_module(verbose_run)

    assert seen["ft_exit"].error == "exited with status 0 during the import"
    crash = seen["ft_segfault"]
    assert crash.error is not None
    assert crash.error.startswith("killed by SIGSEGV\n")
    # faulthandler's traceback, from the child's stderr.
    assert "Fatal Python error: Segmentation fault" in crash.error
    assert "ft_segfault/__init__.py" in crash.error
    assert crash.gil_enabled_after is None
    hang = seen["ft_hang._stall"]
    assert hang.error is not None
    assert hang.error.startswith(f"no answer after {HANG_TIMEOUT:g} s\n")
    # Where it hung, from faulthandler: a C extension's initialization, within the import.
    assert "exec_module" in hang.error
    assert hang.seconds >= HANG_TIMEOUT
    # A fault or an exit status is the import's own doing; the runner's kill is not.
    assert [seen[m].from_outside for m in ("ft_exit", "ft_segfault", "ft_hang._stall")] == [
        False,
        False,
        True,
    ]
    assert seen["ftns.alpha.libplain"].error == (
        "ImportError: dynamic module does not define module export function (PyInit_libplain)"
    )


def test_protocol_survives_a_flood_of_output(probe_venv: ProbeVenv) -> None:
    plan = plan_probe(probe_venv.site_packages, [_n("ft-flood"), _n("ft-ready")])

    observations = run_probe(probe_venv.python, plan)

    assert [(o.step.module, o.status, o.process) for o in observations] == [
        ("ft_flood", ImportStatus.OK, 1),
        ("ft_ready", ImportStatus.OK, 1),
        ("ft_flood._noise", ImportStatus.OK, 1),
        ("ft_ready._core", ImportStatus.OK, 1),
    ]
    assert not any(o.gil_enabled_after or o.gil_modules for o in observations)


def test_pure_importer_is_seen_reaching_its_dependency(probe_venv: ProbeVenv) -> None:
    plan = plan_probe(probe_venv.site_packages, [_n("ft-pure-importer")])

    [observation] = run_probe(probe_venv.python, plan)

    assert observation.step.module == "ft_pure_importer"
    assert observation.gil_modules == ("ft_gil._core",)
    assert observation.warned_module == "ft_gil._core"
    assert plan.extension_owners[ModuleName("ft_gil._core")] == "ft-gil"
    # The statements that reached the culprit, each where the child ran it.
    [chain] = observation.chains
    assert chain.module == "ft_gil._core"
    [site_packages] = probe_venv.site_packages
    assert [(Path(site.file), site.line, site.statement) for site in chain.sites] == [
        (site_packages / "ft_pure_importer" / "__init__.py", 3, "import ft_gil"),
        (site_packages / "ft_gil" / "__init__.py", 3, "from ft_gil._core import answer"),
    ]


def _our_processes(python: Path) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(python) in text or "time.sleep(300)" in text:
            found.append(text)
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_a_hung_import_is_killed_with_the_processes_it_started(probe_venv: ProbeVenv) -> None:
    steps = (
        ProbeStep(ModuleName("ft_hang.spawner"), _n("ft-hang"), ModuleKind.TOP_LEVEL),
        ProbeStep(ModuleName("ft_ready"), _n("ft-ready"), ModuleKind.TOP_LEVEL),
    )

    observations = run_probe(probe_venv.python, ProbePlan(steps, {}), import_timeout=1.0)

    assert [(o.status, o.process) for o in observations] == [
        (ImportStatus.TIMEOUT, 1),
        (ImportStatus.OK, 2),
    ]
    assert _our_processes(probe_venv.python) == []
    assert observations[0].error is not None
    assert "ft_hang/spawner.py" in observations[0].error


@pytest.mark.parametrize("verbose", [True, False])
def test_gil_enabled_at_startup_is_an_error_naming_the_module(
    startup_gil_venv: ProbeVenv, verbose: bool
) -> None:
    plan = plan_probe(startup_gil_venv.site_packages)

    with pytest.raises(GilEnabledAtStartup) as raised:
        run_probe(startup_gil_venv.python, plan, verbose=verbose)

    assert raised.value.modules == ("ft_startup_gil._core",)
    assert raised.value.owners == {"ft_startup_gil._core": "ft-startup-gil"}
    assert "ft_startup_gil._core (from ft-startup-gil)" in str(raised.value)
    assert raised.value.hint


def test_caller_environment_and_directory_change_nothing(
    probe_venv: ProbeVenv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A project folder holding a module of the same name, PYTHONPATH pointing at it, and
    # PYTHON_GIL=0, which would keep the GIL off whatever a module declares.
    shadow = tmp_path / "ft_gil"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("SHADOW = True\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHON_GIL", "0")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    plan = plan_probe(probe_venv.site_packages, [_n("ft-gil")])

    first, second = run_probe(probe_venv.python, plan)

    assert first.step.module == "ft_gil"
    assert first.warned_module == "ft_gil._core"
    assert first.gil_enabled_after is True
    # Imported already by the first step, and still reported.
    assert second.step.module == "ft_gil._core"
    assert (second.status, second.gil_modules, second.process) == (ImportStatus.OK, (), 1)


def test_child_environment_keeps_no_python_variable() -> None:
    environ = {
        "PATH": "/usr/bin",
        "HOME": "/home/user",
        "LANG": "C.UTF-8",
        "PYTHON_GIL": "0",
        "PYTHONPATH": "/somewhere",
        "PYTHONHOME": "/elsewhere",
        "PYTHONSTARTUP": "/startup.py",
        "VIRTUAL_ENV": "/venv",
        "SECRET_TOKEN": "xyz",
    }

    assert child_environment(environ) == {
        "PATH": "/usr/bin",
        "HOME": "/home/user",
        "LANG": "C.UTF-8",
    }


class RecordingProgress(Progress):
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def start(self, phase: str, total: int | None = None) -> None:
        self.calls.append(("start", (phase, total)))

    def advance(self, description: str | None = None, steps: int = 1) -> None:
        self.calls.append(("advance", description))

    def finish(self) -> None:
        self.calls.append(("finish", None))


def test_progress_advances_once_per_step(probe_venv: ProbeVenv) -> None:
    progress = RecordingProgress()
    plan = plan_probe(probe_venv.site_packages, [_n("ft-ready")])

    run_probe(probe_venv.python, plan, progress=progress)

    assert progress.calls == [
        ("start", ("probing", 2)),
        ("advance", "ft_ready._core"),
        ("advance", None),
        ("finish", None),
    ]


def test_an_empty_plan_starts_no_process_and_shows_no_phase(tmp_path: Path) -> None:
    progress = RecordingProgress()

    assert run_probe(tmp_path / "no-python", ProbePlan((), {}), progress=progress) == []
    # A warm run's log has no "probing (0)..." line.
    assert progress.calls == []


def _fake_python(directory: Path, script: str) -> Path:
    path = directory / "python"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


ONE_STEP = ProbePlan(
    (ProbeStep(ModuleName("json"), _n("stdlib"), ModuleKind.TOP_LEVEL),),
    {},
)


@pytest.mark.skipif(os.name != "posix", reason="fake interpreters are shell scripts")
@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("echo 'cannot start' >&2; exit 3\n", "exited with status 3 before the probe began"),
        ("cat >/dev/null; echo 'Welcome!'\n", "a line that is not a probe event: b'Welcome!\\n'"),
        (
            'cat >/dev/null; echo \'{"event": "hello", "protocol": 2, "gil_enabled": false}\'\n',
            "ended without importing anything",
        ),
        (
            'cat >/dev/null; echo \'{"event": "hello", "protocol": 2}\'; '
            'echo \'{"event": "start", "module": "os"}\'\n',
            "an unexpected event: {'event': 'start', 'module': 'os'}",
        ),
    ],
)
def test_an_interpreter_that_breaks_the_protocol_is_an_error(
    tmp_path: Path, script: str, message: str
) -> None:
    with pytest.raises(ProbeError) as raised:
        run_probe(_fake_python(tmp_path, script), ONE_STEP, import_timeout=5)

    assert message in str(raised.value)


def test_a_missing_interpreter_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match="cannot run the probe's interpreter"):
        run_probe(tmp_path / "no-python", ONE_STEP)


def _hostile_steps(*modules: str) -> ProbePlan:
    distributions = {
        "ft_daemon": "ft-daemon",
        "ft_fork": "ft-fork",
        "ft_hang": "ft-hang",
        "ft_ready": "ft-ready",
        "ft_segfault": "ft-segfault",
    }
    return ProbePlan(
        tuple(
            ProbeStep(
                ModuleName(module),
                _n(distributions[module.split(".")[0]]),
                ModuleKind.TOP_LEVEL,
            )
            for module in modules
        ),
        {},
    )


@pytest.mark.parametrize("verbose", [True, False])
def test_a_module_that_forks_at_import_is_observed_like_any_other(
    hostile_venv: ProbeVenv, verbose: bool
) -> None:
    # Python's os.fork, then the C library's fork (no at-fork hook runs): the forked process
    # returns from the import in both, into the probe's loop.
    plan = _hostile_steps("ft_ready", "ft_fork", "ft_fork._cfork", "ft_ready._core")

    observations = run_probe(hostile_venv.python, plan, verbose=verbose)

    assert [(o.step.module, o.status, o.process, o.error) for o in observations] == [
        ("ft_ready", ImportStatus.OK, 1, None),
        ("ft_fork", ImportStatus.OK, 1, None),
        ("ft_fork._cfork", ImportStatus.OK, 1, None),
        ("ft_ready._core", ImportStatus.OK, 1, None),
    ]


@pytest.mark.skipif(not HAS_PROC, reason="reads /proc")
def test_a_daemon_left_by_an_import_neither_hides_a_crash_nor_outlives_the_probe(
    hostile_venv: ProbeVenv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The daemon holds the protocol pipe from a session of its own, then the next import
    # crashes: the crash must be seen as one (not waited out as a timeout), and the daemon
    # must end with the child that started it.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    plan = _hostile_steps("ft_daemon", "ft_segfault", "ft_ready")

    observations = run_probe(hostile_venv.python, plan, import_timeout=120)

    assert [(o.step.module, o.status, o.process) for o in observations] == [
        ("ft_daemon", ImportStatus.OK, 1),
        ("ft_segfault", ImportStatus.CRASHED, 1),
        ("ft_ready", ImportStatus.OK, 2),
    ]
    assert observations[1].error is not None
    assert observations[1].error.startswith("killed by SIGSEGV\n")
    daemon = int((tmp_path / "ft-daemon.pid").read_text())
    assert not alive(daemon)


def test_the_child_s_own_files_never_stand_for_a_probed_module(
    freethreaded_python: Path, tmp_path: Path
) -> None:
    # The child is imported from its folder (readiness/probe) for its cached bytecode. A
    # distribution may ship a top-level `_child` or `runner` too: the probe imports theirs.
    root = tmp_path / "venv"
    subprocess.run([str(freethreaded_python), "-m", "venv", "--without-pip", str(root)], check=True)
    [site_packages] = root.glob("lib/python*/site-packages")
    for name in ("_child", "runner"):
        (site_packages / f"{name}.py").write_text(f"raise ImportError('the user\\'s {name}')\n")
    steps = tuple(
        ProbeStep(ModuleName(name), _n("theirs"), ModuleKind.TOP_LEVEL)
        for name in ("_child", "runner")
    )

    observations = run_probe(root / "bin" / "python", ProbePlan(steps, {}))

    assert [(o.status, o.error) for o in observations] == [
        (ImportStatus.ERROR, "ImportError: the user's _child"),
        (ImportStatus.ERROR, "ImportError: the user's runner"),
    ]
