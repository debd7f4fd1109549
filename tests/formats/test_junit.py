from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from readiness.formats.junit import JunitFormat
from readiness.policy import Allowance, Policy
from tests.samples import name, sample_report


def parse(text: str) -> ET.Element:
    """Parse the document from bytes, as CI systems read the file."""
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode())  # noqa: S314 -- our own output, not untrusted input


def test_one_case_per_distribution_and_counts_that_match() -> None:
    root = parse(JunitFormat().render(sample_report()))
    suites = root.findall("testsuite")
    assert root.tag == "testsuites"
    assert len(suites) == 1
    cases = suites[0].findall("testcase")

    for element in (root, suites[0]):
        assert int(element.get("tests", "")) == len(cases) == 10
        assert int(element.get("failures", "")) == sum(c.find("failure") is not None for c in cases)
        assert int(element.get("skipped", "")) == sum(c.find("skipped") is not None for c in cases)
        assert element.get("errors") == "0"
        assert float(element.get("time", "")) >= 0
    by_name = {case.get("name"): case for case in cases}
    speedy = by_name["speedy 1.0"]
    assert speedy.get("classname") == "requirements.txt"
    failure = speedy.find("failure")
    assert failure is not None
    assert failure.get("type") == "gil-enabled"
    assert "speedy._core" in (failure.get("message") or "")
    assert "declared: requirements.txt:1" in (failure.text or "")
    assert {case.get("name") for case in cases if case.find("failure") is not None} == {
        "speedy 1.0",
        "pillowish 2.0",
        "nowheel 1.0",
        "segv 1.0",
        "slow 1.0",
    }
    broken = by_name["broken 1.0"].find("skipped")
    assert broken is not None
    assert (broken.get("message") or "").startswith("import-error (inconclusive): ")
    winonly = by_name["winonly 1.0"].find("skipped")
    assert winonly is not None
    assert (winonly.get("message") or "").startswith("skipped: marker")
    assert list(by_name["fine 1.0"]) == []
    # A transitive distribution is reported under the input file that pulled it in.
    assert by_name["helper 0.1"].get("classname") == "requirements.txt"


def test_failures_follow_the_gate() -> None:
    report = sample_report()
    strict = Policy.from_options(None, strict=True).evaluate(report)
    allowed = Policy(allow=(Allowance(name=name("speedy"), reason="fixed in 2.0"),))
    strict_root = parse(JunitFormat(strict).render(report))
    allowed_root = parse(JunitFormat(allowed.evaluate(report)).render(report))

    assert strict_root.get("failures") == "6"
    assert allowed_root.get("failures") == "4"
    speedy = next(c for c in allowed_root.iter("testcase") if c.get("name") == "speedy 1.0")
    skipped = speedy.find("skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith("gil-enabled, allowed: fixed in 2.0")


def test_control_characters_do_not_break_the_xml() -> None:
    report = sample_report()
    dists = tuple(
        dataclasses.replace(d, reason="died \x00\x1b[31m here") if d.name == "segv" else d
        for d in report.distributions
    )
    root = parse(JunitFormat().render(dataclasses.replace(report, distributions=dists)))

    failure = next(c for c in root.iter("testcase") if c.get("name") == "segv 1.0").find("failure")
    assert failure is not None
    assert failure.get("message") == "died \ufffd\ufffd[31m here"
