"""Every format, parsed back, tells the same verdict for every distribution."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from packaging.version import Version

from readiness._cli import FormatChoice, main
from readiness.policy import Policy, PolicyOutcome
from readiness.report import DistributionReport, Report, Verdict
from readiness.sources.interface import Origin
from tests.formats.test_junit import parse as parse_junit
from tests.formats.test_markdown import table_rows
from tests.samples import REQUIREMENTS, name, sample_report

Verdicts = dict[str, str]
"""Each distribution's verdict, as a format tells it."""


def static_report() -> Report:
    """Return a static scan's report with every static verdict."""
    verdicts = [
        ("fast", Verdict.FREE_THREADED_WHEEL),
        ("plain", Verdict.PURE),
        ("compiled", Verdict.SOURCE_BUILD_REQUIRED),
        ("stuck", Verdict.NO_FREE_THREADED_WHEEL),
        ("mystery", Verdict.UNKNOWN),
        ("winonly", Verdict.SKIPPED),
    ]
    dists = tuple(
        DistributionReport(
            name=name(dist),
            version=Version("1.0"),
            verdict=verdict,
            direct=True,
            origin=Origin(REQUIREMENTS, line=line),
            reason=None if verdict is Verdict.PURE else f"the index says {verdict.value}",
        )
        for line, (dist, verdict) in enumerate(verdicts, start=1)
    )
    return dataclasses.replace(
        sample_report(), distributions=dists, static=True, installer="none", timings={}
    )


def from_json(text: str) -> Verdicts:
    return {d["name"]: d["verdict"] for d in json.loads(text)["distributions"]}


def from_table(text: str) -> Verdicts:
    found = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.split("│")]
        if len(cells) > 3 and cells[1]:
            found[cells[1]] = cells[3].removesuffix(" (allowed)")
    return found


def from_markdown(text: str) -> Verdicts:
    return {row[0].strip("`"): row[2] for row in table_rows(text)}


def from_sarif(text: str, *, subject: str = "distribution", rules: str = "readiness") -> Verdicts:
    """SARIF has a result for each blocker only: it must name exactly those, each rightly.

    ``subject`` is the result's property that names what it is about, ``rules`` the prefix of
    the rule ids (readiness test's are ``test`` and ``readiness-test``).
    """
    run = json.loads(text)["runs"][0]
    descriptors = run["tool"]["driver"]["rules"]
    found = {}
    for result in run["results"]:
        verdict = result["properties"]["verdict"]
        assert result["ruleId"] == descriptors[result["ruleIndex"]]["id"] == f"{rules}/{verdict}"
        found[result["properties"][subject]] = verdict
    return found


def case_distribution(case: ET.Element) -> str:
    """Return the distribution a JUnit case of scan is about: its name without the version."""
    return (case.get("name") or "").split()[0]


def from_junit(text: str, *, subject: Callable[[ET.Element], str] = case_distribution) -> Verdicts:
    """JUnit names the verdict of what fails and of what it skips; the rest passes.

    ``subject`` names what a case is about.
    """
    found = {}
    for case in parse_junit(text).iter("testcase"):
        dist = subject(case)
        failure, skipped = case.find("failure"), case.find("skipped")
        if failure is not None:
            found[dist] = failure.get("type") or ""
        elif skipped is not None:
            found[dist] = re.split(r"[ :,]", skipped.get("message") or "")[0]
        else:
            found[dist] = "passed"
    return found


class _HtmlRows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: Verdicts = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        identifier, classes = attributes.get("id") or "", (attributes.get("class") or "").split()
        if tag == "tbody" and identifier.startswith("dist-"):
            verdicts = [c.removeprefix("v-") for c in classes if c.startswith("v-")]
            self.found[identifier.removeprefix("dist-")] = verdicts[0]


def from_html(text: str) -> Verdicts:
    parser = _HtmlRows()
    parser.feed(text)
    return parser.found


PARSERS: dict[str, Callable[[str], Verdicts]] = {
    "json": from_json,
    "table": from_table,
    "markdown": from_markdown,
    "sarif": from_sarif,
    "junit": from_junit,
    "html": from_html,
}


def expected(report: Report, gate: PolicyOutcome, choice: FormatChoice) -> Verdicts:
    """Return what ``choice`` must tell of each distribution."""
    truth: Verdicts = {dist.name: dist.verdict.value for dist in report.distributions}
    if choice is FormatChoice("sarif"):
        reported = {d.name for d in (*gate.blockers, *gate.inconclusive)}
        return {n: v for n, v in truth.items() if n in reported}
    if choice is FormatChoice("junit"):
        told = {d.name for d in (*gate.blockers, *gate.inconclusive)}
        return {
            n: v if n in told or v == Verdict.SKIPPED.value else "passed" for n, v in truth.items()
        }
    return truth


@pytest.mark.parametrize("report", [sample_report(), static_report()], ids=["probe", "static"])
@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_every_format_tells_every_verdict_alike(report: Report, strict: bool) -> None:
    gate = Policy.from_options(None, strict=strict, static=report.static).evaluate(report)
    # Every format the command line offers is checked: a new one needs a parser here.
    assert set(PARSERS) >= {choice.value for choice in FormatChoice}

    for choice in FormatChoice:
        text = choice.to_format(color=False, width=200, gate=gate).render(report)
        told = PARSERS[choice.value](text)
        assert told == expected(report, gate, choice), choice.value


def test_the_static_report_has_blockers_in_every_format() -> None:
    report = static_report()
    gate = Policy.from_options(None, strict=False, static=True).evaluate(report)

    assert [d.name for d in gate.failed] == ["stuck"]
    assert {d.name for d in gate.inconclusive} == {"compiled", "mystery"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A pinned requirements file, scanned statically and offline: fast, and no network."""
    (tmp_path / "requirements.txt").write_text("six==1.16.0\n")
    monkeypatch.chdir(tmp_path)
    return ["scan", "requirements.txt", "--static", "--offline", "--cache-dir", str(tmp_path)]


def test_several_formats_in_one_run_each_to_its_file(
    project: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    formats = ["table", "sarif=out/report.sarif", "json=report.json", "markdown=r.md"]
    # readiness creates no folder for a report: the user makes `out` (tests/test_destination.py).
    (tmp_path / "out").mkdir()
    code = main([*project, *(f"--format={spec}" for spec in formats), "--format", "junit=r.xml"])
    stdout = capsys.readouterr().out

    assert code == 0
    assert from_table(stdout) == {"six": "unknown"}
    told = {
        "json": from_json((tmp_path / "report.json").read_text()),
        "sarif": from_sarif((tmp_path / "out" / "report.sarif").read_text()),
        "markdown": from_markdown((tmp_path / "r.md").read_text()),
        "junit": from_junit((tmp_path / "r.xml").read_text()),
    }
    assert told == {kind: {"six": "unknown"} for kind in told}
    assert not list(tmp_path.rglob("*.tmp"))


def test_one_format_still_goes_to_stdout_or_output(
    project: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*project, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["distributions"][0]["verdict"] == "unknown"

    assert (
        main([*project, "--format", "junit", "--output", "r.xml", "--format", "json=r.json"]) == 0
    )
    assert capsys.readouterr().out == ""
    assert from_junit((tmp_path / "r.xml").read_text()) == {"six": "unknown"}
    assert json.loads((tmp_path / "r.json").read_text())["mode"] == "static"


NONSENSE_DESTINATIONS = [
    (["--format", "table", "--format", "json"], "table and json have no destination"),
    (["--format", "json=a.json", "--format", "sarif=a.json"], "two reports would be written"),
    (["--format", "sarif="], "names no file"),
    (["--format", "yaml"], "'yaml' is not a format"),
    (["--format", "sarif=a.sarif", "-o", "b.txt"], "--output is where the format without"),
]
"""Format options that make no sense, and what the usage error says (scan and test alike)."""


@pytest.mark.parametrize(("options", "message"), NONSENSE_DESTINATIONS)
def test_format_destinations_that_make_no_sense_are_usage_errors(
    project: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    assert main([*project, *options]) == 2
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("[ab].*"))
