"""Every report format of readiness test, written in one real run, tells the same verdicts.

One run of the formats project (a verdict of each kind, and hostile text) with --threads 4
writes the table to stdout and every other format to its file; each is read back here.
"""

from __future__ import annotations

import functools
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

# jsonschema ships no type information and its stubs are not a test dependency.
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from readiness._cli import main
from readiness.formats.control_chars import escape_controls
from tests.formats.test_agreement import NONSENSE_DESTINATIONS, from_junit, from_sarif
from tests.formats.test_html import Page
from tests.formats.test_html_browser import _chromium, _run_chromium
from tests.formats.test_markdown import table_rows
from tests.formats.test_sarif import SCHEMA
from tests.samples import raw_controls
from tests.testrun.conftest import (
    PROJECTS,
    CommandRun,
    offline_environment,
    run_test_command,
)

GIL_TEST = "tests/check_gil.py::test_loads_ft_gil"
RACE_TEST = "tests/check_kinds.py::test_shared_tally"
HOSTILE_TEST = "tests/check_kinds.py::test_fails_with_hostile_text"
MARKUP_TEST = "tests/check_kinds.py::test_markup_in_the_id[<b>x</b>&amp;]"

EXPECTED = {
    GIL_TEST: "gil-enabled",
    "tests/check_kinds.py::test_passes": "passed",
    MARKUP_TEST: "passed",
    HOSTILE_TEST: "failed",
    "tests/check_kinds.py::test_skipped": "skipped",
    RACE_TEST: "thread-unsafe",
}
"""Every test of the formats project and its verdict with --threads 4."""

HOSTILE = "\x1b[31mred\x1b[0m <script>alert(1)</script> \u202eevil & <b>bold</b>"
"""The failure message of HOSTILE_TEST (tests/assets/testrun/formats/tests/check_kinds.py)."""

FILES = {"json": "report.json", "sarif": "report.sarif", "junit": "report.xml"}
FILES |= {"markdown": "report.md", "html": "report.html"}
"""Each format written to a file, and the file's name; the table goes to stdout."""

Verdicts = dict[str, str]
"""Each test id's verdict, as a format tells it."""


@dataclass(frozen=True)
class FormatsRun:
    """The formats project's run, and every report it wrote."""

    command: CommandRun
    reports: dict[str, str]
    """Each format's text; ``table`` is stdout."""


@pytest.fixture(scope="module")
def formats_run(
    freethreaded_python: Path,
    suite_wheelhouse: Path,
    test_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> FormatsRun:
    """One real run of the formats project, every format written at once."""
    folder = tmp_path_factory.mktemp("reports")
    formats = [f"--format={kind}={folder / name}" for kind, name in FILES.items()]
    command = run_test_command(
        "formats",
        "--threads",
        "4",
        "--format",
        "table",
        *formats,
        python=freethreaded_python,
        cache=test_cache,
        env=offline_environment(suite_wheelhouse, os.environ),
    )
    reports = {kind: (folder / name).read_text(encoding="utf-8") for kind, name in FILES.items()}
    return FormatsRun(command, {"table": command.stdout, **reports})


def from_json(text: str) -> Verdicts:
    return {test["id"]: test["verdict"] for test in json.loads(text)["tests"]}


def from_table(text: str) -> Verdicts:
    """Read the test table's rows; a long id or verdict folds onto the next lines."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("│")][1:-1]
        if len(cells) != 3:
            continue  # a rule, or the distributions' table
        if cells[0].startswith("tests/"):
            rows.append(cells[:2])
        elif rows:
            rows[-1][0] += cells[0]
            rows[-1][1] += f" {cells[1]}"
    return {test: verdict.split()[0] for test, verdict in rows}


def from_markdown(text: str) -> Verdicts:
    verdicts = set(EXPECTED.values())
    return {row[0].strip("`"): row[1] for row in table_rows(text) if row[1] in verdicts}


def case_test(case: ET.Element) -> str:
    """Return the test id of a JUnit case of readiness test: its class name is the file."""
    return f"{case.get('classname')}::{case.get('name')}"


def from_html(text: str) -> Verdicts:
    page = Page(text)
    return {
        str(attrs["data-name"]): str(attrs["data-verdict"])
        for attrs in page.all("tbody")
        if (attrs.get("id") or "").startswith("test-")
    }


PARSERS: dict[str, Callable[[str], Verdicts]] = {
    "table": from_table,
    "json": from_json,
    "markdown": from_markdown,
    "sarif": functools.partial(from_sarif, subject="test", rules="readiness-test"),
    "junit": functools.partial(from_junit, subject=case_test),
    "html": from_html,
}


@pytest.mark.network
@pytest.mark.freethreaded
def test_every_format_tells_every_verdict_alike(formats_run: FormatsRun) -> None:
    assert from_json(formats_run.reports["json"]) == EXPECTED, formats_run.command.stderr
    assert formats_run.command.returncode == 1
    # Every format the command line offers is checked: a new one needs a parser here.
    from readiness._arguments import TestFormat

    assert set(PARSERS) == {choice.value for choice in TestFormat} == set(formats_run.reports)
    told = {kind: PARSERS[kind](text) for kind, text in formats_run.reports.items()}
    shown = {
        # Markdown rows are what did not pass; SARIF results what the gate fails, and the
        # failures it lets pass (as warnings).
        "markdown": {test: v for test, v in EXPECTED.items() if v != "passed"},
        "sarif": {test: v for test, v in EXPECTED.items() if v not in ("passed", "skipped")},
    }
    for kind, verdicts in told.items():
        assert verdicts == shown.get(kind, EXPECTED), kind


@pytest.mark.network
@pytest.mark.freethreaded
def test_sarif_is_valid_and_names_the_gil_enabled_and_thread_unsafe_tests(
    formats_run: FormatsRun,
) -> None:
    document: dict[str, Any] = json.loads(formats_run.reports["sarif"])
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], errors[0].message if errors else ""

    run = document["runs"][0]
    results = {result["properties"]["test"]: result for result in run["results"]}
    gil = results[GIL_TEST]
    assert (gil["ruleId"], gil["level"]) == ("readiness-test/gil-enabled", "error")
    assert "ft_gil._core (ft-gil) switched the GIL on during call" in gil["message"]["text"]
    assert (gil["properties"]["module"], gil["properties"]["distribution"]) == (
        "ft_gil._core",
        "ft-gil",
    )
    # The test's file, relative to where readiness ran (this checkout's root), and its id.
    [location] = gil["locations"]
    project = PROJECTS.relative_to(Path.cwd()) / "formats"
    assert location["physicalLocation"]["artifactLocation"] == {
        "uri": f"{project.as_posix()}/tests/check_gil.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["logicalLocations"] == [{"fullyQualifiedName": GIL_TEST, "kind": "function"}]
    race = results[RACE_TEST]
    assert (race["ruleId"], race["level"]) == ("readiness-test/thread-unsafe", "error")
    assert "in 4 threads, failed" in race["message"]["text"]
    # Failed alone: the gate lets it pass, so it is a warning, as scan's inconclusive are.
    hostile = results[HOSTILE_TEST]
    assert hostile["level"] == "warning"
    assert escape_controls(HOSTILE) in hostile["message"]["text"]
    assert raw_controls(hostile["message"]["text"]) == []
    assert run["properties"]["gatePassed"] is False
    assert (run["properties"]["threads"], run["properties"]["reruns"]) == (4, 2)


@pytest.mark.network
@pytest.mark.freethreaded
def test_html_shows_hostile_text_escaped_and_every_verdict(formats_run: FormatsRun) -> None:
    text = formats_run.reports["html"]
    page = Page(text)

    assert raw_controls(text) == []
    assert "<script>alert" not in text
    assert "<b>" not in text
    assert len(page.all("script")) == 1
    assert page.all("b") == []
    # The failure is shown whole in its row's details, its controls as escapes.
    assert escape_controls(HOSTILE) in page.all_text
    assert page.all("tbody", **{"data-name": MARKUP_TEST})
    assert MARKUP_TEST in page.all_text
    badges = re.findall(r'<span class="verdict v-([a-z-]+)">([a-z-]+)</span>', text)
    assert {verdict for verdict, words in badges if verdict == words} >= set(EXPECTED.values())
    assert "gate failed" in page.all_text
    # The distribution that switched the GIL on, with its module and the test that found it.
    assert page.all("tr", id="dist-ft-gil")
    assert "ft_gil._core" in page.all_text
    (meta,) = page.all("meta", **{"http-equiv": "Content-Security-Policy"})
    assert "default-src 'none'" in str(meta["content"])


@pytest.mark.network
@pytest.mark.freethreaded
def test_the_page_script_runs_in_a_real_browser(formats_run: FormatsRun, tmp_path: Path) -> None:
    chromium = _chromium()
    page = tmp_path / "tests.html"
    page.write_text(formats_run.reports["html"], encoding="utf-8")
    dom = Page(_run_chromium(chromium, tmp_path / "profile", page, "--dump-dom"))

    # scan's script, on the test page: the sortable table, the toolbar, every row counted.
    assert dom.all("table", id="tests", **{"data-sortable": "ready"})
    (toolbar,) = dom.all("div", id="toolbar")
    assert "hidden" not in toolbar
    assert f"{len(EXPECTED)} of {len(EXPECTED)} shown" in dom.all_text
    names = [attrs["data-name"] for attrs in dom.all("tbody") if "data-name" in attrs]
    assert sorted(str(name) for name in names) == sorted(EXPECTED)


def test_the_test_template_marks_nothing_safe_itself() -> None:
    template = resources.files("readiness.formats").joinpath("_html", "test.html.j2")
    text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.DOTALL)

    assert "|safe" not in text.replace(" ", "")
    assert "|join" not in text.replace(" ", "")
    assert "autoescape false" not in text


@pytest.mark.parametrize(
    ("options", "message"),
    [
        *NONSENSE_DESTINATIONS,
        (["--format", "html=no/such/folder/r.html"], "no/such/folder does not exist"),
    ],
)
def test_every_destination_is_checked_before_the_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    # Refused before any interpreter is looked for: --python names none that exists.
    command = ["test", str(PROJECTS / "formats"), "--python", str(tmp_path / "none")]

    assert main([*command, "--cache-dir", str(tmp_path / "cache"), *options]) == 2
    assert message in capsys.readouterr().err
    assert list(work.iterdir()) == []
