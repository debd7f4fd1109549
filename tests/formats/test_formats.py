from __future__ import annotations

import dataclasses
import json
import re

from packaging.version import Version

from readiness.evidence.gather import disagreements
from readiness.evidence.interface import Evidence, IndexEvidence, TrackerRecord, WheelKind
from readiness.evidence.remedy import remedy_for
from readiness.formats.html import HtmlFormat
from readiness.formats.json import JsonFormat
from readiness.formats.markdown import MarkdownFormat
from readiness.formats.table import TableFormat
from readiness.probe.interface import ImportSite
from readiness.report import SCHEMA_VERSION, Report
from tests.samples import HOSTILE_TEXT, hostile_report, name, raw_controls, sample_report


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
        {"module": "pillowish._imaging", "owner": "pillowish", "through": "imageapp", "chain": []}
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


def test_table_shows_control_characters_escaped_and_reads_no_markup() -> None:
    text = TableFormat(width=2000).render(hostile_report())

    assert raw_controls(text) == []
    assert "\\x1b[31mred\\x1b[0m nul:\\x00 rlo:\\u202eevil\\u202c c1:\\x9b" in text
    assert "lri:\\u2066x\\u2069 bell:\\x07 cr:\\x0d del:\\x7f" in text
    assert "[/] [bold]not markup[/bold] <b>bold</b>" in text
    assert "\\x1b[2J\\u202eman" in text  # the name, as well as the reason


def test_table_in_colour_has_only_its_own_escapes() -> None:
    text = TableFormat(color=True, width=2000).render(hostile_report())

    assert raw_controls(re.sub(r"\x1b\[[0-9;]*m", "", text)) == []
    assert "\\x1b[31mred" in text


def test_table_for_an_ascii_destination_is_drawn_in_ascii() -> None:
    report = sample_report()
    dists = tuple(
        dataclasses.replace(
            dist, reason="caf\N{LATIN SMALL LETTER E WITH ACUTE} \u2713 \u65e5\u672c"
        )
        if dist.name == "nowheel"
        else dist
        for dist in report.distributions
    )
    report = dataclasses.replace(report, distributions=dists)

    text = TableFormat(width=160, encoding="ascii").render(report)

    text.encode("ascii")  # nothing left that an ASCII stdout would refuse
    assert text.splitlines()[1].startswith("+---")
    rows = [line for line in text.splitlines() if line.startswith("|")]
    assert len({len(row) for row in rows}) == 1  # a replaced character keeps its columns
    assert "caf? ? ????" in next(row for row in rows if "nowheel" in row)
    # The same report for a UTF-8 destination is unchanged.
    assert TableFormat(width=160).render(report).splitlines()[1].startswith("\u250f")


def with_tracker_evidence(pinned: str) -> Report:
    """Return the sample report where ``nowheel`` is pinned at ``pinned``, its index has only
    an sdist and the tracker says it is supported since 3.0.0; remedy and disagreements are
    worded by the real evidence code."""
    tracker = TrackerRecord(
        display_name="nowheel",
        distributions=(name("nowheel"),),
        issue_url=None,
        tested_in_ci=True,
        release_on_index=True,
        first_version="3.0.0",
        nightly_wheels=False,
        nightly_url=None,
    )
    index = IndexEvidence(wheel=WheelKind.SOURCE_BUILD_REQUIRED)
    version = Version(pinned)
    remedy = remedy_for(name("nowheel"), version, index, tracker, "cp313t")
    evidence = Evidence(tracker=tracker, index=index, remedy=remedy)
    report = sample_report()
    dists = tuple(
        dataclasses.replace(
            dist,
            version=version,
            evidence=evidence,
            disagreements=disagreements(False, version, evidence, "cp313t"),
        )
        if dist.name == "nowheel"
        else dist
        for dist in report.distributions
    )
    return dataclasses.replace(report, distributions=dists)


def test_the_evidence_column_says_each_fact_once() -> None:
    report = with_tracker_evidence("1.0")
    nowheel = next(d for d in report.distributions if d.name == "nowheel")
    assert nowheel.disagreements  # the pin is older than the tracker's version: said...

    text = TableFormat(width=2000).render(report)

    row = next(line for line in text.splitlines() if "nowheel" in line)
    assert "upgrade nowheel 1.0 -> 3.0.0: the tracker says supported since 3.0.0" in row
    assert row.count("supported since") == 1
    assert "tracker: since" not in row
    assert "is older" not in row  # ...by the upgrade from 1.0, once
    assert "index: sdist only" in row


def test_the_tracker_fact_stays_where_nothing_else_says_it() -> None:
    text = TableFormat(width=2000).render(with_tracker_evidence("3.1"))

    row = next(line for line in text.splitlines() if "nowheel" in line)
    assert "tracker: since 3.0.0" in row


def _project_report(file: str) -> Report:
    """The sample report, with ``imageapp`` as the scanned project reaching its culprit from
    ``file`` line 5."""
    report = sample_report()
    chain = (
        ImportSite(file, 5, "import pillowish", in_project=True),
        ImportSite("pillowish/__init__.py", 1, "from . import _imaging"),
    )
    distributions = tuple(
        dataclasses.replace(
            dist,
            project=True,
            reaches=tuple(dataclasses.replace(reach, chain=chain) for reach in dist.reaches),
        )
        if dist.name == "imageapp"
        else dist
        for dist in report.distributions
    )
    return dataclasses.replace(report, distributions=distributions)


def test_every_format_says_where_the_project_imports_a_culprit() -> None:
    report = _project_report("src/imageapp/core.py")

    table = TableFormat(width=2000).render(report)
    markdown = MarkdownFormat().render(report)
    html = HtmlFormat().render(report)
    document = json.loads(JsonFormat().render(report))

    assert "loads pillowish._imaging of pillowish (imported at src/imageapp/core.py:5)" in table
    assert "the scanned project's own code" in table
    assert "(imported at `src/imageapp/core.py:5`)" in markdown
    assert "the project imports it at <code>src/imageapp/core.py:5</code>" in html
    assert "<code>pillowish/__init__.py:1</code> <code>from . import _imaging</code>" in html
    [own] = [dist for dist in document["distributions"] if dist["project"]]
    assert own["name"] == "imageapp"
    assert own["reaches"][0]["chain"][0] == {
        "file": "src/imageapp/core.py",
        "line": 5,
        "statement": "import pillowish",
        "in_project": True,
    }


def test_a_hostile_file_name_in_a_chain_is_shown_escaped() -> None:
    report = _project_report(HOSTILE_TEXT)
    for rendered in (
        TableFormat(width=4000).render(report),
        MarkdownFormat().render(report),
        HtmlFormat().render(report),
    ):
        assert raw_controls(rendered) == []
