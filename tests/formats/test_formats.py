from __future__ import annotations

import json

from readiness.formats.json import JsonFormat
from readiness.formats.table import TableFormat
from readiness.report import SCHEMA_VERSION
from tests.samples import sample_report


def test_json_carries_every_verdict_and_the_schema_version() -> None:
    document = json.loads(JsonFormat().render(sample_report()))

    assert document["schema_version"] == SCHEMA_VERSION
    assert document["interpreter"]["tag"] == "3.13t"
    assert document["summary"]["gil-enabled"] == 2
    assert document["summary"]["total"] == 10
    by_name = {d["name"]: d for d in document["distributions"]}
    assert by_name["speedy"]["culprits"] == [
        {"module": "speedy._core", "reached_through": "speedy", "warned": True}
    ]
    assert by_name["speedy"]["gil_trigger"] == "on-import"
    assert by_name["pillowish"]["gil_trigger"] == "submodule"
    assert by_name["speedy"]["declared_at"] == {
        "path": "requirements.txt",
        "line": 1,
        "entry": None,
    }
    assert by_name["helper"]["declared_at"] is None
    assert by_name["segv"]["modules"][0]["status"] == "crashed"
    assert by_name["imageapp"]["reaches"] == [
        {"module": "pillowish._imaging", "owner": "pillowish", "through": "imageapp"}
    ]


def test_table_lists_blockers_first_with_the_culprit() -> None:
    text = TableFormat(width=160).render(sample_report())
    rows = [line for line in text.splitlines() if line.startswith("│")]

    assert rows[0].split("│")[1].strip() == "pillowish"
    assert "pillowish._imaging (when loaded" in rows[0]
    assert "speedy._core (on import)" in rows[1]
    assert rows[-1].split("│")[1].strip() == "winonly"
    assert "\x1b[" not in text


def test_table_in_colour_on_a_terminal() -> None:
    assert "\x1b[" in TableFormat(color=True).render(sample_report())
