from __future__ import annotations

import dataclasses
import re

from readiness.formats.markdown import MarkdownFormat, escape
from readiness.policy import Allowance, Policy
from readiness.report import Verdict
from tests.samples import name, sample_report


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
