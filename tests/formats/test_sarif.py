from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

# jsonschema ships no type information and its stubs are not a test dependency.
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from readiness.formats.sarif import FINGERPRINT_KEY, SarifFormat
from readiness.policy import Allowance, Baseline, Policy
from readiness.report import Verdict
from readiness.sources.interface import Origin
from tests.samples import hostile_report, name, raw_controls, sample_report

SCHEMA = Path(__file__).parent.parent / "assets" / "formats" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def validator() -> Any:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def render(base: Path, **options: Any) -> dict[str, Any]:
    report = options.pop("report", sample_report())
    gate = options.pop("policy", Policy()).evaluate(report)
    document: dict[str, Any] = json.loads(SarifFormat(gate, base_dir=base).render(report))
    return document


def test_output_is_valid_sarif_2_1_0(tmp_path: Path, validator: Any) -> None:
    strict = Policy.from_options(None, strict=True)
    allowed = Policy(allow=(Allowance(name=name("speedy"), reason="fixed in 2.0"),))
    baseline = Policy(baseline=Baseline.from_report(sample_report(), Policy().fail_on))
    for policy in (Policy(), strict, allowed, baseline):
        document = render(tmp_path, policy=policy)
        errors = sorted(validator.iter_errors(document), key=str)
        assert errors == [], errors[0].message if errors else ""


def test_one_result_per_blocker_with_its_rule_level_and_line(tmp_path: Path) -> None:
    run = render(tmp_path)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    results = {result["properties"]["distribution"]: result for result in run["results"]}

    assert run["tool"]["driver"]["name"] == "readiness"
    assert [rule["id"] for rule in rules][:2] == [
        "readiness/gil-enabled",
        "readiness/not-installable",
    ]
    assert set(results) == {"speedy", "pillowish", "nowheel", "segv", "slow", "broken"}
    speedy = results["speedy"]
    assert speedy["ruleId"] == "readiness/gil-enabled"
    assert rules[speedy["ruleIndex"]]["id"] == speedy["ruleId"]
    assert speedy["level"] == "error"
    assert "speedy._core" in speedy["message"]["text"]
    location = speedy["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "requirements.txt", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1}
    assert results["broken"]["level"] == "warning"
    assert rules[results["broken"]["ruleIndex"]]["defaultConfiguration"]["level"] == "warning"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.absolute().as_uri() + "/"


def test_strict_makes_inconclusive_an_error(tmp_path: Path) -> None:
    run = render(tmp_path, policy=Policy.from_options(None, strict=True))["runs"][0]
    broken = next(r for r in run["results"] if r["properties"]["distribution"] == "broken")
    assert broken["level"] == "error"


def test_lock_entries_and_files_outside_the_folder(tmp_path: Path) -> None:
    report = sample_report()
    elsewhere = tmp_path.parent / "elsewhere" / "uv.lock"
    changed = {
        "speedy": Origin(Path("uv.lock"), entry='package "speedy" 1.0'),
        "nowheel": Origin(elsewhere, line=3),
    }
    dists = tuple(
        dataclasses.replace(d, origin=changed.get(d.name, d.origin)) for d in report.distributions
    )
    run = render(tmp_path, report=dataclasses.replace(report, distributions=dists))["runs"][0]
    results = {result["properties"]["distribution"]: result for result in run["results"]}

    speedy = results["speedy"]["locations"][0]["physicalLocation"]
    assert speedy == {"artifactLocation": {"uri": "uv.lock", "uriBaseId": "%SRCROOT%"}}
    nowheel = results["nowheel"]["locations"][0]["physicalLocation"]
    assert nowheel["artifactLocation"] == {"uri": elsewhere.as_uri()}


def test_fingerprints_are_stable_across_runs_and_versions(tmp_path: Path) -> None:
    first = render(tmp_path)["runs"][0]["results"]
    report = sample_report()
    moved = tuple(
        dataclasses.replace(d, origin=Origin(Path("requirements.txt"), line=40))
        if d.name == "speedy"
        else d
        for d in report.distributions
    )
    second = render(tmp_path, report=dataclasses.replace(report, distributions=moved))
    prints = [{r["partialFingerprints"][FINGERPRINT_KEY] for r in first}]
    prints.append({r["partialFingerprints"][FINGERPRINT_KEY] for r in second["runs"][0]["results"]})

    assert prints[0] == prints[1]
    assert len(prints[0]) == len(first)


def test_allowed_and_baselined_blockers_are_suppressed(tmp_path: Path) -> None:
    report = sample_report()
    recorded = Baseline.from_report(report, frozenset({Verdict.CRASHED}))
    policy = Policy(
        allow=(Allowance(name=name("speedy"), reason="fixed in 2.0"),), baseline=recorded
    )
    results = {
        r["properties"]["distribution"]: r
        for r in render(tmp_path, policy=policy)["runs"][0]["results"]
    }

    assert results["speedy"]["suppressions"][0]["justification"].endswith("fixed in 2.0")
    assert results["segv"]["baselineState"] == "unchanged"
    assert results["segv"]["suppressions"][0]["kind"] == "external"
    assert results["slow"]["baselineState"] == "new"
    assert "suppressions" not in results["slow"]


def test_messages_show_control_characters_escaped() -> None:
    log = json.loads(SarifFormat().render(hostile_report()))
    messages = [result["message"]["text"] for result in log["runs"][0]["results"]]

    assert messages
    assert all(raw_controls(text) == [] for text in messages)
    assert any("\\x1b[31mred\\x1b[0m nul:\\x00" in text for text in messages)
