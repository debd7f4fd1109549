from __future__ import annotations

from packaging.version import Version

from readiness.report import DistributionReport, GilTrigger, Verdict
from tests.samples import name, sample_report


def test_every_distribution_gets_its_verdict() -> None:
    verdicts = {dist.name: dist.verdict for dist in sample_report().distributions}

    assert verdicts == {
        "speedy": Verdict.GIL_ENABLED,
        "pillowish": Verdict.GIL_ENABLED,
        "imageapp": Verdict.READY,
        "fine": Verdict.READY,
        "broken": Verdict.IMPORT_ERROR,
        "segv": Verdict.CRASHED,
        "slow": Verdict.TIMEOUT,
        "nowheel": Verdict.NOT_INSTALLABLE,
        "winonly": Verdict.SKIPPED,
        "helper": Verdict.READY,
    }


def test_declared_distributions_come_first_in_file_order() -> None:
    names = [dist.name for dist in sample_report().distributions]

    assert names[:9] == [
        "speedy",
        "pillowish",
        "imageapp",
        "fine",
        "broken",
        "segv",
        "slow",
        "nowheel",
        "winonly",
    ]
    assert names[9:] == ["helper"]


def test_culprit_in_top_level_import_is_on_import() -> None:
    speedy = _dist("speedy")

    assert [c.module for c in speedy.culprits] == ["speedy._core"]
    assert speedy.culprits[0].warned
    assert speedy.gil_trigger is GilTrigger.ON_IMPORT
    assert speedy.built_from_source


def test_blame_goes_to_the_owner_not_the_importer() -> None:
    pillowish, imageapp = _dist("pillowish"), _dist("imageapp")

    assert [c.module for c in pillowish.culprits] == ["pillowish._imaging"]
    assert pillowish.culprits[0].reached_through == "imageapp"
    # Its own top-level import kept the GIL off: only the lazily loaded extension enables it.
    assert pillowish.gil_trigger is GilTrigger.SUBMODULE
    assert imageapp.verdict is Verdict.READY
    assert [(r.module, r.owner, r.through) for r in imageapp.reaches] == [
        ("pillowish._imaging", "pillowish", "imageapp")
    ]


def test_failures_carry_their_reasons() -> None:
    assert _dist("nowheel").reason == "no matching distribution"
    assert _dist("nowheel").version == Version("1.0")
    assert _dist("segv").reason == "import segv: killed by SIGSEGV"
    assert "false for this interpreter" in (_dist("winonly").reason or "")


def test_transitive_distributions_are_not_direct() -> None:
    helper = _dist("helper")

    assert not helper.direct
    assert helper.origin is None
    assert _dist("fine").direct


def _dist(dist: str) -> DistributionReport:
    return next(d for d in sample_report().distributions if d.name == name(dist))
