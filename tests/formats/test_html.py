from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
import subprocess
import sys
from datetime import date
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._cli import FormatChoice
from readiness.evidence.interface import Evidence, IndexEvidence, Remedy, TrackerRecord, WheelKind
from readiness.formats.control_chars import escape_controls
from readiness.formats.html import HtmlFormat, page_title
from readiness.policy import Allowance, Policy, PolicyOutcome
from readiness.probe.interface import ImportStatus
from readiness.report import DistributionReport, Report, TrackerSnapshotInfo, Verdict
from readiness.sources.interface import Origin
from tests.samples import HOSTILE_NAME as SAMPLE_HOSTILE_NAME
from tests.samples import (
    HOSTILE_TEXT,
    failed,
    hostile_report,
    interpreter,
    name,
    raw_controls,
    sample_report,
)

HOSTILE_NAME = NormalizedName('<script>alert("name")</script>&amp;')
HOSTILE_REASON = "it said <b>bold</b> & \"quoted\" 'single'"
HOSTILE_ERROR = "ImportError: cannot import name '<x>' from \"y\" & z"
HOSTILE_WARNING = "<img src=x onerror=alert(1)> & friends"
ISSUE_URL = "https://example.invalid/speedy/issues/1?a=1&b=2"
REMEDY_URL = "https://example.invalid/pillowish/pull/7"


def audit_report() -> Report:
    """The sample report, with evidence, a tracker snapshot, warnings and hostile text."""
    report = sample_report()
    speedy_tracker = TrackerRecord(
        display_name="Speedy <C>",
        distributions=(name("speedy"),),
        issue_url=ISSUE_URL,
        tested_in_ci=True,
        release_on_index=True,
        first_version="0.9",
        nightly_wheels=False,
        nightly_url=None,
        notes=("needs <care> & attention",),
    )
    evidence = {
        "speedy": Evidence(
            tracker=speedy_tracker,
            index=IndexEvidence(
                wheel=WheelKind.FREE_THREADED_WHEEL,
                classifier="Programming Language :: Python :: Free Threading :: 2 - Beta",
                classifier_of=Version("1.0"),
                latest=Version("1.2"),
            ),
            remedy=Remedy(
                text="no release with cp313t wheels yet; follow the issue",
                upgrade_to=None,
                url=ISSUE_URL,
            ),
        ),
        "pillowish": Evidence(
            tracker=dataclasses.replace(
                speedy_tracker,
                display_name="Pillowish",
                distributions=(name("pillowish"),),
                # A tampered snapshot: this must never become a link.
                issue_url="javascript:alert(1)",
                first_version="2.1",
                notes=(),
            ),
            index=IndexEvidence(
                wheel=WheelKind.SOURCE_BUILD_REQUIRED,
                yanked=True,
                yanked_reason="broken <build>",
                first_free_threaded=Version("2.1"),
                latest=Version("2.3"),
            ),
            remedy=Remedy(
                text="upgrade pillowish 2.0 -> 2.1, the first release with cp313t wheels",
                upgrade_to=Version("2.1"),
                url=REMEDY_URL,
            ),
        ),
        "fine": Evidence(tracker=None, index=IndexEvidence(wheel=WheelKind.PURE)),
        "nowheel": Evidence(
            tracker=None,
            index=IndexEvidence(wheel=WheelKind.UNKNOWN, unavailable="the index said 503"),
        ),
    }
    disagreements = {
        "speedy": ("the index has cp313t wheels for 1.0, yet its extension re-enabled the GIL",),
        "pillowish": ("the tracker says supported since 2.1; 2.0 is older",),
    }
    distributions = [
        dataclasses.replace(
            dist,
            evidence=evidence.get(dist.name),
            disagreements=disagreements.get(dist.name, ()),
        )
        for dist in report.distributions
    ]
    distributions.append(
        DistributionReport(
            name=HOSTILE_NAME,
            version=Version("6.6.6"),
            verdict=Verdict.IMPORT_ERROR,
            direct=True,
            origin=Origin(Path('req<"&>.txt'), line=12),
            reason=HOSTILE_REASON,
            modules=(failed("evil", "evil", ImportStatus.ERROR, HOSTILE_ERROR),),
        )
    )
    return dataclasses.replace(
        report,
        distributions=tuple(distributions),
        inputs=(Path("requirements.txt"), Path('req<"&>.txt')),
        warnings=(HOSTILE_WARNING,),
        tracker=TrackerSnapshotInfo(
            source="data/tracker.json (shipped)", taken=date(2025, 5, 1), age_days=45
        ),
        timings={"collect": 0.01, "install": 2.5, "probe": 1.5},
    )


class Page(HTMLParser):
    """The parts of a page the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))
        if tag in self.raw:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.raw[self._in].append(data)
        else:
            self.text.append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        """Return the attributes of every ``tag`` whose attributes include ``wanted``."""
        return [
            attrs
            for name, attrs in self.starts
            if name == tag and all(attrs.get(key) == value for key, value in wanted.items())
        ]

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def render(report: Report, gate: PolicyOutcome | None = None) -> tuple[str, Page]:
    text = HtmlFormat(gate=gate).render(report)
    return text, Page(text)


def test_every_distribution_is_in_the_table_once_blockers_first() -> None:
    report = audit_report()
    _, page = render(report)

    rows = [attrs for attrs in page.all("tbody") if "data-name" in attrs]
    names = [attrs["data-name"] for attrs in rows]
    assert sorted(names, key=str) == sorted((d.name for d in report.distributions), key=str)
    assert len(set(names)) == len(names)
    assert names[:2] == ["pillowish", "speedy"]
    assert names[-1] == "winonly"
    assert [attrs["data-verdict"] for attrs in rows][2:5] == [
        "not-installable",
        "crashed",
        "timeout",
    ]
    # One details element per distribution.
    assert len(page.all("details")) == len(report.distributions)


def test_every_value_from_the_report_is_escaped() -> None:
    text, page = render(audit_report())

    assert len(page.all("script")) == 1
    assert len(page.all("img")) == 0
    assert "<b>" not in text
    assert "<x>" not in text
    assert "<script>alert" not in text
    for value in (HOSTILE_NAME, HOSTILE_REASON, HOSTILE_ERROR, HOSTILE_WARNING, 'req<"&>.txt'):
        assert value in page.all_text, value
    assert page.all("tbody", **{"data-name": HOSTILE_NAME})


def test_no_external_resource_and_only_explicit_links() -> None:
    _, page = render(audit_report())

    for tag, attrs in page.starts:
        assert "src" not in attrs, tag
        assert tag != "link"
        href = attrs.get("href")
        if href is not None:
            assert tag == "a"
            assert href.startswith("#") or href in (ISSUE_URL, REMEDY_URL), href
    links = {attrs["href"] for attrs in page.all("a")}
    assert {ISSUE_URL, REMEDY_URL} <= links
    assert not any(str(href).startswith("javascript:") for href in links)
    assert "javascript:alert(1)" in page.all_text
    style = "".join(page.raw["style"])
    assert "url(" not in style
    assert "@import" not in style
    assert "http" not in "".join(page.raw["script"])
    assert "http" not in style


def test_the_content_security_policy_allows_only_the_inline_style_and_script() -> None:
    _, page = render(audit_report())

    (meta,) = page.all("meta", **{"http-equiv": "Content-Security-Policy"})
    policy = str(meta["content"])
    assert "default-src 'none'" in policy

    def digest(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"'sha256-{digest(''.join(page.raw['style']))}'" in policy
    assert f"'sha256-{digest(''.join(page.raw['script']))}'" in policy


def test_the_header_names_the_interpreter_inputs_and_tracker_snapshot() -> None:
    _, page = render(audit_report())
    text = page.all_text

    assert "GIL readiness on CPython 3.13.5 free-threaded (cp313t, linux-x86_64)" in text
    assert "requirements.txt" in text
    assert "(requirements)" in text
    assert "taken 2025-05-01" in text
    assert "45 days old" in text
    assert page.all("span", **{"class": "stale"})
    assert "install 2.50 s" in text
    assert "3 child interpreters" in text
    # Warnings come before the summary.
    assert text.index(HOSTILE_WARNING) < text.index("Summary")


def test_a_static_scan_on_a_synthesized_target_says_so() -> None:
    synthetic = dataclasses.replace(interpreter(), synthetic=True)
    report = dataclasses.replace(
        sample_report(), interpreter=synthetic, static=True, distributions=()
    )

    title = page_title(report)
    _, page = render(report)

    assert title.startswith("Static scan on a synthesized free-threaded CPython 3.13t")
    assert "(cp313t, linux-x86_64)" in title
    assert "a wheel does not prove that the GIL stays off" in page.all_text
    warned = dataclasses.replace(report, warnings=("static scan: said by the scan",))
    assert "does not prove" not in render(warned)[1].all_text
    assert "synthesized target" in page.all_text
    assert "No distributions." in page.all_text


def test_the_summary_chart_has_one_colour_per_verdict_and_counts() -> None:
    _, page = render(audit_report())

    bars = page.all("rect")
    charted = {attrs["data-verdict"]: attrs["fill"] for attrs in bars if "data-verdict" in attrs}
    assert set(charted) == {
        "gil-enabled",
        "not-installable",
        "crashed",
        "timeout",
        "import-error",
        "ready",
        "skipped",
    }
    assert len(set(charted.values())) == len(charted)
    (chart,) = page.all("svg", role="img")
    assert "2 gil-enabled" in str(chart["aria-label"])
    assert "2 import-error" in str(chart["aria-label"])
    checkboxes = page.all("input", type="checkbox")
    assert {attrs["data-verdict"] for attrs in checkboxes} == set(charted)


def test_details_hold_modules_culprits_evidence_remedy_and_disagreements() -> None:
    text, page = render(audit_report())
    start = text.index('id="dist-speedy"')
    words = Page(text[start : text.index("</tbody>", start)]).all_text

    assert "speedy._core reached through speedy" in words
    assert "RuntimeWarning named it" in words
    assert "importing it enables the GIL: speedy._core does not declare support" in words
    assert "a wheel for cp313t" in words
    assert "Free Threading :: 2 - Beta (from 1.0)" in words
    assert "no release with cp313t wheels yet" in words
    assert "yet its extension re-enabled the GIL" in words
    assert "needs <care> & attention" in words
    assert "Speedy <C>" in words
    assert "built from source" in words
    assert re.search(r"speedy\._core\s*extension\s*ok\s*10 ms", words)

    all_text = page.all_text
    assert "yes: broken <build>" in all_text
    assert "unavailable: the index said 503" in all_text
    assert "not tracked" in all_text
    assert "pure-Python wheels only" in all_text
    assert "the tracker says supported since 2.1; 2.0 is older" in all_text
    assert "killed by SIGSEGV" in all_text
    # imageapp loads pillowish's culprit, and links to that distribution.
    assert page.all("a", href="#dist-pillowish")


def test_without_evidence_there_is_no_remedy_column() -> None:
    _, page = render(sample_report())

    keys = [attrs["data-key"] for attrs in page.all("th") if "data-key" in attrs]
    assert "remedy" not in keys
    assert "Tracker snapshot" in page.all_text
    assert "none read" in page.all_text


def test_the_format_choice_builds_it() -> None:
    assert isinstance(FormatChoice("html").to_format(color=False), HtmlFormat)


def test_the_gate_decision_is_shown_and_allowed_blockers_say_so() -> None:
    report = audit_report()
    allow = (
        Allowance(name=name("segv"), reason="only in <tests>", until=date(2099, 1, 1)),
        Allowance(name=name("gone"), reason="stale"),
    )
    gate = Policy.from_options(None, strict=False, allow=allow).evaluate(report)

    _, page = render(report, gate)

    assert "gate failed" in page.all_text
    assert page.all("tbody", **{"data-name": "segv", "data-gate": "allowed"})
    assert page.all("tbody", **{"data-name": "speedy", "data-gate": "failed"})
    assert not page.all("tbody", **{"data-name": "fine", "data-gate": "failed"})
    assert "allowed until 2099-01-01: only in <tests>" in page.all_text
    assert "stale allowance: gone" in page.all_text
    assert "fail the gate" in page.all_text
    assert "allowed or in the baseline" in page.all_text


def test_a_passing_gate_says_so() -> None:
    report = dataclasses.replace(sample_report(), distributions=())
    gate = Policy.from_options(None, strict=False).evaluate(report)

    _, page = render(report, gate)

    assert "gate passed" in page.all_text


def test_control_characters_are_shown_escaped_and_markup_stays_text() -> None:
    text, page = render(hostile_report())

    assert raw_controls(text) == []
    assert page.all("img") == []
    assert "<b>bold</b>" not in text
    assert escape_controls(HOSTILE_TEXT) in page.all_text
    assert escape_controls(SAMPLE_HOSTILE_NAME) in page.all_text
    # Attributes too: the row's name, and its anchor.
    assert page.all("tbody", **{"data-name": escape_controls(SAMPLE_HOSTILE_NAME)})


def test_the_command_line_starts_without_jinja2() -> None:
    # The page's template engine loads when an HTML report is rendered, not before.
    code = (
        "import sys, readiness._cli, readiness.formats.html; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'markupsafe')))"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )

    assert completed.stdout.strip() == "[]"


def test_the_template_marks_nothing_safe_itself() -> None:
    # Only html.py's own style and script are Markup; |safe or a |join would mark a stranger's
    # text as markup, or skip the control-character escapes.
    template = resources.files("readiness.formats").joinpath("_html", "report.html.j2")
    text = template.read_text(encoding="utf-8")
    without_comments = re.sub(r"\{#.*?#\}", "", text, flags=re.DOTALL)

    assert "|safe" not in without_comments.replace(" ", "")
    assert "|join" not in without_comments.replace(" ", "")
    assert "autoescape false" not in without_comments
    assert "<style>{{ style }}</style>" in text
    assert "<script>{{ script }}</script>" in text
