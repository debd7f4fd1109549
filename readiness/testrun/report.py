"""The test run's report, as JSON and as a terminal table, from one :class:`SuiteReport`."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Collection
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from readiness.formats.control_chars import escape_controls
from readiness.formats.junit import xml_text
from readiness.formats.markdown import code_span, table_lines
from readiness.formats.markdown import escape as markdown_escape
from readiness.testrun.model import CaseResult, CaseVerdict, SuiteReport

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
