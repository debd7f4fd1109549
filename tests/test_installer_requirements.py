"""Each requirement line is one requirement to the installer, or refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.installer_requirements import (
    UnsafeRequirement,
    checked_line,
    requirements_arguments,
    write_requirements_file,
)
from readiness.sources.interface import Origin


@pytest.mark.parametrize(
    "line",
    [
        "alpha==1.0",
        "Zeta_Pkg[cli,dev]==2.0.post1",
        "alpha>=1,<2",
        "beta @ https://127.0.0.1:9/beta-2.0.tar.gz",
        "delta @ git+https://127.0.0.1:9/delta.git@v1",
        "my-app[cli] @ file:///home/me/my%20app",
        "https://127.0.0.1:9/unnamed/archive",
        "/home/me/projects/app",
        "-e /home/me/projects/app",
        "-e git+https://127.0.0.1:9/eps.git@main#egg=eps",
        "C:\\Users\\me\\app",
    ],
)
def test_requirements_pass_as_they_are(line: str) -> None:
    assert checked_line(line) == line


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        # The lock entry, as a pin and as a name.
        ("-ihttp://[::1]:8765/simple/==1.0", "would read as an option"),
        ("-ihttp://[::1]:8765/simple/", "would read as an option"),
        ("--index-url=http://127.0.0.1:9/simple", "would read as an option"),
        ("  -r /etc/passwd", "would read as an option"),
        ("-e -ihttp://127.0.0.1:9/", "would read as an option"),
        ("-e  --index-url=x", "would read as an option"),
        ("alpha==1.0\n-i http://127.0.0.1:9/", "control character or a line break"),
        ("alpha==1.0\r-i http://127.0.0.1:9/", "control character or a line break"),
        ("alpha==1.0\x0b-i x", "control character or a line break"),
        ("alpha==1.0\u2028-i x", "control character or a line break"),
        ("alpha\x00", "control character or a line break"),
        ("alpha==1.0 -i http://127.0.0.1:9/", "option or a comment after a space"),
        ("alpha==1.0 --hash=sha256:00", "option or a comment after a space"),
        ("alpha==1.0\t--config-settings=x=y", "control character"),
        ("/tmp/a #comment", "option or a comment after a space"),
        ("alpha==1.0 \\", "backslash"),
        ("x @ https://127.0.0.1:9/${AWS_SECRET_ACCESS_KEY}.whl", "expands"),
        ("", "is empty"),
        ("alpha=1.0", "neither a PEP 508 requirement"),
        ("./relative/path", "neither a PEP 508 requirement"),
    ],
)
def test_anything_else_is_refused(line: str, problem: str) -> None:
    with pytest.raises(UnsafeRequirement, match=problem) as raised:
        checked_line(line)
    assert raised.value.hint is not None
    # Shown escaped: a control character never reaches the terminal raw.
    assert "\n" not in str(raised.value)
    assert "\x00" not in str(raised.value)


def test_the_refusal_names_where_the_file_declares_it(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    with pytest.raises(UnsafeRequirement) as raised:
        checked_line("-ix==1", Origin(lock, entry='package "-ix" 1'))
    assert str(raised.value).startswith(f'{lock}: package "-ix" 1: refused')
    with pytest.raises(UnsafeRequirement) as raised:
        checked_line("-ix", Origin(tmp_path / "requirements.txt", line=3))
    assert str(raised.value).startswith(f"{tmp_path / 'requirements.txt'}:3: refused")


def test_the_file_holds_one_line_per_requirement(tmp_path: Path) -> None:
    arguments = requirements_arguments(tmp_path, ["alpha==1.0", "-e /srv/app"])
    assert arguments == ["-r", str(tmp_path / "requirements.txt")]
    assert Path(arguments[1]).read_text() == "alpha==1.0\n-e /srv/app\n"


def test_nothing_is_written_when_one_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    with pytest.raises(UnsafeRequirement):
        write_requirements_file(path, ["alpha==1.0", "-ix==1"])
    assert not path.exists()
