"""The test run's report in every format ``scan`` writes, from one :class:`SuiteReport`.

A table for the terminal, JSON (schema ``readiness-test/1``), Markdown, SARIF, JUnit XML and a
self-contained HTML page. SARIF and HTML are built from ``scan``'s own building blocks
(:mod:`readiness.formats.sarif`, :mod:`readiness.formats.html`): the same log around other
rules, the same page around other rows.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from readiness.formats import sarif
from readiness.formats.control_chars import escape_controls
from readiness.formats.html import render_document, summary_cards, table_columns, verdict_chart
from readiness.formats.junit import xml_text
from readiness.formats.markdown import code_span, table_lines
from readiness.formats.markdown import escape as markdown_escape
from readiness.testrun.model import (
    STARTUP_ID,
    CaseResult,
    CaseVerdict,
    DistributionSummary,
    SuiteReport,
)

SCHEMA = "readiness-test/1"
"""The JSON report's ``schema``: its name and version, changed with any incompatible change."""

VERDICT_STYLES = {
    CaseVerdict.PASSED: "green",
    CaseVerdict.FAILED: "yellow",
    CaseVerdict.GIL_ENABLED: "bold red",
    CaseVerdict.THREAD_UNSAFE: "bold red",
    CaseVerdict.CRASHED: "red",
    CaseVerdict.TIMEOUT: "red",
    CaseVerdict.SKIPPED: "dim",
}
"""How the table colours each verdict."""

VERDICT_COLOURS: Mapping[CaseVerdict, str] = {
    CaseVerdict.GIL_ENABLED: "#d1242f",
    CaseVerdict.THREAD_UNSAFE: "#8250df",
    CaseVerdict.CRASHED: "#bf3989",
    CaseVerdict.TIMEOUT: "#bc4c00",
    CaseVerdict.FAILED: "#d4a72c",
    CaseVerdict.SKIPPED: "#afb8c1",
    CaseVerdict.PASSED: "#1a7f37",
}
"""The HTML page's colour of each verdict (``scan``'s where the words are the same), in the
order the page shows them once the gate's verdicts are put first."""

SARIF_RULES = (
    CaseVerdict.GIL_ENABLED,
    CaseVerdict.THREAD_UNSAFE,
    CaseVerdict.CRASHED,
    CaseVerdict.TIMEOUT,
    CaseVerdict.FAILED,
)
"""The verdicts that can fail the gate (the last only with ``--strict``): a SARIF rule each."""

SARIF_RULE_TEXTS: Mapping[CaseVerdict, tuple[str, str]] = {
    CaseVerdict.GIL_ENABLED: (
        "A test loads a module that re-enables the GIL on free-threaded CPython.",
        "While the test (its collection, fixtures or call) ran, a C extension module that does "
        "not declare free-threading support was imported and switched the GIL back on for the "
        "whole process. The module and its distribution are named; upgrade it or follow the "
        "upstream issue.",
    ),
    CaseVerdict.THREAD_UNSAFE: (
        "A test passes alone and fails when run in several threads at once.",
        "Run alone it passed; run in --threads threads at once it failed, crashed or hung, and "
        "it passed alone again on re-runs: code it exercises relies on the GIL for thread "
        "safety.",
    ),
    CaseVerdict.CRASHED: (
        "A test crashes the free-threaded interpreter.",
        "The test's process died during it (a signal, an abort or an exit); the rest of the "
        "suite ran in a fresh process.",
    ),
    CaseVerdict.TIMEOUT: (
        "A test does not finish on the free-threaded interpreter.",
        "The test did not finish within the time limit (--test-timeout); its process was "
        "killed and the rest of the suite ran in a fresh one.",
    ),
    CaseVerdict.FAILED: (
        "A test fails on its own on the free-threaded interpreter.",
        "The test failed with the GIL off and alone, so its failure says nothing about "
        "threads or the GIL. --strict fails on it.",
    ),
}
"""Each rule's short and full description."""

SARIF_FINGERPRINT_KEY = "readinessTest/v1"
"""The partialFingerprints key of a test's result; its value is stable across runs."""

DETAIL_LINES = 3
"""How many lines of a result's detail the table shows; the JSON report holds all of it."""


def failing(report: SuiteReport, gate: Collection[CaseVerdict]) -> list[CaseResult]:
    """Return the results whose verdict is in ``gate``, in run order."""
    return [result for result in report.results if result.verdict in gate]


def to_json(report: SuiteReport, gate: Collection[CaseVerdict]) -> str:
    """Return the report as a JSON document (schema ``readiness-test/1``)."""
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "project": str(report.project),
        "interpreter": {
            "executable": str(report.interpreter.executable),
            "version": report.interpreter.version_string,
            "abi": report.interpreter.abi_tag,
        },
        "processes": report.run.processes,
        "threads": report.run.threads,
        "reruns": report.run.reruns,
        "warnings": list(report.warnings),
        "summary": {verdict.value: count for verdict, count in report.counts().items()},
        "gate": {
            "fail_on": sorted(verdict.value for verdict in gate),
            "passed": not failing(report, gate),
        },
        "tests": [_result_json(result) for result in report.results],
        "distributions": [
            {
                "name": summary.name,
                "version": str(summary.version) if summary.version is not None else None,
                "modules": list(summary.modules),
                "tests": list(summary.tests),
                "scan_trigger": summary.scan_trigger,
                "lazy": summary.lazy,
                "remedy": summary.remedy,
            }
            for summary in report.distributions
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _result_json(result: CaseResult) -> dict[str, Any]:
    gil = result.gil
    return {
        "id": result.nodeid,
        "verdict": result.verdict.value,
        "phase": gil.phase.value if gil is not None else None,
        "module": gil.module if gil is not None else None,
        "distribution": gil.distribution if gil is not None else None,
        "detail": result.detail or None,
        "process": result.process,
    }


def to_table(report: SuiteReport, gate: Collection[CaseVerdict], *, width: int = 100) -> str:
    """Return the report as a table for the terminal: one row per test, in run order."""
    table = Table(title=f"tests of {report.project.name} on {report.interpreter_name}")
    table.add_column("test", overflow="fold")
    table.add_column("verdict")
    table.add_column("why", overflow="fold")
    for result in report.results:
        style = VERDICT_STYLES[result.verdict]
        marker = " (gate)" if result.verdict in gate else ""
        table.add_row(
            Text(escape_controls(result.nodeid)),
            Text(result.verdict.value + marker, style=style),
            Text(escape_controls(_why(result))),
        )
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system=None, highlight=False)
    console.print(table)
    if report.distributions:
        console.print(_distribution_table(report))
    return buffer.getvalue()


def _distribution_table(report: SuiteReport) -> Table:
    table = Table(title="distributions that switched the GIL on during the tests")
    table.add_column("distribution", overflow="fold")
    table.add_column("modules", overflow="fold")
    table.add_column("at import (scan)")
    table.add_column("remedy", overflow="fold")
    for summary in report.distributions:
        version = f" {summary.version}" if summary.version is not None else ""
        table.add_row(
            Text(escape_controls(f"{summary.name}{version}")),
            Text(escape_controls(", ".join(summary.modules))),
            Text("no: loaded on first use" if summary.lazy else "yes"),
            Text(escape_controls(summary.remedy or "")),
        )
    return table


def _why(result: CaseResult) -> str:
    if result.gil is not None:
        owner = f" ({result.gil.distribution})" if result.gil.distribution else ""
        module = result.gil.module or "an unnamed module"
        return f"{module}{owner} switched the GIL on during {result.gil.phase.value}"
    lines = [line for line in result.detail.splitlines() if line.strip()]
    if result.verdict not in (CaseVerdict.FAILED, CaseVerdict.THREAD_UNSAFE):
        # A crash's or a timeout's first line says how; the traceback is for the JSON report.
        return "\n".join(lines[:1])
    # pytest's "E " lines say what failed; the source lines around them are for the JSON.
    explained = [text for line in lines if line.startswith("E ") and (text := line[1:].strip())]
    heading = lines[:1] if result.verdict is CaseVerdict.THREAD_UNSAFE else []
    return "\n".join(heading + (explained or lines[len(heading) :])[:DETAIL_LINES])


def to_junit(report: SuiteReport, gate: Collection[CaseVerdict]) -> str:
    """Return the report as JUnit XML: one ``<testcase>`` per test, counted as the gate counts.

    A result that fails the gate is a ``<failure type="VERDICT">``; a skipped test, and a
    failed one that the gate lets pass (without ``--strict``), is ``<skipped>`` with its
    verdict first: a CI test view is never redder or greener than the exit code.
    """
    cases = [_junit_case(result, gate) for result in report.results]
    failures = sum(case.find("failure") is not None for case in cases)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(sum(case.find("skipped") is not None for case in cases)),
    }
    root = ET.Element("testsuites", {"name": "readiness test", **counts})
    title = f"readiness test: {report.project.name} on {report.interpreter_name}"
    suite = ET.SubElement(root, "testsuite", {"name": xml_text(title), **counts})
    suite.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _junit_case(result: CaseResult, gate: Collection[CaseVerdict]) -> ET.Element:
    # tests/test_x.py::TestY::test_z: the file is the class name, the rest the case's name.
    path, _, name = result.nodeid.partition("::")
    case = ET.Element("testcase", {"classname": xml_text(path), "name": xml_text(name or path)})
    summary = _why(result).replace("\n", " ") or result.verdict.value
    if result.verdict in gate:
        failure = ET.SubElement(
            case, "failure", {"type": result.verdict.value, "message": xml_text(summary)}
        )
        failure.text = xml_text(result.detail or summary)
    elif result.verdict in (CaseVerdict.SKIPPED, CaseVerdict.FAILED):
        message = f"{result.verdict.value}: {summary}"
        ET.SubElement(case, "skipped", {"message": xml_text(message)})
    return case


def to_markdown(report: SuiteReport, gate: Collection[CaseVerdict]) -> str:
    """Return the report as GitHub-flavoured Markdown: for a pull request or a CI summary.

    Every result that is not a plain pass is a row, gate failures first; passes are counted.
    """
    failed = failing(report, gate)
    counts = ", ".join(f"{count} {verdict.value}" for verdict, count in report.counts().items())
    lines = [
        f"## readiness test: {markdown_escape(report.project.name)} on "
        f"{markdown_escape(report.interpreter_name)}",
        "",
        f"**{'Gate failed' if failed else 'Gate passed'}**: {counts or 'no tests'}, "
        f"in {report.run.processes} processes.",
    ]
    shown = [*failed, *(result for result in report.results if result not in failed)]
    rows = [
        [code_span(result.nodeid), result.verdict.value, markdown_escape(_why(result))]
        for result in shown
        if result.verdict is not CaseVerdict.PASSED
    ]
    if rows:
        lines += ["", *table_lines(("test", "verdict", "why"), rows)]
    if report.distributions:
        lines += [
            "",
            *table_lines(
                ("distribution", "modules", "at import (scan)", "remedy"),
                [
                    [
                        markdown_escape(summary.name),
                        ", ".join(code_span(module) for module in summary.modules),
                        "no: loaded on first use" if summary.lazy else "yes",
                        markdown_escape(summary.remedy or ""),
                    ]
                    for summary in report.distributions
                ],
            ),
        ]
    if report.warnings:
        lines += ["", *(f"- {markdown_escape(warning)}" for warning in report.warnings)]
    return "\n".join(lines) + "\n"


def to_sarif(
    report: SuiteReport, gate: Collection[CaseVerdict], *, base_dir: Path | None = None
) -> str:
    """Return the report as a SARIF 2.1.0 log, as ``scan`` writes one for its blockers.

    A result per test whose verdict fails the gate (``error``), and per test that failed on
    its own while the gate lets that pass (``warning``, as ``scan`` reports what it could not
    judge); passes and skips are not findings. Each result is at the test's file, relative to
    ``base_dir`` (default: the current folder) when it is inside it, with the test id as its
    logical location: pytest's node id names the file, not the line.
    """
    base = (base_dir or Path.cwd()).absolute()
    verdicts = SARIF_RULES + tuple(
        verdict for verdict in CaseVerdict if verdict in gate and verdict not in SARIF_RULES
    )
    index = {verdict: position for position, verdict in enumerate(verdicts)}
    failed = failing(report, gate)
    shown = [
        *failed,
        *(result for result in report.results if result.verdict is CaseVerdict.FAILED),
    ]
    remedies = _remedies(report)
    log = sarif.sarif_log(
        rules=[_sarif_rule(verdict, gate) for verdict in verdicts],
        results=[
            _sarif_result(result, report, gate, index[result.verdict], base, remedies)
            for result in dict.fromkeys(shown)
        ],
        base=base,
        properties={
            "command": "test",
            "project": str(report.project),
            "interpreter": report.interpreter.version_string,
            "abi": report.interpreter.abi_tag,
            "platform": report.interpreter.platform,
            "threads": report.run.threads,
            "reruns": report.run.reruns,
            "processes": report.run.processes,
            "gatePassed": not failed,
        },
    )
    return json.dumps(log, indent=2) + "\n"


def sarif_rule_id(verdict: CaseVerdict) -> str:
    """Return the rule id of a test's ``verdict``: ``readiness-test/gil-enabled``.

    Not ``scan``'s ``readiness/gil-enabled``: a test and a dependency that re-enable the GIL
    are different findings, with different help, in the same code scanning view.
    """
    return f"readiness-test/{verdict.value}"


def _sarif_rule(verdict: CaseVerdict, gate: Collection[CaseVerdict]) -> dict[str, Any]:
    texts = SARIF_RULE_TEXTS.get(
        verdict, (f"A test's verdict is {verdict.value}.", f"--fail-on names {verdict}.")
    )
    level = "error" if verdict in gate else "warning"
    return sarif.rule(sarif_rule_id(verdict), verdict.value, texts, level=level, tags=["tests"])


def _sarif_result(
    result: CaseResult,
    report: SuiteReport,
    gate: Collection[CaseVerdict],
    index: int,
    base: Path,
    remedies: Mapping[str, str],
) -> dict[str, Any]:
    why = _why(result)
    message = f"{result.nodeid}: {result.verdict.value}" + (f": {why}" if why else "")
    message += "" if message.endswith(".") else "."
    owner = result.gil.distribution if result.gil is not None else None
    if owner is not None and owner in remedies:
        message += f" Remedy: {remedies[owner]}."
    sarif_result: dict[str, Any] = {
        "ruleId": sarif_rule_id(result.verdict),
        "ruleIndex": index,
        "level": "error" if result.verdict in gate else "warning",
        # A stranger's text reaches a reader of code scanning: its controls shown, not obeyed.
        "message": {"text": escape_controls(message)},
    }
    if result.nodeid != STARTUP_ID:
        # tests/test_x.py::TestY::test_z; a module or a folder decided at collection has no "::".
        path, _, name = result.nodeid.partition("::")
        sarif_result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": sarif.artifact_location(report.project / path, base)
                },
                "logicalLocations": [
                    {"fullyQualifiedName": result.nodeid, "kind": "function" if name else "module"}
                ],
            }
        ]
    # The test and its verdict, not the module or the line: a test that still switches the GIL
    # on through another module is the same alert; a new verdict is a new one.
    sarif_result["partialFingerprints"] = sarif.fingerprint(
        SARIF_FINGERPRINT_KEY, result.nodeid, result.verdict.value
    )
    gil = result.gil
    sarif_result["properties"] = {
        "test": result.nodeid,
        "verdict": result.verdict.value,
        "phase": gil.phase.value if gil is not None else None,
        "module": gil.module if gil is not None else None,
        "distribution": gil.distribution if gil is not None else None,
        "process": result.process,
    }
    return sarif_result


def _remedies(report: SuiteReport) -> dict[str, str]:
    """Return each distribution's remedy, by name, where the tracker has one."""
    return {summary.name: summary.remedy for summary in report.distributions if summary.remedy}


HTML_COLUMNS = (
    ("Test", "name", "text"),
    ("Verdict", "rank", "number"),
    ("Module", "module", "text"),
    ("Distribution", "distribution", "text"),
    ("Phase", "phase", "text"),
    ("Why", "detail", "text"),
)
"""The HTML table's columns: heading, the ``data-`` key a row is sorted by, how to compare."""


def to_html(report: SuiteReport, gate: Collection[CaseVerdict]) -> str:
    """Return the report as one self-contained HTML page, like ``scan``'s.

    A summary (cards and a bar of the verdicts), the gate, one row per test (what fails the
    gate first, then in run order) with its verdict, module, distribution, phase and why, its
    whole failure folded, and the distributions that switched the GIL on, with remedies.
    """
    order = sorted(VERDICT_COLOURS, key=lambda verdict: verdict not in gate)  # stable
    rank = {verdict: position for position, verdict in enumerate(order)}
    counts = report.counts()
    failed = failing(report, gate)
    alone = [r for r in report.results if r.verdict is CaseVerdict.FAILED and r not in failed]
    outcome = "failed" if failed else "passed"
    remedies = _remedies(report)
    rows = sorted(report.results, key=lambda result: rank[result.verdict])
    return render_document(
        "test.html.j2",
        VERDICT_COLOURS,
        title=f"Tests of {report.project.name} on {report.interpreter_name}",
        badges=[
            {"class": "badge", "words": "test run"},
            {"class": f"badge gate-{outcome}", "words": f"gate {outcome}"},
        ],
        project=str(report.project),
        interpreter={
            "executable": str(report.interpreter.executable),
            "words": report.interpreter_name,
        },
        run=_run_words(report),
        fail_on=[verdict.value for verdict in order if verdict in gate],
        notes=[{"level": "warning", "text": warning} for warning in report.warnings],
        cards=summary_cards(
            [
                ("total", len(report.results), "tests"),
                ("blocking" if failed else "clear", len(failed), "fail the gate"),
                ("unsure" if alone else "clear", len(alone), "failed alone (--strict fails)"),
                ("clear", counts.get(CaseVerdict.PASSED, 0), "passed"),
            ]
        ),
        **verdict_chart(
            {verdict: counts.get(verdict, 0) for verdict in order},
            VERDICT_COLOURS,
            nothing="no tests",
        ),
        columns=table_columns(HTML_COLUMNS),
        rows=[
            _html_row(number, result, rank[result.verdict], gate, remedies)
            for number, result in enumerate(rows, start=1)
        ],
        distributions=[_html_summary(summary) for summary in report.distributions],
    )


def _run_words(report: SuiteReport) -> str:
    run = report.run
    words = f"{run.processes} process{'es' if run.processes != 1 else ''}; each test alone"
    if run.threads > 1:
        words += (
            f", then in {run.threads} threads at once; a test that failed only there ran "
            f"alone {run.reruns} times more"
        )
    return words


def _html_row(
    number: int,
    result: CaseResult,
    rank: int,
    gate: Collection[CaseVerdict],
    remedies: Mapping[str, str],
) -> dict[str, Any]:
    gil = result.gil
    module = (gil.module or "") if gil is not None else ""
    distribution = (gil.distribution or "") if gil is not None else ""
    phase = gil.phase.value if gil is not None else ""
    why = _why(result)
    return {
        "number": number,
        "id": result.nodeid,
        "verdict": result.verdict.value,
        "rank": rank,
        "gate": result.verdict in gate,
        "module": module,
        "distribution": distribution,
        "phase": phase,
        "why": why,
        "why_key": why.lower(),
        "detail": result.detail,
        "process": result.process,
        "remedy": remedies.get(distribution),
        "search": " ".join(
            [result.nodeid, result.verdict.value, module, distribution, phase, why]
        ).lower(),
    }


def _html_summary(summary: DistributionSummary) -> dict[str, Any]:
    return {
        "name": summary.name,
        "version": str(summary.version) if summary.version is not None else "",
        "modules": list(summary.modules),
        "tests": list(summary.tests),
        "at_import": "no: loaded on first use" if summary.lazy else "yes",
        "remedy": summary.remedy,
    }
