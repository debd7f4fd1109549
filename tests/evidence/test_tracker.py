from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness.evidence.interface import Query, ServiceError, TrackerRecord, TrackerSnapshot
from readiness.evidence.tracker import (
    STALE_AFTER_DAYS,
    TrackerFormatError,
    TrackerService,
    UpdateOutcome,
    cached_snapshot_path,
    load_names,
    load_snapshot,
    parse_tracking_markdown,
    shipped_data_file,
    snapshot_age_days,
    snapshot_from_json,
    snapshot_to_json,
    staleness_note,
    tracker_update_command,
    update_tracker,
    write_snapshot,
)

REPOSITORY = Path(__file__).resolve().parents[2]
# Where the repository keeps the shipped data: data/, or the package once it moves there.
COMMITTED_SNAPSHOT = Path(str(shipped_data_file("tracker.json")))
NAMES_TABLE = Path(str(shipped_data_file("tracker-names.toml")))
TRACKING_MD = REPOSITORY / "tests" / "assets" / "evidence" / "tracking.md"
TAKEN = date(2026, 6, 28)

HEADER = (
    "| Project | Upstream issue | Tested in CI | PyPI release | First version with support "
    "| Nightly wheels | Nightly link |\n"
    "| :--- | :---: | :---: | :---: | :---: | :---: | :---: |\n"
)
GOOD_ROW = (
    "| NumPy | [:simple-github:](https://example.invalid/numpy/1) | :material-check-bold: "
    "| :material-check-bold: | 2.1.0 | :simple-linux: "
    "| [:simple-anaconda:](https://example.invalid/n) |\n"
)


def _snapshot() -> TrackerSnapshot:
    return load_snapshot(COMMITTED_SNAPSHOT)


def _record(display_name: str) -> TrackerRecord:
    (found,) = (r for r in _snapshot().records if r.display_name == display_name)
    return found


def _parse(text: str) -> TrackerSnapshot:
    return parse_tracking_markdown(text, source="test.md", taken=TAKEN, names={})


# -- The committed snapshot -------------------------------------------------------------------


def test_committed_snapshot_has_every_row_of_the_tracker() -> None:
    table_lines = [
        line
        for line in TRACKING_MD.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ")
    ]
    rows = table_lines[2:]  # after the header and its delimiter row
    names = [re.sub(r"\[\^\d+\]", "", row.split("|")[1]).strip() for row in rows]

    snapshot = _snapshot()

    assert len(rows) == 149
    assert [record.display_name for record in snapshot.records] == names
    assert "c24c2e178c3ae4bdbfa0710ecf15e23cdd39b0d1" in snapshot.source
    assert snapshot.taken == TAKEN


def test_committed_snapshot_is_what_the_script_makes_of_the_fixture(tmp_path: Path) -> None:
    output = tmp_path / "tracker.json"
    # SOURCE.md beside the fixture names its upstream commit and date.
    subprocess.run(
        [
            sys.executable,
            str(REPOSITORY / "scripts" / "refresh_tracker.py"),
            "--input",
            str(TRACKING_MD),
            "--output",
            str(output),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )

    assert output.read_bytes() == COMMITTED_SNAPSHOT.read_bytes()


@pytest.mark.parametrize(
    ("display_name", "distributions"),
    [
        ("NumPy", ("numpy",)),
        ("ultrajson", ("ujson",)),
        ("PyTorch", ("torch",)),
        ("ContourPy", ("contourpy",)),
        ("jupyter_client", ("jupyter-client",)),
        ("ruamel.yaml.clib", ("ruamel-yaml-clib",)),
        ("greenlet", ("greenlet",)),
        ("JAX", ("jax", "jaxlib")),
    ],
)
def test_display_names_become_distribution_names(
    display_name: str, distributions: tuple[str, ...]
) -> None:
    assert _record(display_name).distributions == distributions


@pytest.mark.parametrize(
    "display_name", ["Bazel (rules-python)", "CMake", "SWIG", "conda", "Spack", "Boost.Python"]
)
def test_rows_that_are_not_distributions_are_kept_and_cover_none(display_name: str) -> None:
    record = _record(display_name)

    assert record.distributions == ()
    assert display_name not in {str(name) for name in _snapshot().by_distribution()}


def test_footnotes_are_attached_to_their_rows() -> None:
    assert _record("greenlet").notes == (
        "It is fully supported on Python 3.15t and above, on 3.14t it may crash at runtime exit.",
    )
    # A marker alone in a yes/no cell is a no, with its note.
    jupyter_client = _record("jupyter_client")
    assert not jupyter_client.tested_in_ci
    assert jupyter_client.notes == ("Functional, CI flaky test and disabled: blocked on msgpack",)
    # A marker beside a yes is still a yes.
    bazel = _record("Bazel (rules-python)")
    assert bazel.release_on_index
    assert bazel.notes == (
        "Release available in the [Bazel Central Registry](https://registry.bazel.build)",
    )
    # A footnote over several indented lines is one text.
    (zstandard_note,) = _record("zstandard").notes
    assert zstandard_note.startswith("Python 3.14 includes the new [`compression.zstd` module]")
    assert zstandard_note.endswith("for Python 3.9-3.13")
    assert _record("aiohttp").notes == ()


def test_the_misspelt_check_icon_reads_as_yes() -> None:
    assert _record("msgpack").release_on_index


def test_links_versions_and_nightly_wheels_are_read() -> None:
    numpy = _record("NumPy")
    assert numpy.issue_url == "https://github.com/numpy/numpy/issues/26157"
    assert numpy.tested_in_ci
    assert numpy.release_on_index
    assert numpy.first_version_parsed == Version("2.1.0")
    assert numpy.nightly_wheels
    assert numpy.nightly_url == "https://anaconda.org/scientific-python-nightly-wheels/numpy/"

    cmake = _record("CMake")
    assert cmake.issue_url is None
    assert not cmake.tested_in_ci

    brotli = _record("brotli")
    assert brotli.first_version is None
    assert not brotli.nightly_wheels
    assert brotli.nightly_url is None

    assert _record("PyArrow").nightly_wheels  # Linux and macOS only
    setproctitle = _record("setproctitle")
    assert setproctitle.nightly_wheels
    assert setproctitle.nightly_url is None


# -- The service ------------------------------------------------------------------------------


def test_service_answers_tracked_distributions_and_none_for_the_rest() -> None:
    service = TrackerService(_snapshot())

    torch = service.query(Query(name=NormalizedName("torch"), version=Version("2.6.0")))
    assert torch is not None
    assert torch.display_name == "PyTorch"
    # Pure Python is left out of the tracker on purpose: None means "not tracked".
    assert service.query(Query(name=NormalizedName("six"), version=None)) is None
    answers = service.query_all(
        [Query(name=canonicalize_name("jaxlib"), version=None), Query(NormalizedName("x"), None)]
    )
    assert answers[NormalizedName("jaxlib")] == _record("JAX")
    assert answers[NormalizedName("x")] is None


def test_service_defaults_to_the_freshest_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_CACHE_DIR", str(tmp_path))

    assert TrackerService().snapshot == _snapshot()


# -- Loading, the user's cache, age -----------------------------------------------------------


def test_load_snapshot_prefers_a_newer_cached_copy(tmp_path: Path) -> None:
    shipped = _snapshot()
    assert load_snapshot(cache_dir=tmp_path) == shipped

    newer = replace(shipped, taken=date(2026, 11, 1), records=shipped.records[:3])
    write_snapshot(newer, cached_snapshot_path(tmp_path))
    assert load_snapshot(cache_dir=tmp_path) == newer

    older = replace(newer, taken=date(2026, 1, 1))
    write_snapshot(older, cached_snapshot_path(tmp_path))
    assert load_snapshot(cache_dir=tmp_path) == shipped

    cached_snapshot_path(tmp_path).write_text("{not json", encoding="utf-8")
    assert load_snapshot(cache_dir=tmp_path) == shipped


def test_snapshot_json_round_trips() -> None:
    snapshot = _snapshot()

    assert snapshot_from_json(snapshot_to_json(snapshot), origin="x") == snapshot


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "expected a JSON object"),
        ('{"schema_version": 99, "records": []}', "schema 99"),
        ('{"schema_version": 1, "source": "s", "taken": "2026-01-01"}', "KeyError"),
        (
            '{"schema_version": 1, "source": "s", "taken": "2026-01-01", '
            '"records": [{"display_name": 3}]}',
            "TypeError",
        ),
    ],
)
def test_a_corrupt_snapshot_is_a_service_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "tracker.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ServiceError, match=re.escape(message)):
        load_snapshot(path)


def test_snapshot_age_and_the_staleness_note() -> None:
    snapshot = _snapshot()

    assert snapshot_age_days(snapshot, date(2026, 7, 28)) == STALE_AFTER_DAYS
    assert staleness_note(snapshot, date(2026, 7, 28)) is None
    assert snapshot_age_days(snapshot, date(2026, 1, 1)) == 0
    note = staleness_note(snapshot, date(2026, 11, 25))
    assert note is not None
    assert "150 days old" in note
    assert "readiness tracker update" in note


# -- The parser on broken input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("# no table here\n", None, "no table with the columns"),
        ("intro\n\n| Project | Upstream issue |\n| :- | :- |\n", 3, "the table's columns are"),
        (HEADER.splitlines()[0] + "\n| NumPy | |\n", 2, "delimiter row"),
        (HEADER + "\ntext\n", 3, "the table has no rows"),
        (HEADER + GOOD_ROW + "| SciPy | | | | 1.0 | |\n", 4, "a row has 6 cells"),
        (HEADER + GOOD_ROW + "| SciPy | | yes | | | | |\n", 4, "'Tested in CI' cell reads 'yes'"),
        (HEADER + GOOD_ROW + "| SciPy | issue 3 | | | | | |\n", 4, "expected a link"),
        (HEADER + GOOD_ROW + "| SciPy | | | | | linux | |\n", 4, "'Nightly wheels' cell"),
        (HEADER + "| SciPy[^9] | | | | | | |\n\n[^1]: one\n", 3, "footnote [^9]"),
        (HEADER + "| [^1] | | | | | | |\n\n[^1]: one\n", 3, "no project name"),
    ],
)
def test_broken_tables_raise_a_service_error_naming_the_line(
    text: str, line: int | None, message: str
) -> None:
    with pytest.raises(ServiceError, match=re.escape(message)) as raised:
        _parse(text)

    assert isinstance(raised.value, TrackerFormatError)
    assert raised.value.line == line
    assert str(raised.value).startswith(f"test.md, line {line}:" if line else "test.md:")


def test_the_names_table_decides_distributions() -> None:
    text = (
        HEADER
        + GOOD_ROW
        + "| CMake | | | | | | |\n"
        + "| Tool X | | | | | | |\n"
        + "| Foo.Bar | | | | | | |\n"
        + "| Kit | | | | | | |\n"
        + "| Pipes \\| Co | | | | | | <https://example.invalid/p> |\n"
    )
    names: dict[str, tuple[str, ...] | None] = {"CMake": None, "Kit": (), "NumPy": ("NumPy",)}

    snapshot = parse_tracking_markdown(text, source="t", taken=TAKEN, names=names)

    assert [(r.display_name, r.distributions) for r in snapshot.records] == [
        ("NumPy", ("numpy",)),
        ("CMake", ()),
        ("Tool X", ()),  # no valid distribution name, and not in the table
        ("Foo.Bar", ("foo-bar",)),
        ("Kit", ()),
        ("Pipes | Co", ()),
    ]
    assert snapshot.records[-1].nightly_url == "https://example.invalid/p"


def test_the_shipped_names_table_loads() -> None:
    names = load_names(NAMES_TABLE)

    assert names["ultrajson"] == ("ujson",)
    assert names["CMake"] is None
    assert "NumPy" not in names  # canonicalization alone gets it right


@pytest.mark.parametrize(
    "text",
    [
        "[distributions]\nX = 'x'\n",
        "not-distributions = 'CMake'\n",
        "[other]\n",
        "[distributions]\nX = ['not a name!']\n",
        "[distributions\n",
    ],
)
def test_a_broken_names_table_is_a_service_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "names.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ServiceError, match=re.escape(str(path))):
        load_names(path)


# -- Updating against a real HTTP server ------------------------------------------------------


@dataclass
class _Upstream:
    """What the local tracker server serves, and the requests it has seen."""

    body: bytes
    etag: str = '"v1"'
    mode: str = "ok"
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def upstream() -> Iterator[tuple[_Upstream, str]]:
    state = _Upstream(TRACKING_MD.read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append(dict(self.headers))
            if state.mode == "error":
                self.send_error(500)
                return
            if self.headers.get("If-None-Match") == state.etag:
                self.send_response(304)
                self.send_header("ETag", state.etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/markdown; charset=utf-8")
            self.send_header("Content-Length", str(len(state.body)))
            self.send_header("ETag", state.etag)
            self.end_headers()
            # Truncated: the connection closes halfway through the promised body.
            sent = state.body[: len(state.body) // 2] if state.mode == "truncated" else state.body
            self.wfile.write(sent)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/docs/tracking.md"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as client:
        yield client


TODAY = date(2026, 11, 25)


def test_update_writes_on_200_and_keeps_on_304(
    upstream: tuple[_Upstream, str], client: httpx.Client, tmp_path: Path
) -> None:
    state, url = upstream
    cached = cached_snapshot_path(tmp_path)

    first = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)

    assert first.outcome is UpdateOutcome.UPDATED
    assert first.age_days == 0
    assert first.snapshot.records == _snapshot().records
    assert load_snapshot(cache_dir=tmp_path) == first.snapshot
    assert "If-None-Match" not in state.seen[0]
    written = cached.stat()

    second = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)

    assert second.outcome is UpdateOutcome.NOT_MODIFIED
    assert state.seen[1]["If-None-Match"] == '"v1"'
    assert second.snapshot == first.snapshot
    assert (cached.stat().st_mtime_ns, cached.stat().st_ino) == (
        written.st_mtime_ns,
        written.st_ino,
    )
    assert second.lines() == [second.message]
    assert "has not changed" in second.message

    state.etag = '"v2"'
    state.body = state.body.replace(b"| NumPy ", b"| NumPy2", 1)
    third = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)

    assert third.outcome is UpdateOutcome.UPDATED
    assert "NumPy2" in {r.display_name for r in load_snapshot(cache_dir=tmp_path).records}


def test_a_304_for_a_snapshot_that_has_gone_writes_it_again(
    upstream: tuple[_Upstream, str], client: httpx.Client, tmp_path: Path
) -> None:
    state, url = upstream
    first = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)
    cached_snapshot_path(tmp_path).unlink()

    again = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)

    # One conditional GET answered 304: the table comes from the HTTP cache.
    assert state.seen[1]["If-None-Match"] == '"v1"'
    assert again.outcome is UpdateOutcome.UPDATED
    assert load_snapshot(cache_dir=tmp_path) == first.snapshot


@pytest.mark.parametrize("failure", ["error", "truncated", "refused", "broken table"])
def test_a_failed_update_keeps_the_cached_copy_and_says_so(
    upstream: tuple[_Upstream, str],
    client: httpx.Client,
    tmp_path: Path,
    failure: str,
) -> None:
    state, url = upstream
    assert update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY).outcome == "updated"
    before = cached_snapshot_path(tmp_path).read_bytes()
    state.etag = '"v2"'
    if failure == "refused":
        url = f"http://127.0.0.1:{_closed_port()}/docs/tracking.md"
    elif failure == "broken table":
        state.body = state.body.replace(b"| NumPy ", b"| NumPy | extra ", 1)
    else:
        state.mode = failure

    result = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)

    assert result.outcome is UpdateOutcome.FAILED
    assert cached_snapshot_path(tmp_path).read_bytes() == before
    assert result.message.startswith(f"could not update the tracker from {url}: ")
    assert "using the cached copy, taken 2026-11-25" in result.message
    expected = {
        "error": "HTTP 500",
        "truncated": "RemoteProtocolError",
        "refused": "ConnectError",
        "broken table": ", line ",
    }[failure]
    assert expected in result.message


def test_a_failed_update_without_a_cached_copy_uses_the_shipped_snapshot(
    client: httpx.Client, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/tracking.md"

    result = update_tracker(client, url=url, cache_dir=tmp_path, today=TODAY)
    lines = tracker_update_command(client, url=url, cache_dir=tmp_path)

    assert result.outcome is UpdateOutcome.FAILED
    assert result.snapshot == _snapshot()
    assert result.age_days == 150
    assert "using the snapshot shipped with readiness, taken 2026-06-28" in result.message
    assert not cached_snapshot_path(tmp_path).exists()
    assert len(lines) == 2
    assert lines[1].startswith("note: the snapshot in use is ")


def _closed_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (connecting to it is refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
