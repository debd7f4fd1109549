from __future__ import annotations

import dataclasses
import re

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from readiness.formats.control_chars import escape_controls
from readiness.formats.markdown import MarkdownFormat, code_span, escape
from readiness.policy import Allowance, Policy
from readiness.report import Verdict
from tests.samples import (
    HOSTILE_NAME,
    HOSTILE_TEXT,
    hostile_report,
    name,
    raw_controls,
    sample_report,
)


def table_rows(text: str) -> list[list[str]]:
    """Return the cells of every Markdown table row (headers and rules left out), unescaped."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("| ") or line.startswith(("| distribution |", "| --- |")):
            continue
        cells = re.split(r"(?<!\\)\|", line.strip()[1:-1])
        rows.append([re.sub(r"\\(.)", r"\1", cell.strip()) for cell in cells])
    return rows


def test_summary_blockers_first_and_the_rest_folded() -> None:
    text = MarkdownFormat().render(sample_report())
    lines = text.splitlines()

    assert lines[0].startswith("### ❌ GIL readiness on CPython 3.13.5")
    assert "**10 distributions**: 2 gil-enabled, 1 not-installable" in text
    assert "**gate failed** (speedy, pillowish, segv, slow, nowheel)" in text
    assert "1 inconclusive" in text
    blockers, rest = text.split("<details>")
    blocker_rows = table_rows(blockers)
    assert [row[0] for row in blocker_rows] == [
        "`pillowish`",
        "`speedy`",
        "`nowheel`",
        "`segv`",
        "`slow`",
        "`broken`",
    ]
    assert blocker_rows[1][2:4] == ["gil-enabled", "**fails**"]
    assert "`speedy._core` (on import)" in blocker_rows[1][4]
    assert blocker_rows[-1][2:4] == ["import-error", "inconclusive"]
    assert blocker_rows[0][-1] == "requirements.txt:2"
    assert "<summary>4 other distributions (3 ready, 1 skipped)</summary>" in rest
    assert {row[0]: row[2] for row in table_rows(rest)} == {
        "`fine`": "ready",
        "`helper`": "ready",
        "`imageapp`": "ready",
        "`winonly`": "skipped",
    }
    assert rest.rstrip().endswith("</sub>")


def test_cells_escape_pipes_and_markup() -> None:
    report = sample_report()
    hostile = "a | b *bold* <script>x</script> [link](y) `code` _it_ & \\ end\nsecond line"
    dists = tuple(
        dataclasses.replace(dist, reason=hostile) if dist.name == "nowheel" else dist
        for dist in report.distributions
    )
    text = MarkdownFormat().render(dataclasses.replace(report, distributions=dists))

    row = next(line for line in text.splitlines() if line.startswith("| `nowheel`"))
    assert "<script>" not in row
    assert "\\| b \\*bold\\* \\<script\\>" in row
    assert "\n" not in escape(hostile)
    # Parsed back as GitHub parses a table row, the row keeps its columns and the text.
    cells = table_rows(row)[0]
    assert len(cells) == 6
    assert cells[4] == " ".join(hostile.split())


def test_allowed_blockers_stay_in_the_table_and_the_gate_passes() -> None:
    report = sample_report()
    failing = [name(n) for n in ("speedy", "pillowish", "segv", "slow", "nowheel")]
    policy = Policy.from_options(
        None,
        strict=False,
        allow=tuple(Allowance(name=n, reason="waiting for | upstream") for n in failing),
    )
    text = MarkdownFormat(policy.evaluate(report)).render(report)

    assert text.startswith("### ✅")
    assert "**gate passed**" in text
    speedy = next(row for row in table_rows(text) if row[0] == "`speedy`")
    assert speedy[3] == "allowed: waiting for | upstream"


def test_a_ready_stack_has_no_blockers_table() -> None:
    report = sample_report()
    ready = tuple(d for d in report.distributions if d.verdict is Verdict.READY)
    text = MarkdownFormat().render(dataclasses.replace(report, distributions=ready))

    assert "No blockers." in text
    assert "**gate passed**" in text
    assert len(table_rows(text)) == 3


def parse_gfm(text: str) -> list[Token]:
    """Return every token of ``text`` as a GitHub-flavoured reader sees it, inline ones too."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    return [*tokens, *(child for token in tokens for child in token.children or ())]


@pytest.mark.parametrize(
    "name",
    ["a`b", "`x", "x`", "``", "a | b", "```|```", "x\\|y", "<img src=x>", "a``` `` `b"],
)
def test_a_code_span_holds_any_text_in_a_table_cell(name: str) -> None:
    text = f"| name | after |\n| --- | --- |\n| {code_span(name)} | next |\n"

    tokens = parse_gfm(text)

    assert [t.content for t in tokens if t.type == "code_inline"] == [name]
    cells = [t.content for t in tokens if t.type == "inline"]
    assert cells[-1] == "next"  # the span did not swallow or split the row
    assert not [t for t in tokens if t.type.startswith("html")]


def test_hostile_names_and_text_stay_text_in_the_report() -> None:
    report = hostile_report()
    text = MarkdownFormat().render(report)

    assert raw_controls(text) == []
    tokens = parse_gfm(text)
    # The only HTML is the report's own: the fold and the footer.
    tags = {
        tag for t in tokens if t.type.startswith("html") for tag in re.findall(r"</?\w+", t.content)
    }
    assert tags <= {"<details", "</details", "<summary", "</summary", "<sub", "</sub"}
    shown_name = escape_controls(" ".join(HOSTILE_NAME.split()))
    assert shown_name in [t.content for t in tokens if t.type == "code_inline"]
    assert "\\x1b[2J\\u202eman" in shown_name
    # Each row of each table keeps its columns.
    widths: list[set[int]] = []
    cells = 0
    for token in tokens:
        if token.type == "table_open":
            widths.append(set())
        elif token.type == "tr_open":
            cells = 0
        elif token.type in ("td_open", "th_open"):
            cells += 1
        elif token.type == "tr_close":
            widths[-1].add(cells)
    assert widths == [{6}, {5}]
    reason = " ".join(escape_controls(HOSTILE_TEXT).split())
    assert reason in "".join(t.content for t in tokens if t.type == "text")
