"""Lines the installer refused as a batch are tried alone side by side, each in a scratch venv.

Real installs on the free-threaded interpreter from local folders: what the trials find must be
what trying each line after the other in the environment itself finds, and nothing of the
scratch environments may stay behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.environment.interface import Installer, InstallResult
from readiness.environment.venv import (
    COMPLETION_MARKER,
    Refusals,
    create_environment,
    install_dependencies,
)
from readiness.interpreter.interface import Interpreter
from readiness.model import IndexOptions
from tests.environment.conftest import (
    RecordingProgress,
    install_lock,
    installers,
    make_sdist,
    make_wheel,
    pin,
    uv_installer,
)

pytestmark = pytest.mark.freethreaded

MEETING_WAIT = 300
"""Seconds a meeting build waits for the other: generous, a noisy machine starts it late."""

# A build backend that leaves a marker, waits for the other build's, then refuses: with the
# other's marker it says it met it, without it (the other never ran at the same time) it says
# it was alone. Only two builds running at once both say they met.
_MEETING_BACKEND = """
import pathlib, time

NAME, OTHER, MARKERS, WAIT = {name!r}, {other!r}, {markers!r}, {wait!r}


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    markers = pathlib.Path(MARKERS)
    (markers / ("%s.%d" % (NAME, time.time_ns()))).touch()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if any(markers.glob(OTHER + ".*")):
            raise RuntimeError("%s met %s, and refuses to build" % (NAME, OTHER))
        time.sleep(0.05)
    raise RuntimeError("%s waited %d s for %s, alone" % (NAME, WAIT, OTHER))
"""


def left_behind(cache_dir: Path) -> list[Path]:
    """Whatever is in the environments' folder besides the environments and their locks."""
    return [path for path in (cache_dir / "envs").iterdir() if ".trials-" in path.name]


@pytest.mark.parametrize("installer", installers(), ids=lambda installer: installer.name)
def test_side_by_side_finds_what_one_after_the_other_finds(
    freethreaded: Interpreter, tmp_path: Path, refusing: IndexOptions, installer: Installer
) -> None:
    asked = [pin("alpha", "1.0", 1), pin("nosuch", "1.0", 2), pin("ft-refuses-build", "1.0", 3)]
    serial = install_lock(freethreaded, tmp_path, "serial", installer, asked, refusing, jobs=1)
    progress = RecordingProgress()
    refusals = Refusals.in_cache(tmp_path, "interpreter", installer.name)
    parallel = install_lock(
        freethreaded,
        tmp_path,
        "parallel",
        installer,
        asked,
        refusing,
        jobs=2,
        progress=progress,
        refusals=refusals,
    )

    assert [(f.name, f.reason) for f in parallel.failures] == [
        (f.name, f.reason) for f in serial.failures
    ]
    assert [f.name for f in parallel.failures] == ["nosuch", "ft-refuses-build"]
    assert (
        parallel.failures[1].reason == "RuntimeError: CFFI does not support the free-threaded build"
    )
    assert "Traceback (most recent call last):" in parallel.failures[1].log
    # The log names the environment the line was meant for, not a scratch one now gone.
    assert ".trials-" not in "".join(f.log + f.reason for f in parallel.failures)
    assert parallel.installed == serial.installed
    assert "alpha" in {dist.name for dist in parallel.installed}
    assert progress.phases == [
        f"installing with {installer.name}",
        f"installing one by one with {installer.name}",
    ]
    # Each refusal is kept, as the serial path keeps it.
    assert [refusals.known(line) for line in ("nosuch==1.0", "ft-refuses-build==1.0")] == list(
        parallel.failures
    )
    assert left_behind(tmp_path) == []


def test_the_lines_are_tried_at_the_same_time(
    freethreaded: Interpreter, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each of two sdists waits for the other's build to start: one after the other, neither
    would meet the other, and each would say it was alone."""
    folder, markers = tmp_path_factory.mktemp("meeting"), tmp_path_factory.mktemp("markers")
    for name, other in (("meet-a", "meet-b"), ("meet-b", "meet-a")):
        backend = _MEETING_BACKEND.format(
            name=name, other=other, markers=str(markers), wait=MEETING_WAIT
        )
        make_sdist(folder, name, "1.0", backend=backend)
    make_wheel(folder, "alpha", "1.0")
    index = IndexOptions(find_links=(str(folder),), no_index=True)
    # nosuch fails the batch while uv resolves, before it builds anything: the only builds
    # are the trials' (the markers say so below), so no marker is left over to meet.
    asked = [
        pin("meet-a", "1.0", 1),
        pin("nosuch", "1.0", 2),
        pin("meet-b", "1.0", 3),
        pin("alpha", "1.0", 4),
    ]

    result = install_lock(freethreaded, tmp_path, "meeting", uv_installer(), asked, index, jobs=2)

    assert sorted(marker.name.split(".")[0] for marker in markers.iterdir()) == [
        "meet-a",
        "meet-b",
    ]
    assert [(f.name, f.reason) for f in result.failures[::2]] == [
        ("meet-a", "RuntimeError: meet-a met meet-b, and refuses to build"),
        ("meet-b", "RuntimeError: meet-b met meet-a, and refuses to build"),
    ]
    assert [f.name for f in result.failures] == ["meet-a", "nosuch", "meet-b"]
    assert [dist.name for dist in result.installed] == ["alpha"]
    assert left_behind(tmp_path) == []


class AdvanceRecordingProgress(RecordingProgress):
    """Remembers what each step that began or ended said, without its time."""

    def __init__(self) -> None:
        super().__init__()
        self.advanced: list[str] = []

    def advance(self, description: str | None = None, steps: int = 1) -> None:
        if description:
            self.advanced.append(description.split(" in ")[0])


class InterruptedProgress(RecordingProgress):
    """Ctrl-C, as the main thread sees it while the trials run: when the first one ends."""

    def advance(self, description: str | None = None, steps: int = 1) -> None:
        if steps:
            raise KeyboardInterrupt


@pytest.mark.parametrize("installer", installers(), ids=lambda installer: installer.name)
def test_ctrl_c_leaves_no_scratch_environment(
    freethreaded: Interpreter, tmp_path: Path, local_index: IndexOptions, installer: Installer
) -> None:
    asked = [pin("nosuch", "1.0", 1), pin("alpha", "1.0", 2), pin("gamma", "3.0", 3)]
    with pytest.raises(KeyboardInterrupt):
        install_lock(
            freethreaded,
            tmp_path,
            "interrupted",
            installer,
            asked,
            local_index,
            jobs=2,
            progress=InterruptedProgress(),
        )
    assert left_behind(tmp_path) == []
    # Nothing finished: the next run installs again.
    assert not (tmp_path / "envs" / "interrupted" / COMPLETION_MARKER).exists()


def test_lines_that_conflict_go_in_one_after_the_other(
    freethreaded: Interpreter, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each installs alone, not both at once: the batch of what installed alone fails too,
    and those lines go into the environment one after the other, as with one job."""
    folder = tmp_path_factory.mktemp("conflicting")
    make_wheel(folder, "alpha", "1.0")
    make_wheel(folder, "alpha", "2.0")
    make_wheel(folder, "old-user", "1.0", requires=["alpha==1.0"])
    make_wheel(folder, "new-user", "1.0", requires=["alpha==2.0"])
    index = IndexOptions(find_links=(str(folder),), no_index=True)
    asked = [pin("old-user", "1.0", 1), pin("new-user", "1.0", 2), pin("nosuch", "1.0", 3)]

    def install(key: str, jobs: int, progress: RecordingProgress) -> InstallResult:
        env = create_environment(freethreaded, key, cache_dir=tmp_path, installer=uv_installer())
        return install_dependencies(
            env,
            asked,
            complete=False,
            installer=uv_installer(),
            no_build=False,
            index_options=index,
            progress=progress,
            jobs=jobs,
        )

    serial = install("serial", 1, RecordingProgress())
    progress = AdvanceRecordingProgress()
    parallel = install("parallel", 2, progress)

    # Tried side by side (each with its time), then the two that installed, one by one.
    assert sorted(progress.advanced[:3]) == [
        "new-user installed",
        "nosuch refused",
        "old-user installed",
    ]
    assert progress.advanced[3:] == ["old-user", "new-user"]

    assert parallel.installed == serial.installed
    assert [(f.name, f.reason) for f in parallel.failures] == [
        (f.name, f.reason) for f in serial.failures
    ]
    assert [f.name for f in parallel.failures] == ["nosuch"]
    # The last one in wins alpha, as it did one after the other.
    assert {(d.name, str(d.version)) for d in parallel.installed} == {
        ("old-user", "1.0"),
        ("new-user", "1.0"),
        ("alpha", "2.0"),
    }
    assert left_behind(tmp_path) == []
