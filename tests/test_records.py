"""The one codec for cached records: a round trip, and a refusal for what does not fit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._records import RecordError, from_record, to_record
from readiness.interpreter.interface import Interpreter
from readiness.probe.interface import (
    ImportObservation,
    ImportStatus,
    ModuleKind,
    ModuleName,
    ProbePlan,
    ProbeStep,
)
from tests import samples


@dataclass(frozen=True)
class Sample:
    version: Version
    where: Path
    taken: date
    note: str | None = None
    count: int = 0


def observation() -> ImportObservation:
    return ImportObservation(
        step=ProbeStep(ModuleName("yaml._yaml"), NormalizedName("pyyaml"), ModuleKind.EXTENSION),
        status=ImportStatus.OK,
        seconds=0.25,
        gil_enabled_after=True,
        gil_modules=(ModuleName("yaml._yaml"),),
        warned_module=ModuleName("yaml._yaml"),
        process=3,
        imported=(ModuleName("yaml"), ModuleName("yaml._yaml")),
    )


def test_an_observation_survives_a_round_trip_through_json() -> None:
    original = observation()
    data = json.loads(json.dumps(to_record(original)))
    assert from_record(ImportObservation, data) == original


def test_values_kept_as_text_come_back_as_their_types() -> None:
    original = Sample(Version("1.0.post1"), Path("a/b"), date(2026, 12, 3), note="n", count=2)
    data = to_record(original)
    assert data == {
        "version": "1.0.post1",
        "where": "a/b",
        "taken": "2026-12-03",
        "note": "n",
        "count": 2,
    }
    assert from_record(Sample, data) == original


def test_a_missing_field_takes_its_default() -> None:
    assert from_record(Sample, {"version": "1", "where": "x", "taken": "2026-01-01"}).count == 0


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"where": "x", "taken": "2026-01-01"},
        {"version": "not a version", "where": "x", "taken": "2026-01-01"},
        {"version": "1", "where": 3, "taken": "2026-01-01"},
        {"version": "1", "where": "x", "taken": "yesterday"},
        {"version": "1", "where": "x", "taken": "2026-01-01", "count": True},
        {"version": "1", "where": "x", "taken": "2026-01-01", "note": 5},
    ],
)
def test_what_does_not_fit_is_refused(data: object) -> None:
    with pytest.raises(RecordError):
        from_record(Sample, data)


def test_an_unknown_enum_value_is_refused() -> None:
    data = to_record(observation())
    data["status"] = "exploded"
    with pytest.raises(RecordError, match="status"):
        from_record(ImportObservation, data)


def test_an_interpreter_survives_a_round_trip_through_json() -> None:
    original = samples.interpreter()
    data = json.loads(json.dumps(to_record(original)))

    assert from_record(Interpreter, data) == original
    assert from_record(Interpreter, data).marker_environment == original.marker_environment
    data["version"] = [3, 14]
    with pytest.raises(RecordError, match="version"):
        from_record(Interpreter, data)


def test_a_probe_plan_survives_a_round_trip_through_json() -> None:
    gil, ready = NormalizedName("ft-gil"), NormalizedName("ft-ready")
    step = ProbeStep(ModuleName("ft_gil"), gil, ModuleKind.TOP_LEVEL)
    original = ProbePlan(
        steps=(step, ProbeStep(ModuleName("ft_gil._core"), gil, ModuleKind.EXTENSION)),
        extension_owners={ModuleName("ft_gil._core"): gil},
        requires={gil: frozenset({ready}), ready: frozenset()},
        files_digests={gil: "abc", ready: "def"},
    )

    assert from_record(ProbePlan, json.loads(json.dumps(to_record(original)))) == original
