from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import httpx
import pytest
from packaging import tags
from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness.evidence._http import RetryPolicy, freshness_lifetime
from readiness.evidence.index import (
    IndexService,
    parse_project_html,
    parse_project_json,
    python_version_of,
)
from readiness.evidence.indexconfig import configured_index_url
from readiness.evidence.interface import IndexEvidence, Query, ServiceError, WheelKind
from readiness.evidence.remedy import remedy_for
from tests.evidence.conftest import ASSETS, FAST, IndexServer, Reply, target_tags


def service(
    client: httpx.Client,
    server: IndexServer,
    *,
    cache_dir: Path | None = None,
    policy: RetryPolicy = FAST,
    minor: int = 14,
    classifiers: bool = True,
    max_age: float = 0.0,
) -> IndexService:
    # max_age=0: every run asks through the HTTP cache, whose behaviour most tests here check;
    # the evidence kept for a day has tests of its own.
    return IndexService(
        client,
        index_url=server.index_url,
        target_tags=target_tags(3, minor),
        abi=f"cp3{minor}t",
        cache_dir=cache_dir,
        policy=policy,
        classifiers=classifiers,
        max_age=max_age,
    )


def ask(svc: IndexService, name: str, version: str | None) -> IndexEvidence:
    return svc.query(Query(canonicalize_name(name), Version(version) if version else None))


def pyyaml_page() -> bytes:
    return (ASSETS / "pyyaml.json").read_bytes()


DAY = 24 * 60 * 60.0
"""The evidence's default max age."""


def revalidated(body: bytes) -> Reply:
    """A page with an ETag that the server says to revalidate on every use."""
    return Reply(body, etag='"abc"', headers={"Cache-Control": "max-age=0"})


@pytest.mark.parametrize(
    ("name", "version", "wheel", "first", "latest"),
    [
        # Only cp313 wheels and an sdist: a cp314t interpreter builds it.
        ("pyyaml", "6.0.2", WheelKind.SOURCE_BUILD_REQUIRED, "6.0.3", "6.0.3"),
        ("pyyaml", "6.0.3", WheelKind.FREE_THREADED_WHEEL, None, "6.0.3"),
        # abi3 wheels are not loadable by a free-threaded 3.14: they do not count.
        ("cryptography", "43.0.3", WheelKind.SOURCE_BUILD_REQUIRED, "46.0.1", "46.0.1"),
        ("six", "1.16.0", WheelKind.PURE, None, "1.17.0"),
        # Windows wheels only, no sdist: nothing installs on Linux.
        ("pywin32", "306", WheelKind.NO_FREE_THREADED_WHEEL, None, "306"),
        # A version the index does not list.
        ("pyyaml", "9.9", WheelKind.UNKNOWN, None, "6.0.3"),
    ],
)
def test_what_the_index_offers(
    index_server: IndexServer,
    client: httpx.Client,
    name: str,
    version: str,
    wheel: WheelKind,
    first: str | None,
    latest: str | None,
) -> None:
    evidence = ask(service(client, index_server, classifiers=False), name, version)
    assert evidence.unavailable is None
    assert evidence.wheel is wheel
    assert evidence.first_free_threaded == (Version(first) if first else None)
    assert evidence.latest == (Version(latest) if latest else None)
    assert not evidence.yanked


def test_the_free_threaded_abi_of_the_interpreter_decides(
    index_server: IndexServer, client: httpx.Client
) -> None:
    # pyyaml 6.0.3 has cp314t wheels, none for cp313t.
    evidence = ask(service(client, index_server, minor=13, classifiers=False), "pyyaml", "6.0.3")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert evidence.first_free_threaded is None


def test_a_yanked_pin_says_why(index_server: IndexServer, client: httpx.Client) -> None:
    evidence = ask(service(client, index_server, classifiers=False), "pyyaml", "6.0.2rc1")
    assert evidence.yanked
    assert evidence.yanked_reason == "incorrect python_requires (included EOL Pythons)"
    # A pre-release pin counts pre-releases as later releases and as the latest.
    assert evidence.first_free_threaded == Version("6.0.3")


def test_first_free_threaded_skips_yanked_prerelease_and_too_new_python(
    index_server: IndexServer, client: httpx.Client
) -> None:
    svc = service(client, index_server, classifiers=False)
    # 1.1rc1 is a pre-release, 1.1 is yanked, 1.2 requires Python >= 3.15.
    evidence = ask(svc, "ft-history", "1.0")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert evidence.first_free_threaded == Version("1.3")
    assert evidence.latest == Version("1.3")
    prerelease = ask(svc, "ft-history", "1.1rc1")
    assert prerelease.wheel is WheelKind.FREE_THREADED_WHEEL
    assert prerelease.first_free_threaded == Version("1.3")
    assert prerelease.latest == Version("2.0b1")


def test_an_unpinned_query_names_the_first_release_overall(
    index_server: IndexServer, client: httpx.Client
) -> None:
    evidence = ask(service(client, index_server, classifiers=False), "ft-history", None)
    assert evidence.wheel is WheelKind.UNKNOWN
    assert evidence.first_free_threaded == Version("1.3")


def test_classifier_from_the_pinned_wheels_core_metadata(
    index_server: IndexServer, client: httpx.Client
) -> None:
    evidence = ask(service(client, index_server), "cryptography", "46.0.1")
    assert evidence.classifier == "Programming Language :: Python :: Free Threading :: 3 - Stable"
    assert evidence.classifier_of == Version("46.0.1")
    # The free-threaded wheel's metadata, the one the interpreter would install.
    metadata = [seen.path for seen in index_server.seen if seen.path.endswith(".metadata")]
    assert metadata == [
        "/files/cryptography-46.0.1-cp314-cp314t-manylinux_2_28_x86_64.whl.metadata"
    ]
    assert index_server.count("/pypi/cryptography/json") == 0


def test_classifier_falls_back_to_the_latest_in_the_project_json(
    index_server: IndexServer, client: httpx.Client
) -> None:
    # 43.0.3's files advertise no core metadata.
    evidence = ask(service(client, index_server), "cryptography", "43.0.3")
    assert evidence.classifier == "Programming Language :: Python :: Free Threading :: 3 - Stable"
    assert evidence.classifier_of == Version("46.0.1")


def test_no_classifier_requests_when_turned_off(
    index_server: IndexServer, client: httpx.Client
) -> None:
    evidence = ask(service(client, index_server, classifiers=False), "cryptography", "43.0.3")
    assert evidence.classifier is None
    assert index_server.count() == 1


def test_a_missing_project_json_leaves_the_classifier_unknown(
    index_server: IndexServer, client: httpx.Client
) -> None:
    evidence = ask(service(client, index_server), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert evidence.classifier is None
    assert evidence.unavailable is None


def test_an_html_index_is_read_too(index_server: IndexServer, client: httpx.Client) -> None:
    svc = service(client, index_server, minor=13)
    evidence = ask(svc, "markupsafe", "3.0.2")
    assert evidence.wheel is WheelKind.FREE_THREADED_WHEEL
    assert evidence.classifier is None
    assert (
        index_server.count(
            "/files/MarkupSafe-3.0.2-cp313-cp313t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl.metadata"
        )
        == 1
    )
    older = ask(svc, "markupsafe", "3.0.1")
    assert older.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    # 3.0.3 is yanked (data-yanked), so 3.0.2 is the latest.
    assert older.first_free_threaded == Version("3.0.2")
    assert older.latest == Version("3.0.2")


def test_a_project_not_on_the_index(index_server: IndexServer, client: httpx.Client) -> None:
    evidence = ask(service(client, index_server), "no-such-project", "1.0")
    assert evidence == IndexEvidence(wheel=WheelKind.UNKNOWN, unavailable="not on the index")


def test_a_5xx_is_retried(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.route("/simple/pyyaml/", Reply(b"", status=500), Reply(pyyaml_page()))
    evidence = ask(service(client, index_server, classifiers=False), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert index_server.count("/simple/pyyaml/") == 2


def test_always_5xx_is_unavailable_not_an_error(
    index_server: IndexServer, client: httpx.Client
) -> None:
    index_server.route("/simple/pyyaml/", Reply(b"", status=503))
    evidence = ask(service(client, index_server), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.UNKNOWN
    assert evidence.unavailable is not None
    assert "HTTP 503" in evidence.unavailable
    assert index_server.count("/simple/pyyaml/") == FAST.attempts


def test_a_403_is_not_retried(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.route("/simple/pyyaml/", Reply(b"", status=403))
    evidence = ask(service(client, index_server), "pyyaml", "6.0.2")
    assert evidence.unavailable is not None
    assert "HTTP 403" in evidence.unavailable
    assert index_server.count("/simple/pyyaml/") == 1


def test_a_timeout_is_retried_then_unavailable(
    index_server: IndexServer, client: httpx.Client
) -> None:
    index_server.route("/simple/pyyaml/", Reply(pyyaml_page(), delay=1.0))
    policy = RetryPolicy(attempts=2, backoff=0.01, read_timeout=0.2, deadline=5.0)
    started = time.monotonic()
    evidence = ask(service(client, index_server, policy=policy), "pyyaml", "6.0.2")
    assert time.monotonic() - started < 1.5
    assert evidence.unavailable is not None
    assert "timed out" in evidence.unavailable
    assert index_server.count("/simple/pyyaml/") == 2


def test_a_timeout_then_an_answer(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.route("/simple/pyyaml/", Reply(pyyaml_page(), delay=1.0), Reply(pyyaml_page()))
    policy = RetryPolicy(attempts=2, backoff=0.01, read_timeout=0.2, deadline=5.0)
    evidence = ask(service(client, index_server, policy=policy), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED


def test_a_truncated_body_is_retried(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.route("/simple/pyyaml/", Reply(pyyaml_page(), truncate=True), Reply(pyyaml_page()))
    evidence = ask(service(client, index_server, classifiers=False), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert index_server.count("/simple/pyyaml/") == 2


def test_always_truncated_is_unavailable(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.route("/simple/pyyaml/", Reply(pyyaml_page(), truncate=True))
    evidence = ask(service(client, index_server), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.UNKNOWN
    assert evidence.unavailable is not None


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>502 Bad Gateway</body></html>",
        pyyaml_page()[:100],
        b'{"meta": {"api-version": "1.1"}, "files": "nope"}',
    ],
    ids=["html-error-page", "cut-json", "wrong-shape"],
)
def test_a_body_that_is_not_the_json_promised(
    index_server: IndexServer, client: httpx.Client, body: bytes
) -> None:
    index_server.route("/simple/pyyaml/", Reply(body), Reply(pyyaml_page()))
    evidence = ask(service(client, index_server, classifiers=False), "pyyaml", "6.0.2")
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert index_server.count("/simple/pyyaml/") == 2


def test_never_json_is_unavailable(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.route("/simple/pyyaml/", Reply(b"Service Unavailable"))
    evidence = ask(service(client, index_server), "pyyaml", "6.0.2")
    assert evidence.unavailable is not None
    assert "invalid body" in evidence.unavailable


def test_a_slow_drip_is_cut_at_the_deadline(
    index_server: IndexServer, client: httpx.Client
) -> None:
    # Each byte comes well within the read timeout; the whole would take seconds.
    index_server.route("/simple/pyyaml/", Reply(pyyaml_page()[:200], drip=0.02))
    policy = RetryPolicy(attempts=1, read_timeout=1.0, deadline=0.3)
    started = time.monotonic()
    evidence = ask(service(client, index_server, policy=policy), "pyyaml", "6.0.2")
    assert time.monotonic() - started < 1.5
    assert evidence.unavailable is not None
    assert "longer than 0.3 s" in evidence.unavailable


def test_an_unknown_api_major_version(index_server: IndexServer, client: httpx.Client) -> None:
    page = json.loads(pyyaml_page())
    page["meta"]["api-version"] = "2.0"
    index_server.route("/simple/pyyaml/", Reply(json.dumps(page).encode()))
    evidence = ask(service(client, index_server), "pyyaml", "6.0.2")
    assert evidence.unavailable == "the index speaks simple API 2.0, not 1.x"


def test_etag_revalidation(index_server: IndexServer, client: httpx.Client, tmp_path: Path) -> None:
    index_server.route(
        "/simple/pyyaml/",
        revalidated(pyyaml_page()),
    )
    cold = ask(service(client, index_server, cache_dir=tmp_path), "pyyaml", "6.0.2")
    warm = ask(service(client, index_server, cache_dir=tmp_path), "pyyaml", "6.0.2")
    assert warm == cold
    asked = [seen for seen in index_server.seen if seen.path == "/simple/pyyaml/"]
    assert len(asked) == 2
    assert "If-None-Match" not in asked[0].headers
    assert asked[1].headers["If-None-Match"] == '"abc"'


def test_max_age_means_no_request_on_a_warm_run(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    cached = {"Cache-Control": "max-age=600, public"}
    index_server.route(
        "/simple/cryptography/", Reply((ASSETS / "cryptography.json").read_bytes(), headers=cached)
    )
    index_server.route(
        "/files/cryptography-46.0.1-cp314-cp314t-manylinux_2_28_x86_64.whl.metadata",
        Reply((ASSETS / "cryptography-46.0.1.metadata").read_bytes(), headers=cached),
    )
    cold = ask(service(client, index_server, cache_dir=tmp_path), "cryptography", "46.0.1")
    requests = index_server.count()
    assert requests == 2
    warm = ask(service(client, index_server, cache_dir=tmp_path), "cryptography", "46.0.1")
    assert warm == cold
    assert warm.classifier is not None
    assert index_server.count() == requests


def test_without_cache_headers_every_run_asks(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    for _ in range(2):
        ask(service(client, index_server, cache_dir=tmp_path, classifiers=False), "six", "1.16.0")
    assert index_server.count("/simple/six/") == 2


def test_a_corrupt_cache_entry_is_ignored(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    index_server.route(
        "/simple/six/",
        Reply((ASSETS / "six.json").read_bytes(), headers={"Cache-Control": "max-age=600"}),
    )
    ask(service(client, index_server, cache_dir=tmp_path), "six", "1.16.0")
    for entry in (tmp_path / "index").rglob("*.json"):
        entry.write_text("{not json")
    evidence = ask(service(client, index_server, cache_dir=tmp_path), "six", "1.16.0")
    assert evidence.wheel is WheelKind.PURE
    assert index_server.count("/simple/six/") == 2


def test_query_all_runs_concurrently(index_server: IndexServer, client: httpx.Client) -> None:
    index_server.latency = 0.2
    names = ["pyyaml", "cryptography", "six", "pywin32", "ft-history", "markupsafe", "absent"]
    queries = [Query(canonicalize_name(name), Version("1.0")) for name in names]
    started = time.monotonic()
    found = service(client, index_server, classifiers=False).query_all(queries * 2)
    assert time.monotonic() - started < 0.2 * len(names) / 2
    assert set(found) == set(names)
    absent = found[canonicalize_name("absent")]
    assert absent is not None
    assert absent.unavailable == "not on the index"


def test_kept_evidence_means_no_request_within_its_max_age(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    # The server says revalidate every time; the evidence is kept for a day regardless.
    index_server.route(
        "/simple/pyyaml/",
        revalidated(pyyaml_page()),
    )
    cold = ask(service(client, index_server, cache_dir=tmp_path, max_age=DAY), "pyyaml", "6.0.2")
    warm = service(client, index_server, cache_dir=tmp_path, max_age=DAY).query_all(
        [Query(canonicalize_name("pyyaml"), Version("6.0.2"))]
    )
    assert warm == {"pyyaml": cold}
    assert index_server.count("/simple/pyyaml/") == 1
    # Another pin is another question; --refresh (max_age 0) asks again.
    refreshed = ask(service(client, index_server, cache_dir=tmp_path), "pyyaml", "6.0.2")
    assert refreshed == cold
    assert index_server.count("/simple/pyyaml/") == 2


@pytest.mark.parametrize("listing", ["versions", "files"])
def test_a_pin_changed_to_a_version_the_kept_page_lists_asks_nothing(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path, listing: str
) -> None:
    # The page the first pin's evidence came from says what the index had within the day:
    # a pin changed to a version it lists is answered from it, one it does not list (a new
    # release) is asked about, and so is any pin once the page is older than the day.
    page = json.loads(pyyaml_page())
    if listing == "files":
        del page["versions"]  # a PEP 691 page of API 1.0: only its file names say
    index_server.route(
        "/simple/pyyaml/",
        revalidated(json.dumps(page).encode()),
    )

    def changed_to(version: str) -> IndexEvidence:
        svc = service(client, index_server, cache_dir=tmp_path, max_age=DAY, classifiers=False)
        return ask(svc, "pyyaml", version)

    changed_to("6.0.2")
    assert changed_to("6.0.1") == ask(
        service(client, index_server, classifiers=False), "pyyaml", "6.0.1"
    )
    assert index_server.count("/simple/pyyaml/") == 2  # the first pin's, and the uncached one
    assert changed_to("6.0.4").wheel is WheelKind.UNKNOWN
    assert index_server.count("/simple/pyyaml/") == 3
    for entry in (tmp_path / "index").rglob("*.json"):
        os.utime(entry, (time.time() - 2 * DAY, time.time() - 2 * DAY))
    changed_to("6.0.3")
    assert index_server.count("/simple/pyyaml/") == 4


def test_kept_evidence_ages_out_and_a_failure_is_never_kept(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    index_server.route(
        "/simple/pyyaml/",
        Reply(b"Service Unavailable", status=503),
        Reply(pyyaml_page()),
        Reply(pyyaml_page()),
    )
    once = RetryPolicy(attempts=1)
    failed = ask(
        service(client, index_server, cache_dir=tmp_path, policy=once, max_age=60),
        "pyyaml",
        "6.0.2",
    )
    assert failed.unavailable is not None
    found = ask(service(client, index_server, cache_dir=tmp_path, max_age=60), "pyyaml", "6.0.2")
    assert found.unavailable is None
    assert index_server.count("/simple/pyyaml/") == 2
    # The evidence, and the page it came from: each is used again only within max_age.
    for kept in (tmp_path / "index").rglob("*.json"):
        os.utime(kept, (time.time() - 120, time.time() - 120))
    ask(service(client, index_server, cache_dir=tmp_path, max_age=60), "pyyaml", "6.0.2")
    assert index_server.count("/simple/pyyaml/") == 3


def test_an_index_url_that_is_not_http(client: httpx.Client) -> None:
    with pytest.raises(ServiceError, match="not an HTTP"):
        IndexService(
            client, index_url="file:///opt/index", target_tags=[], abi="cp314t", cache_dir=None
        )


@pytest.mark.parametrize(
    ("headers", "lifetime"),
    [
        ({}, 0.0),
        ({"Cache-Control": "max-age=600"}, 600.0),
        ({"Cache-Control": "public, max-age=600", "Age": "100"}, 500.0),
        ({"Cache-Control": "max-age=600, no-cache"}, 0.0),
        ({"Cache-Control": "no-store"}, None),
        ({"Cache-Control": "max-age=soon"}, 0.0),
    ],
)
def test_freshness_lifetime(headers: dict[str, str], lifetime: float | None) -> None:
    assert freshness_lifetime(httpx.Headers(headers)) == lifetime


def test_python_version_of() -> None:
    assert python_version_of("cp314t") == Version("3.14")
    assert python_version_of("pp310") is None


@pytest.mark.network
def test_the_configured_index_names_the_release_with_free_threaded_wheels(
    tmp_path: Path,
) -> None:
    # pyyaml 6.0.2 has no free-threaded wheel; 6.0.3 was the first with cp314t wheels (it
    # has none for cp313t, so the test asks for a 3.14t on this host's platform).
    wheel_tags = list(
        tags.cpython_tags((3, 14), abis=["cp314t"], platforms=tags.platform_tags())
    ) + list(tags.compatible_tags((3, 14), "cp314"))
    with httpx.Client() as client:
        svc = IndexService(
            client,
            index_url=configured_index_url(),
            target_tags=wheel_tags,
            abi="cp314t",
            cache_dir=tmp_path,
        )
        evidence = svc.query(Query(canonicalize_name("PyYAML"), Version("6.0.2")))
    assert evidence.unavailable is None
    assert evidence.wheel is WheelKind.SOURCE_BUILD_REQUIRED
    assert evidence.first_free_threaded is not None
    assert evidence.first_free_threaded > Version("6.0.2")
    remedy = remedy_for(canonicalize_name("pyyaml"), Version("6.0.2"), evidence, None, "cp314t")
    assert remedy is not None
    assert remedy.upgrade_to == evidence.first_free_threaded
    assert remedy.text == (
        f"upgrade pyyaml 6.0.2 -> {evidence.first_free_threaded}, "
        "the first release with cp314t wheels"
    )


def test_kept_evidence_makes_no_client(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    index_server.route("/simple/pyyaml/", Reply(pyyaml_page()))
    made: list[httpx.Client] = []

    def make() -> httpx.Client:
        made.append(client)
        return client

    def run() -> IndexEvidence:
        svc = IndexService(
            make,
            index_url=index_server.index_url,
            target_tags=target_tags(3, 14),
            abi="cp314t",
            cache_dir=tmp_path,
            policy=FAST,
        )
        return ask(svc, "pyyaml", "6.0.2")

    cold = run()
    assert len(made) >= 1
    made.clear()
    assert run() == cold
    assert made == []


def test_a_files_sha256_is_read_from_json_hashes_and_from_an_html_fragment() -> None:
    digest = "ab" * 32
    page = parse_project_json(
        json.dumps(
            {
                "files": [
                    {
                        "filename": "x-1.0.tar.gz",
                        "url": "x-1.0.tar.gz",
                        "hashes": {"sha256": digest},
                    },
                    {"filename": "x-1.1.tar.gz", "url": "x-1.1.tar.gz", "hashes": {}},
                ]
            }
        ),
        "https://index.test/simple/x/",
    )
    html = parse_project_html(
        f'<a href="../../f/x-1.0.tar.gz#sha256={digest.upper()}">x-1.0.tar.gz</a>',
        "https://index.test/simple/x/",
    )

    assert [file.sha256 for file in page.files] == [digest, None]
    assert [file.sha256 for file in html.files] == [digest]
    assert html.files[0].url == "https://index.test/f/x-1.0.tar.gz"


def test_prefetch_asks_for_what_is_not_kept_and_query_all_then_asks_nothing(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    kept = Query(canonicalize_name("pyyaml"), Version("6.0.2"))
    new = Query(canonicalize_name("six"), Version("1.16.0"))
    service(client, index_server, cache_dir=tmp_path, max_age=DAY).query(kept)
    assert index_server.count() > 0
    before = index_server.count()

    svc = service(client, index_server, cache_dir=tmp_path, max_age=DAY)
    other = Query(canonicalize_name("pywin32"), Version("306"))
    # More missing than it may ask for while the stack installs: asked for afterwards.
    assert svc.prefetch([new, other], at_most=1) is None
    prefetch = svc.prefetch([kept, new, new], at_most=1)
    assert prefetch is not None
    prefetch.wait()
    # Only six's page was asked for: pyyaml's evidence is kept, and six's classifiers are
    # its installed metadata's.
    assert index_server.count("/simple/six/") == 1
    assert index_server.count() == before + 1
    installed = Query(new.name, new.version, classifiers=())

    found = svc.query_all([kept, installed])

    assert index_server.count() == before + 1
    assert found[new.name] is not None
    assert found[new.name] == ask(service(client, index_server), "six", "1.16.0")
    # Nothing left to ask; nothing kept at all (--refresh, or no cache): no prefetch.
    assert svc.prefetch([kept, new]) is None
    assert service(client, index_server, cache_dir=tmp_path).prefetch([new]) is None
    assert service(client, index_server, max_age=DAY).prefetch([new]) is None


def test_the_classifiers_of_what_is_installed_are_not_asked_for(
    index_server: IndexServer, client: httpx.Client
) -> None:
    index_server.route("/simple/cryptography/", Reply((ASSETS / "cryptography.json").read_bytes()))
    metadata = "/files/cryptography-46.0.1-cp314-cp314t-manylinux_2_28_x86_64.whl.metadata"
    index_server.route(metadata, Reply((ASSETS / "cryptography-46.0.1.metadata").read_bytes()))
    name, version = canonicalize_name("cryptography"), Version("46.0.1")
    # Not what the index's metadata says (3 - Stable): which of the two is used shows.
    beta = "Programming Language :: Python :: Free Threading :: 2 - Beta"

    declared = service(client, index_server).query(Query(name, version, classifiers=(beta,)))
    undeclared = service(client, index_server).query(Query(name, version, classifiers=()))
    assert index_server.count(metadata) == 0
    asked = service(client, index_server).query(Query(name, version))

    assert index_server.count(metadata) == 1
    assert (declared.classifier, declared.classifier_of) == (beta, version)
    assert (undeclared.classifier, undeclared.classifier_of) == (None, None)
    assert asked.classifier == beta.replace("2 - Beta", "3 - Stable")
    assert dataclasses.replace(asked, classifier=None, classifier_of=None) == undeclared


def test_a_page_is_asked_for_once_in_a_run(
    index_server: IndexServer, client: httpx.Client, tmp_path: Path
) -> None:
    # A pin the index does not list (a direct reference's version): its page, fetched while
    # the stack installs, is not asked for again for its evidence. Another run asks again.
    index_server.route(
        "/simple/pyyaml/",
        revalidated(pyyaml_page()),
    )
    unlisted = Query(canonicalize_name("pyyaml"), Version("7.0"))
    svc = service(client, index_server, cache_dir=tmp_path, max_age=DAY, classifiers=False)
    prefetch = svc.prefetch([unlisted])
    assert prefetch is not None
    prefetch.wait()

    assert svc.query(unlisted).wheel is WheelKind.UNKNOWN
    assert index_server.count("/simple/pyyaml/") == 1
    service(client, index_server, cache_dir=tmp_path, classifiers=False).query(unlisted)
    assert index_server.count("/simple/pyyaml/") == 2
