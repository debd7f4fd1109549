"""The child writes JSON as json.dumps does, without importing json, and reads its task."""

from __future__ import annotations

import json
import marshal
import math
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.probe._child import to_json, warned_module
from readiness.probe.runner import CHILD_SCRIPT

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\udc80", "\udfff"]))
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(values)
def test_json_is_written_as_json_dumps_writes_it(value: object) -> None:
    assert to_json(value) == json.dumps(value)


def test_json_of_what_a_child_reports() -> None:
    event = {"event": "done", "error": 'ImportError: "x"\n\t\x1b[31m é 😀 \ud800', "seconds": 0.5}
    assert to_json(event) == json.dumps(event)
    assert json.loads(to_json(event)) == event
    assert to_json([math.inf, -math.inf]) == "[Infinity, -Infinity]"


def test_the_gil_warning_names_its_module() -> None:
    message = (
        "The global interpreter lock (GIL) has been enabled to load module 'ft_gil._core', "
        "which has not declared that it can run safely without the GIL."
    )
    assert warned_module(message) == "ft_gil._core"
    assert warned_module("some other warning") is None
    assert warned_module(message.split("'")[0] + "'") is None  # no name, no closing quote
    assert warned_module(message.replace("'ft_gil._core'", "''")) is None


@pytest.mark.freethreaded
@pytest.mark.parametrize(
    ("task", "spoken"),
    [
        (b"not marshal at all", "None"),
        (marshal.dumps(["a", "list"]), "None"),
        (marshal.dumps({"protocol": 1, "modules": []}), "1"),
    ],
    ids=["garbage", "not-a-dict", "old-protocol"],
)
def test_a_task_the_child_cannot_read_ends_it_with_status_2(
    freethreaded_python: Path, task: bytes, spoken: str
) -> None:
    done = subprocess.run(
        [str(freethreaded_python), "-I", str(CHILD_SCRIPT)],
        input=task,
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.decode() == f"readiness probe: unknown protocol {spoken}\n"
    assert done.stdout == b""
