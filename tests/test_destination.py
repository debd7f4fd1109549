"""Where reports go, through the real command line: checked before any work, written as asked.

Every scan here is a static, offline scan of one pin: fast, and nothing leaves the machine.
Each run is a real child process with real files, FIFOs, links and file descriptors.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest

from readiness.destination import Destination, OutputError
from tests.sources.outcomes import ASSETS

SUMMARY = "distributions on a synthesized CPython"
"""What the summary line on stderr says once a scan has run."""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a pinned requirements file."""
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    return tmp_path


SCAN = ("scan", "requirements.txt", "--static", "--offline")
DEPS = ("deps", ASSETS / "lockdemo" / "uv.lock", "--target", "3.13t", "--platform", "linux-x86_64")
CLOSED_STDOUT = ("/bin/sh", "-c", 'exec "$@" >&-', "sh")
"""Run the rest of the command line with stdout closed, as a shell's ``>&-`` does."""

Stream = int | IO[Any] | None


def readiness(
    project: Path,
    *args: str | Path,
    stdout: Stream = subprocess.PIPE,
    stderr: Stream = subprocess.PIPE,
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in ``project``, with its own empty cache."""
    cache = ("--cache-dir", str(project / "cache"))
    return subprocess.run(
        [*prefix, sys.executable, "-m", "readiness", *map(str, args), *cache],
        cwd=project,
        stdout=stdout,
        stderr=stderr,
        text=True,
        timeout=300,
    )


# 1. Every destination is checked before the scan; no folder is created.


def test_a_bad_third_destination_stops_the_run_before_the_scan(project: Path) -> None:
    result = readiness(
        project,
        *SCAN,
        "--format=json=a.json",
        "--format=sarif=b.sarif",
        "--format=junit=missing/c.xml",
    )

    assert result.returncode == 2
    assert "missing/c.xml: the folder" in result.stderr
    assert "does not exist" in result.stderr
    assert SUMMARY not in result.stderr  # refused before the scan, not after it
    assert not (project / "a.json").exists()
    assert not (project / "b.sarif").exists()
    assert not (project / "missing").exists()


def test_no_folder_is_created_for_a_report(project: Path) -> None:
    report = project / "nonexistent" / "dir" / "x.json"

    result = readiness(project, *SCAN, f"--format=json={report}")

    assert result.returncode == 2
    assert f"{report}: the folder {report.parent} does not exist" in result.stderr
    assert not (project / "nonexistent").exists()


@pytest.mark.parametrize("command", ["scan", "deps"])
@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("folder", "is a folder; a report is written to a file"),
        ("file/report.txt", "cannot write it: Not a directory"),
        ("missing/report.txt", "does not exist"),
    ],
)
def test_a_bad_output_is_refused_alike_by_scan_and_deps(
    project: Path, command: str, where: str, message: str
) -> None:
    (project / "folder").mkdir()
    (project / "file").write_text("not a folder\n")

    result = readiness(project, *(DEPS if command == "deps" else SCAN), "-o", where)

    assert result.returncode == 2, result.stderr
    assert f"error: {where}: " in result.stderr
    assert message in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert (project / "file").read_text() == "not a folder\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write in any folder")
def test_a_folder_without_write_permission_is_refused(project: Path) -> None:
    locked = project / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = readiness(project, *SCAN, "-o", locked / "report.txt")
    finally:
        locked.chmod(0o700)

    assert result.returncode == 2
    assert "permission denied" in result.stderr
    assert SUMMARY not in result.stderr


def test_write_baseline_is_checked_before_the_scan(project: Path) -> None:
    result = readiness(project, *SCAN, "--write-baseline", "missing/baseline.json")

    assert result.returncode == 2
    assert "missing/baseline.json: the folder" in result.stderr
    assert SUMMARY not in result.stderr


# 2. What is not a regular file is written to, never replaced.


def test_a_symlink_is_written_through_and_stays_a_link(project: Path) -> None:
    (project / "reports").mkdir()
    target = project / "reports" / "real.json"
    target.write_text("old\n")
    link = project / "report.json"
    link.symlink_to(target)

    result = readiness(project, *SCAN, "--format", "json", "-o", link)

    assert result.returncode == 0, result.stderr
    assert link.is_symlink()
    assert link.readlink() == target
    assert json.loads(target.read_text())["mode"] == "static"
    assert not list(project.rglob("*.tmp"))


def test_a_fifo_is_written_to_and_stays_a_fifo(project: Path) -> None:
    fifo = project / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    # The reader opens the FIFO as a user's `cat` would; the write waits for it.
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        result = readiness(project, *SCAN, "--format", "json", "-o", fifo)
    finally:
        if reader.is_alive():
            with fifo.open("wb"):  # unblock the reader if readiness never opened it
                pass
        reader.join()

    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["mode"] == "static"


def test_a_device_is_written_to_and_stays_a_device(project: Path) -> None:
    # A null device of our own, not /dev/null: a build that replaced it must not break the
    # machine for everything else running on it.
    device = project / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD")

    result = readiness(project, *SCAN, "-o", device)

    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(device.lstat().st_mode)


def test_dev_stdout_is_written_where_the_shell_opened_it(project: Path) -> None:
    # /dev/stdout is this link on Linux; a link of our own, so that a build that replaced it
    # replaces nothing but the test's.
    dev_stdout = project / "stdout"
    dev_stdout.symlink_to("/proc/self/fd/1")
    log = project / "log.txt"
    log.write_text("an earlier line\n")
    # `>> log.txt`: stdout is the log, opened for appending.
    with log.open("a") as appended:
        result = readiness(project, *SCAN, "--format", "json", "-o", dev_stdout, stdout=appended)

    assert result.returncode == 0, result.stderr
    before, report = log.read_text().split("\n", 1)
    assert before == "an earlier line"
    assert json.loads(report)["mode"] == "static"
    assert dev_stdout.is_symlink()


# 3. A closed or broken stdout.


def test_a_closed_stdout_is_refused_before_the_scan(project: Path) -> None:
    result = readiness(project, *SCAN, stdout=None, prefix=CLOSED_STDOUT)

    assert result.returncode == 2
    assert "stdout is closed" in result.stderr
    assert "internal error" not in result.stderr
    assert SUMMARY not in result.stderr


@pytest.mark.parametrize("stderr_too", [False, True], ids=["stdout", "stdout-and-stderr"])
def test_a_reader_that_went_away_ends_quietly(project: Path, stderr_too: bool) -> None:
    # `readiness scan | head -0`, without the race: the reading end is closed before the run.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = readiness(
            project, *SCAN, stdout=write_end, stderr=write_end if stderr_too else subprocess.PIPE
        )
    finally:
        os.close(write_end)

    assert result.returncode == 2
    if not stderr_too:
        assert "closed by its reader" in result.stderr
        assert SUMMARY in result.stderr  # the scan's verdict is still said
        assert "Traceback" not in result.stderr
        assert "Exception ignored" not in result.stderr


def test_deps_refuses_a_closed_stdout_too(project: Path) -> None:
    result = readiness(project, *DEPS, stdout=None, prefix=CLOSED_STDOUT)

    assert result.returncode == 2
    assert "stdout is closed" in result.stderr
    assert "internal error" not in result.stderr


def test_a_nul_byte_in_a_path_is_refused_by_name(tmp_path: Path) -> None:
    # No command line can carry a NUL byte; a path built from a configuration file could.
    with pytest.raises(OutputError, match="is not a usable path"):
        Destination(tmp_path / "bad\0name").check()


# 5. A stdout that cannot encode the table's characters.


def c_locale() -> dict[str, str]:
    """Return an environment whose stdout and stderr are ASCII, as on a minimal CI image."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    env.update(LANG="C", LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    env.pop("PYTHONIOENCODING", None)
    return env


def run_in_c_locale(project: Path, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    """Run the real command line with an ASCII stdout and stderr; return raw bytes."""
    return subprocess.run(
        [sys.executable, "-m", "readiness", *map(str, args), "--cache-dir", project / "cache"],
        cwd=project,
        env=c_locale(),
        capture_output=True,
        timeout=300,
    )


@pytest.mark.parametrize("command", [SCAN, DEPS], ids=["scan", "deps"])
def test_an_ascii_stdout_gets_an_ascii_table(project: Path, command: tuple[str, ...]) -> None:
    result = run_in_c_locale(project, *command)

    assert result.returncode == 0, result.stderr
    table = result.stdout.decode("ascii")  # raises if a byte is not ASCII
    assert "+---" in table
    assert "\n| " in table
    assert b"Traceback" not in result.stderr
    assert b"internal error" not in result.stderr


def test_an_ascii_stdout_still_gets_a_utf8_document(project: Path) -> None:
    # Markdown declares no encoding, but GitHub reads it as UTF-8, as every document format.
    result = run_in_c_locale(project, *SCAN, "--format", "markdown")

    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8").startswith("### \N{WHITE HEAVY CHECK MARK} Static scan")


def test_an_ascii_stderr_takes_a_message_it_cannot_encode(project: Path) -> None:
    # The folder's name is not ASCII: in a C locale it reaches Python as surrogate escapes.
    folder = project / "proj\N{LATIN SMALL LETTER E WITH ACUTE}"
    folder.mkdir()

    result = run_in_c_locale(project, "scan", folder / "missing.txt", "--static", "--offline")

    assert result.returncode == 2
    assert b"error: " in result.stderr
    assert b"missing.txt" in result.stderr
    assert b"internal error" not in result.stderr
    assert b"Traceback" not in result.stderr
