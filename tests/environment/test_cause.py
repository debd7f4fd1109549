"""The reason of a failed installation: the line of pip's or uv's output that says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.environment.cause import install_cause

OUTPUT = Path(__file__).parent.parent / "assets" / "installer-output"


@pytest.mark.parametrize(
    ("captured", "cause"),
    [
        ("pip-build-error.txt", "RuntimeError: CFFI does not support the free-threaded build"),
        ("uv-build-error.txt", "RuntimeError: CFFI does not support the free-threaded build"),
        ("pip-no-matching.txt", "ERROR: No matching distribution found for nosuch==1.0"),
        (
            "uv-no-matching.txt",
            "Because nosuch was not found in the provided package locations and you require "
            "nosuch==1.0, we can conclude that your requirements are unsatisfiable.",
        ),
        (
            "uv-no-build.txt",
            "Because gamma==3.0 has no usable wheels and you require gamma==3.0, we can "
            "conclude that your requirements are unsatisfiable.",
        ),
        (
            "pip-maturin-offline.txt",
            "[6] Couldn't resolve host name (Could not resolve host: index.example)",
        ),
        (
            "pip-compile-error.txt",
            "src/core.c:1:10: fatal error: Python.h: No such file or directory",
        ),
        (
            "uv-compile-error.txt",
            "src/ft_own/_speedups.c:1:2: error: #error not today",
        ),
        (
            "pip-requires-python.txt",
            "ERROR: Package 'contourpy' requires a different Python: 3.11.7 not in '>=3.12'",
        ),
        (
            "uv-drawn-no-solution.txt",
            "Because cffi==2.1.1 has no wheels with a matching Python ABI tag (e.g., `cp313t`) "
            "and you require cffi==2.1.1, we can conclude that your requirements are "
            "unsatisfiable.",
        ),
    ],
)
def test_the_cause_line_of_captured_output(captured: str, cause: str) -> None:
    lines = (OUTPUT / captured).read_text(encoding="utf-8").splitlines()
    assert install_cause(lines) == cause


def test_pips_boilerplate_is_never_the_reason() -> None:
    lines = (OUTPUT / "pip-build-error.txt").read_text(encoding="utf-8").splitlines()
    reason = install_cause(lines)
    assert "note:" not in reason
    assert "subprocess-exited-with-error" not in reason


def test_colours_and_progress_are_not_part_of_the_cause() -> None:
    lines = [
        "\x1b[2mUsing Python 3.13.5 environment at: /tmp/env\x1b[0m",
        "\x1b[2K\x1b[1m\x1b[31merror\x1b[39m\x1b[0m\x1b[1m:\x1b[0m No solution found",
        "  \x1b[1m\x1b[31mcause\x1b[39m\x1b[0m\x1b[1m:\x1b[0m Because x was not found",
    ]
    assert install_cause(lines) == "Because x was not found"


def test_without_a_cause_the_last_lines_stand() -> None:
    lines = [f"step {number}" for number in range(30)]
    assert install_cause(lines) == "\n".join(f"step {number}" for number in range(15, 30))
    assert install_cause(lines, tail=2) == "step 28\nstep 29"


def test_a_wrapped_child_exit_is_not_the_cause() -> None:
    lines = [
        "      Traceback (most recent call last):",
        "      ValueError: the real cause",
        "      During handling of the above exception, another exception occurred:",
        "      subprocess.CalledProcessError: Command '['make']' returned non-zero exit status 2.",
    ]
    assert install_cause(lines) == "ValueError: the real cause"


def test_uvs_own_error_when_it_names_no_cause() -> None:
    lines = [
        "Using Python 3.13.5 environment at: /tmp/env",
        "  \N{MULTIPLICATION SIGN} Failed to download `alpha==1.0`",
    ]
    assert install_cause(lines) == "Failed to download `alpha==1.0`"
    # pip draws its summary the same way: that is boilerplate, not a cause.
    pip = [
        "  \N{MULTIPLICATION SIGN} Getting requirements to build wheel did not run successfully."
    ]
    assert install_cause(pip) == pip[0]
