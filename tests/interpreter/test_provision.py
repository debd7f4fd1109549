from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
import threading
from pathlib import Path

import pytest

from readiness.interpreter.discover import find_interpreter, read_provisioned
from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.interpreter.provision import (
    DEBIAN_SUITES,
    Distribution,
    archives_for,
    download_distribution_source,
    install_python,
    private_apt_options,
    read_apt_sources,
    read_os_release,
    source_version,
    unpack_source,
)
from tests.interpreter.conftest import RecordingProgress, provision_by_hand

ASSETS = Path(__file__).parent.parent / "assets" / "interpreter"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("debian", Distribution("debian", "bookworm")),
        ("ubuntu", Distribution("ubuntu", "noble")),
        ("mint", Distribution("ubuntu", "noble")),
        ("fedora", Distribution("", "")),
    ],
)
def test_os_release(name: str, expected: Distribution) -> None:
    assert read_os_release([ASSETS / "os-release" / name]) == expected


def test_no_os_release(tmp_path: Path) -> None:
    assert read_os_release([tmp_path / "missing"]) == Distribution("", "")


def test_debian_archives_from_deb822_sources() -> None:
    entries = read_apt_sources(ASSETS / "apt-debian")
    # Enabled: no, and files apt does not read (*.disabled-by-admin), are left out.
    assert all("disabled" not in entry.uri and "ignored" not in entry.uri for entry in entries)
    assert archives_for(Distribution("debian", "bookworm"), entries) == [
        "http://mirror.example.invalid/debian",
        "http://second.example.invalid/debian",
    ]


def test_ubuntu_archives_from_one_line_sources() -> None:
    entries = read_apt_sources(ASSETS / "apt-ubuntu")
    # Security, updates, the CD and a third party's suites are not the release's archive.
    assert archives_for(Distribution("ubuntu", "noble"), entries) == [
        "http://archive.example.invalid/ubuntu",
        "https://ppa.example.invalid/deadsnakes/ppa/ubuntu",
    ]


def test_suites_and_components() -> None:
    assert DEBIAN_SUITES[13] == ("trixie",)
    assert DEBIAN_SUITES[14][0] == "forky"
    assert "sid" in DEBIAN_SUITES[15]
    assert Distribution("debian", "bookworm").components == "main"
    assert Distribution("ubuntu", "noble").components == "main universe"
    assert 13 in Distribution("ubuntu", "noble").suites


def test_private_apt_options_point_inside_the_work_folder(tmp_path: Path) -> None:
    options = private_apt_options(tmp_path)
    values = dict(option.split("=", 1) for option in options[1::2])
    assert options[0::2] == ["-o"] * len(values)
    assert values["Dir::Etc::SourceList"] == str(tmp_path / "sources.list")
    assert values["Dir::Etc::SourceParts"] == "/dev/null"
    assert values["Dir::State::Lists"] == str(tmp_path / "lists")
    assert values["Dir::Cache"] == str(tmp_path / "cache")
    assert (tmp_path / "lists" / "partial").is_dir()
    assert (tmp_path / "cache" / "archives" / "partial").is_dir()


def test_no_source_package_outside_debian_and_ubuntu(
    tmp_path: Path, progress: RecordingProgress
) -> None:
    with pytest.raises(InterpreterError, match="not Debian or Ubuntu") as caught:
        download_distribution_source(
            14, tmp_path, progress=progress, distribution=Distribution("", "")
        )
    assert caught.value.hint is not None
    assert "--source" in caught.value.hint


def test_no_suite_known_for_a_future_python(tmp_path: Path, progress: RecordingProgress) -> None:
    with pytest.raises(InterpreterError, match="no debian suite is known to carry it"):
        download_distribution_source(
            99,
            tmp_path,
            progress=progress,
            distribution=Distribution("debian", "bookworm"),
            etc_apt=ASSETS / "apt-debian",
        )


def _apt_is_usable() -> bool:
    return (
        shutil.which("apt-get") is not None
        and read_os_release().family != ""
        and bool(archives_for(read_os_release(), read_apt_sources()))
    )


@pytest.mark.network
@pytest.mark.skipif(not _apt_is_usable(), reason="needs apt on Debian or Ubuntu")
def test_downloads_the_distribution_source_package(
    tmp_path: Path, progress: RecordingProgress
) -> None:
    tarball = download_distribution_source(13, tmp_path, progress=progress)
    assert tarball.name.startswith("python3.13_3.13.")
    assert ".orig.tar." in tarball.name
    assert progress.phases == ["downloading the python3.13 source package"]
    assert any("Get:" in line or "Hit:" in line for line in progress.lines)
    # The index apt read is the private one, in the work folder.
    assert list(tmp_path.glob("apt-trixie-*/lists/*_trixie_main_source_Sources*"))


# A stand-in for CPython's source tree: configure checks that it got --disable-gil and writes
# a Makefile whose install puts a link to the real free-threaded interpreter into the prefix.
_CONFIGURE = """#!/bin/sh
for arg; do
  case "$arg" in
    --prefix=*) prefix="${arg#--prefix=}" ;;
    --disable-gil) disabled=yes ;;
  esac
done
[ "$disabled" = yes ] || { echo "configure: error: expected --disable-gil"; exit 1; }
echo "checking for the C compiler... cc"
printf 'all:\\n\\t@echo compiling CPython\\n' > Makefile
printf 'install:\\n\\tmkdir -p %s/bin\\n\\tln -s %s %s/bin/python%st\\n' \
  "$prefix" "@TARGET@" "$prefix" "@MINOR@" >> Makefile
"""

_FAILING_CONFIGURE = """#!/bin/sh
echo "checking for the C compiler... no"
echo "configure: error: no acceptable C compiler found in \\$PATH"
exit 1
"""


def make_source_tarball(
    path: Path, version: str, *, target: Path, configure: str = _CONFIGURE
) -> Path:
    """Write a tarball shaped like CPython's: Python-X.Y.Z/{configure,Include/patchlevel.h}."""
    major_minor = ".".join(version.split(".")[:2])
    files = {
        "configure": (
            configure.replace("@TARGET@", str(target)).replace("@MINOR@", major_minor),
            0o755,
        ),
        "Include/patchlevel.h": (
            f'#define PY_MAJOR_VERSION 3\n#define PY_VERSION "{version}"\n',
            0o644,
        ),
    }
    with tarfile.open(path, "w:gz") as archive:
        for name, (text, mode) in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"Python-{version}/{name}")
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.freethreaded
def test_builds_from_a_source_tarball_once(
    freethreaded: Interpreter, tmp_path: Path, progress: RecordingProgress
) -> None:
    version = freethreaded.version_string
    tarball = make_source_tarball(tmp_path / "Python.tgz", version, target=freethreaded.executable)
    cache = tmp_path / "cache"

    executable = install_python(
        freethreaded.version_tag, cache_dir=cache, progress=progress, source=tarball
    )

    prefix = cache / "python" / f"cpython-{version}t"
    assert executable == prefix / "bin" / f"python{freethreaded.version_tag}"
    assert json.loads((prefix / ".readiness-complete").read_text()) == {
        "version": version,
        "executable": f"bin/python{freethreaded.version_tag}",
    }
    assert progress.phases == [f"building CPython {version}t"]
    assert "compiling CPython" in progress.lines
    log = (cache / "python" / f"build-cpython-{version}t.log").read_text()
    assert "$ make install" in log
    # The build folder is gone; discovery finds the install.
    assert [p.name for p in (cache / "python").iterdir() if p.name.startswith(".build")] == []
    assert find_interpreter(freethreaded.version_tag, cache_dir=cache).executable == executable

    again = RecordingProgress()
    assert install_python(freethreaded.version_tag, cache_dir=cache, progress=again) == executable
    assert again.phases == []


@pytest.mark.freethreaded
def test_a_failed_build_leaves_no_marker_and_shows_the_log(
    freethreaded: Interpreter, tmp_path: Path, progress: RecordingProgress
) -> None:
    version = freethreaded.version_string
    tarball = make_source_tarball(
        tmp_path / "Python.tgz",
        version,
        target=freethreaded.executable,
        configure=_FAILING_CONFIGURE,
    )
    cache = tmp_path / "cache"
    with pytest.raises(InterpreterError, match="no acceptable C compiler") as caught:
        install_python(freethreaded.version_tag, cache_dir=cache, progress=progress, source=tarball)
    log = cache / "python" / f"build-cpython-{version}t.log"
    assert caught.value.hint is not None
    assert str(log) in caught.value.hint
    assert "./configure --disable-gil" in str(caught.value)
    assert "no acceptable C compiler" in log.read_text()
    assert read_provisioned(cache / "python" / f"cpython-{version}t") is None


@pytest.mark.freethreaded
def test_a_half_built_install_is_removed_before_building(
    freethreaded: Interpreter, tmp_path: Path, progress: RecordingProgress
) -> None:
    version = freethreaded.version_string
    cache = tmp_path / "cache"
    leftover = cache / "python" / f"cpython-{version}t" / "lib" / "half-written.py"
    leftover.parent.mkdir(parents=True)
    leftover.write_text("", encoding="utf-8")
    tarball = make_source_tarball(tmp_path / "Python.tgz", version, target=freethreaded.executable)
    install_python(freethreaded.version_tag, cache_dir=cache, progress=progress, source=tarball)
    assert not leftover.exists()


def test_a_tarball_of_another_version_is_refused(
    tmp_path: Path, progress: RecordingProgress
) -> None:
    tarball = make_source_tarball(tmp_path / "Python.tgz", "3.12.1", target=Path(sys.executable))
    with pytest.raises(InterpreterError, match=r"source of CPython 3\.12\.1, not of 3\.14"):
        install_python("3.14t", cache_dir=tmp_path / "cache", progress=progress, source=tarball)


def test_a_missing_tarball(tmp_path: Path, progress: RecordingProgress) -> None:
    with pytest.raises(InterpreterError, match="no such source tarball"):
        install_python(
            "3.14t", cache_dir=tmp_path, progress=progress, source=tmp_path / "Python.tgz"
        )


def test_not_a_tarball(tmp_path: Path, progress: RecordingProgress) -> None:
    bogus = tmp_path / "Python.tgz"
    bogus.write_text("not a tarball", encoding="utf-8")
    with pytest.raises(InterpreterError, match="cannot be unpacked"):
        install_python("3.14t", cache_dir=tmp_path, progress=progress, source=bogus)


def test_source_tree_helpers(tmp_path: Path) -> None:
    tarball = make_source_tarball(tmp_path / "Python.tgz", "3.15.0a2", target=Path("/x"))
    tree = unpack_source(tarball, tmp_path / "src")
    assert tree == tmp_path / "src" / "Python-3.15.0a2"
    assert source_version(tree) == "3.15.0a2"


@pytest.mark.freethreaded
def test_an_existing_install_is_returned_without_work(
    freethreaded: Interpreter, tmp_path: Path, progress: RecordingProgress
) -> None:
    executable = provision_by_hand(tmp_path, freethreaded.version_string, freethreaded.executable)
    found = install_python(freethreaded.version_tag, cache_dir=tmp_path, progress=progress)
    assert found == executable
    assert progress.phases == []


_HOLD_LOCK = """
import fcntl, sys
handle = open(sys.argv[1], "a")
fcntl.flock(handle, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.readline()
"""


@pytest.mark.freethreaded
def test_provisioning_waits_for_another_run(
    freethreaded: Interpreter, tmp_path: Path, progress: RecordingProgress
) -> None:
    executable = provision_by_hand(tmp_path, freethreaded.version_string, freethreaded.executable)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(tmp_path / "python" / ".lock")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        results: list[Path] = []
        waiter = threading.Thread(
            target=lambda: results.append(
                install_python(freethreaded.version_tag, cache_dir=tmp_path, progress=progress)
            )
        )
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive()
        assert results == []
        assert progress.lines == ["waiting for another readiness run to finish provisioning"]
    finally:
        holder.communicate("\n", timeout=10)
    waiter.join(timeout=10)
    assert results == [executable]
