"""The py-free-threading compatibility tracker: its Markdown table, the snapshot, the update.

The tracker is a table maintained by hand in Quansight-Labs/free-threaded-compatibility
(``docs/tracking.md``, MIT OR 0BSD), published at https://py-free-threading.github.io/tracking/.
readiness ships a snapshot of it (``tracker.json``) and keeps a fresher copy in the user's
cache once ``readiness tracker update`` has run.

The tracker leaves pure-Python packages out on purpose ("pure Python code works without
changes by design, hence this page does not aim to track pure Python packages", from the
page's introduction), so a distribution it does not list is *not tracked*, never *unsupported*.
"""

from __future__ import annotations

import contextlib
import enum
import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from packaging.utils import InvalidName, NormalizedName, canonicalize_name

from readiness._cache import atomic_write, default_cache_dir
from readiness._defaults import DEFAULT_TRACKER_URL
from readiness.evidence._http import CachedFetcher, FetchFailed, RetryPolicy
from readiness.evidence.interface import (
    EvidenceService,
    Query,
    ServiceError,
    TrackerRecord,
    TrackerSnapshot,
)

if TYPE_CHECKING:
    import httpx

DEFAULT_URL = DEFAULT_TRACKER_URL
"""The tracker's Markdown source upstream, as a raw file (the command line's ``--url`` default)."""

UPSTREAM_PERMALINK = (
    "https://github.com/Quansight-Labs/free-threaded-compatibility/blob/{revision}/docs/tracking.md"
)
"""The tracker's source at one commit, for a snapshot whose revision is known."""

SCHEMA_VERSION = 1
"""The layout of ``tracker.json``; a file of another version is refused, not misread."""

STALE_AFTER_DAYS = 30
"""A snapshot older than this is worth a line in the report: the tracker changes weekly."""

SNAPSHOT_FILE = "tracker.json"
NAMES_FILE = "tracker-names.toml"

UPDATE_POLICY = RetryPolicy(connect_timeout=10.0, read_timeout=30.0, deadline=60.0)
"""One update of the tracker (about 55 kB): generous, but never unbounded."""

COLUMNS = (
    "Project",
    "Upstream issue",
    "Tested in CI",
    "PyPI release",
    "First version with support",
    "Nightly wheels",
    "Nightly link",
)
"""The tracker's columns, in order; another layout is refused rather than guessed at."""

# NOTE: a yes is the MkDocs Material icon shortcode; upstream misspells it once (the msgpack
# row's "PyPI release" cell reads `:meterial-check-bold:`), which MkDocs renders as text but
# its authors plainly meant as a yes.
_YES_ICONS = frozenset({":material-check-bold:", ":meterial-check-bold:"})
_FOOTNOTE_MARK = re.compile(r"\[\^([^\]\s]+)\]")
_FOOTNOTE_DEFINITION = re.compile(r"^\[\^([^\]\s]+)\]:[ \t]?(.*)$")
_LINK = re.compile(r"^\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)\)$")
_BARE_URL = re.compile(r"^<?(?P<url>https?://[^\s<>]+)>?$")
_ICON = re.compile(r"^:[a-z0-9-]+:$")
_DELIMITER_CELL = re.compile(r"^:?-+:?$")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_T = TypeVar("_T")


class TrackerFormatError(ServiceError):
    """Raised when the tracker's Markdown is not the table readiness knows how to read."""

    def __init__(self, message: str, *, source: str, line: int | None = None) -> None:
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(
            f"{where}: {message}",
            hint="the tracker's layout may have changed upstream: keep the current snapshot "
            "and report it to the readiness developers",
        )
        self.source = source
        self.line = line


# -- Parsing the Markdown ---------------------------------------------------------------------


def parse_tracking_markdown(
    text: str, *, source: str, taken: date, names: Mapping[str, tuple[str, ...] | None]
) -> TrackerSnapshot:
    """Read the tracker's table into a snapshot, keeping every row in the tracker's order.

    ``names`` maps a display name (footnote markers removed) to the distributions it covers;
    an empty tuple or None means the row is not a distribution (CMake). A display name it does
    not list covers its own canonicalized name, or nothing when that is no valid name.
    Raises :class:`TrackerFormatError` (a :class:`ServiceError`) naming the line it cannot read.
    """
    lines = text.splitlines()
    footnotes = _footnote_texts(lines)
    header_index = _find_header(lines, source)
    records = tuple(
        _read_row(cells, line_number, footnotes, names, source)
        for line_number, cells in _table_rows(lines, header_index, source)
    )
    if not records:
        raise TrackerFormatError("the table has no rows", source=source, line=header_index + 3)
    return TrackerSnapshot(source=source, taken=taken, records=records)


def _split_cells(line: str) -> list[str]:
    """Return a table line's cells, stripped; a pipe escaped by a backslash stays in its cell."""
    body = line.strip()
    body = body.removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip().replace("\\|", "|") for cell in _CELL_SEPARATOR.split(body)]


def _find_header(lines: Sequence[str], source: str) -> int:
    """Return the index of the table's header line, checked to have the tracker's columns."""
    for index, line in enumerate(lines):
        if not line.lstrip().startswith("|"):
            continue
        cells = _split_cells(line)
        if cells[0].casefold() != COLUMNS[0].casefold():
            continue
        found = tuple(" ".join(cell.split()) for cell in cells)
        if tuple(cell.casefold() for cell in found) != tuple(c.casefold() for c in COLUMNS):
            raise TrackerFormatError(
                f"the table's columns are {' | '.join(found)}; expected {' | '.join(COLUMNS)}",
                source=source,
                line=index + 1,
            )
        return index
    raise TrackerFormatError(
        f"no table with the columns {' | '.join(COLUMNS)} in it", source=source
    )


def _table_rows(
    lines: Sequence[str], header_index: int, source: str
) -> Iterator[tuple[int, list[str]]]:
    """Yield each data row's 1-based line number and cells, after the delimiter row."""
    delimiter_index = header_index + 1
    delimiter = lines[delimiter_index] if delimiter_index < len(lines) else ""
    cells = _split_cells(delimiter)
    if len(cells) != len(COLUMNS) or not all(_DELIMITER_CELL.match(cell) for cell in cells):
        raise TrackerFormatError(
            "expected the table's delimiter row (| :--- | :---: | ...) under its header",
            source=source,
            line=delimiter_index + 1,
        )
    for index in range(delimiter_index + 1, len(lines)):
        line = lines[index]
        if not line.lstrip().startswith("|"):
            return
        cells = _split_cells(line)
        if len(cells) != len(COLUMNS):
            raise TrackerFormatError(
                f"a row has {len(cells)} cells; expected {len(COLUMNS)} ({' | '.join(COLUMNS)})",
                source=source,
                line=index + 1,
            )
        yield index + 1, cells


def _footnote_texts(lines: Sequence[str]) -> dict[str, str]:
    """Return each footnote's label and text, its indented continuation lines joined."""
    texts: dict[str, str] = {}
    label: str | None = None
    for line in lines:
        if found := _FOOTNOTE_DEFINITION.match(line):
            label = found[1]
            texts[label] = found[2].strip()
        elif label is not None and line[:1] in (" ", "\t") and line.strip():
            # A footnote continues on lines indented under it (Python-Markdown's footnotes
            # extension, which MkDocs Material uses: four spaces of indentation).
            texts[label] = f"{texts[label]} {line.strip()}".strip()
        elif line.strip():
            label = None
    return texts


def _read_row(
    cells: Sequence[str],
    line: int,
    footnotes: Mapping[str, str],
    names: Mapping[str, tuple[str, ...] | None],
    source: str,
) -> TrackerRecord:
    """Return one table row as a record."""
    labels: list[str] = []
    for cell in cells:
        for label in _FOOTNOTE_MARK.findall(cell):
            if label not in footnotes:
                raise TrackerFormatError(
                    f"footnote [^{label}] is used but never defined under the table",
                    source=source,
                    line=line,
                )
            if label not in labels:
                labels.append(label)
    project, issue, tested, released, first, nightly, nightly_link = (
        _FOOTNOTE_MARK.sub("", cell).strip() for cell in cells
    )
    if link := _LINK.match(project):
        project = link["text"].strip()
    if not project:
        raise TrackerFormatError("a row has no project name", source=source, line=line)
    return TrackerRecord(
        display_name=project,
        distributions=_distributions(project, names),
        issue_url=_link_cell(issue, COLUMNS[1], line, source),
        tested_in_ci=_yes_cell(tested, COLUMNS[2], line, source),
        release_on_index=_yes_cell(released, COLUMNS[3], line, source),
        first_version=first.strip("`").strip() or None,
        nightly_wheels=_platforms_cell(nightly, line, source),
        nightly_url=_link_cell(nightly_link, COLUMNS[6], line, source),
        notes=tuple(footnotes[label] for label in labels),
    )


def _distributions(
    project: str, names: Mapping[str, tuple[str, ...] | None]
) -> tuple[NormalizedName, ...]:
    """Return the distributions a display name covers, through the names table."""
    if project in names:
        return tuple(canonicalize_name(name) for name in names[project] or ())
    try:
        return (canonicalize_name(project, validate=True),)
    except InvalidName:
        # A display name that is no distribution name (spaces, brackets) names something that
        # is not on the index under that name; the refresh script lists such rows.
        return ()


def _yes_cell(cell: str, column: str, line: int, source: str) -> bool:
    if not cell:
        return False
    if cell in _YES_ICONS:
        return True
    raise TrackerFormatError(
        f"the {column!r} cell reads {cell!r}; expected :material-check-bold: or nothing",
        source=source,
        line=line,
    )


def _link_cell(cell: str, column: str, line: int, source: str) -> str | None:
    if not cell:
        return None
    if found := _LINK.match(cell) or _BARE_URL.match(cell):
        return found["url"]
    raise TrackerFormatError(
        f"the {column!r} cell reads {cell!r}; expected a link [icon](URL) or nothing",
        source=source,
        line=line,
    )


def _platforms_cell(cell: str, line: int, source: str) -> bool:
    # The cell lists one icon per platform with nightly wheels (:simple-linux: :simple-apple:
    # :material-microsoft-windows:); any icon there means some nightly wheels exist.
    icons = cell.split()
    if all(_ICON.match(icon) for icon in icons):
        return bool(icons)
    raise TrackerFormatError(
        f"the 'Nightly wheels' cell reads {cell!r}; expected platform icons or nothing",
        source=source,
        line=line,
    )


# -- The names table and the shipped data -----------------------------------------------------


def shipped_data_file(name: str) -> Path:
    """Return a data file shipped with readiness (``tracker.json``, ``tracker-names.toml``).

    An installed readiness has them in the package (``readiness/_data/``); a source checkout
    has them in ``data/`` at the repository's root.
    """
    # readiness runs from files on disk (its probe's child is a script run by path), so the
    # package's folder is its __file__'s: no importlib.resources reader to load.
    packaged = Path(__file__).resolve().parents[1] / "_data" / name
    if packaged.is_file():
        return packaged
    root = Path(__file__).resolve().parents[2]
    checkout = root / "data" / name
    if (root / "pyproject.toml").is_file() and checkout.is_file():
        return checkout
    raise ServiceError(
        f"the {name} shipped with readiness is missing",
        hint="reinstall readiness; the installation is incomplete",
    )


def load_names(path: Path | None = None) -> dict[str, tuple[str, ...] | None]:
    """Read the display-name table (``tracker-names.toml``; default: the shipped one).

    Returns each display name's distributions, or None for a row that is not a distribution.
    """
    table_file = path if path is not None else shipped_data_file(NAMES_FILE)
    try:
        document = tomllib.loads(table_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise ServiceError(f"{table_file}: cannot read the tracker's names table: {e}") from e
    distributions = document.get("distributions", {})
    not_distributions = document.get("not-distributions", [])
    if (
        set(document) - {"distributions", "not-distributions"}
        or not isinstance(distributions, dict)
        or not isinstance(not_distributions, list)
        or not all(isinstance(name, str) for name in not_distributions)
    ):
        raise ServiceError(
            f"{table_file}: expected a not-distributions list of display names and a "
            "[distributions] table mapping display names to lists of distribution names"
        )
    names: dict[str, tuple[str, ...] | None] = {}
    for display_name, listed in distributions.items():
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise ServiceError(f"{table_file}: {display_name!r} must map to a list of names")
        try:
            names[display_name] = tuple(canonicalize_name(n, validate=True) for n in listed)
        except InvalidName as e:
            raise ServiceError(f"{table_file}: {display_name!r}: {e}") from e
    for display_name in not_distributions:
        names[display_name] = None
    return names


# -- The snapshot as JSON ---------------------------------------------------------------------


def snapshot_to_json(snapshot: TrackerSnapshot) -> str:
    """Return the snapshot as the text of ``tracker.json`` (stable order, one record a line)."""
    records = [
        {
            "display_name": record.display_name,
            "distributions": list(record.distributions),
            "issue_url": record.issue_url,
            "tested_in_ci": record.tested_in_ci,
            "release_on_index": record.release_on_index,
            "first_version": record.first_version,
            "nightly_wheels": record.nightly_wheels,
            "nightly_url": record.nightly_url,
            "notes": list(record.notes),
        }
        for record in snapshot.records
    ]
    head = {
        "schema_version": SCHEMA_VERSION,
        "source": snapshot.source,
        "taken": snapshot.taken.isoformat(),
        "licence": "derived from the py-free-threading tracker, MIT OR 0BSD",
    }
    # One record per line keeps a refresh's diff down to the rows that changed.
    lines = ["{"]
    lines += [f"  {json.dumps(key)}: {json.dumps(value)}," for key, value in head.items()]
    lines.append('  "records": [')
    lines += [
        f"    {json.dumps(record, ensure_ascii=False)}{',' if i < len(records) - 1 else ''}"
        for i, record in enumerate(records)
    ]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def snapshot_from_json(text: str, *, origin: str) -> TrackerSnapshot:
    """Read the text of a ``tracker.json``; ``origin`` names it in errors."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise ServiceError(f"{origin}: not a tracker snapshot (invalid JSON: {e})") from e
    if not isinstance(document, dict):
        raise ServiceError(f"{origin}: not a tracker snapshot (expected a JSON object)")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ServiceError(
            f"{origin}: tracker snapshot schema {version!r}; this readiness reads {SCHEMA_VERSION}"
        )
    try:
        records = tuple(_record_from_json(item) for item in document["records"])
        return TrackerSnapshot(
            source=_typed(document["source"], str),
            taken=date.fromisoformat(_typed(document["taken"], str)),
            records=records,
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ServiceError(f"{origin}: not a tracker snapshot ({type(e).__name__}: {e})") from e


def _typed(value: object, kind: type[_T]) -> _T:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, found {value!r}")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else _typed(value, str)


def _record_from_json(item: Any) -> TrackerRecord:
    record = _typed(item, dict)
    return TrackerRecord(
        display_name=_typed(record["display_name"], str),
        distributions=tuple(
            canonicalize_name(_typed(name, str)) for name in _typed(record["distributions"], list)
        ),
        issue_url=_optional_str(record["issue_url"]),
        tested_in_ci=_typed(record["tested_in_ci"], bool),
        release_on_index=_typed(record["release_on_index"], bool),
        first_version=_optional_str(record["first_version"]),
        nightly_wheels=_typed(record["nightly_wheels"], bool),
        nightly_url=_optional_str(record["nightly_url"]),
        notes=tuple(_typed(note, str) for note in _typed(record.get("notes", []), list)),
    )


def write_snapshot(snapshot: TrackerSnapshot, path: Path) -> None:
    """Write the snapshot to ``path`` atomically."""
    atomic_write(path, snapshot_to_json(snapshot))


def cached_snapshot_path(cache_dir: Path | None = None) -> Path:
    """Return where ``readiness tracker update`` keeps its copy (under the user's cache)."""
    return (cache_dir if cache_dir is not None else default_cache_dir()) / "tracker" / SNAPSHOT_FILE


def load_snapshot(path: Path | None = None, *, cache_dir: Path | None = None) -> TrackerSnapshot:
    """Return the snapshot at ``path``; by default the freshest one readiness has.

    By default that is the user's cached copy (``cached_snapshot_path(cache_dir)``), or the
    snapshot shipped with readiness when there is none, when the cached one cannot be read
    (it is only a cache), or when the shipped one was taken later (readiness was upgraded).
    """
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise ServiceError(f"{path}: cannot read the tracker snapshot: {e}") from e
        return snapshot_from_json(text, origin=str(path))
    return _freshest_snapshot(cache_dir)[0]


def _freshest_snapshot(cache_dir: Path | None) -> tuple[TrackerSnapshot, bool]:
    """Return the snapshot :func:`load_snapshot` uses by default, and whether it is cached."""
    shipped_file = shipped_data_file(SNAPSHOT_FILE)
    try:
        shipped_text = shipped_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ServiceError(f"{shipped_file}: cannot read the tracker snapshot: {e}") from e
    shipped = snapshot_from_json(shipped_text, origin=str(shipped_file))
    cached_file = cached_snapshot_path(cache_dir)
    if not cached_file.is_file():
        return shipped, False
    try:
        cached = load_snapshot(cached_file)
    except ServiceError:
        return shipped, False
    return (cached, True) if cached.taken >= shipped.taken else (shipped, False)


def snapshot_age_days(snapshot: TrackerSnapshot, today: date) -> int:
    """Return how many days old the snapshot's content is (0 for a date in the future)."""
    return max((today - snapshot.taken).days, 0)


def staleness_note(snapshot: TrackerSnapshot, today: date) -> str | None:
    """Return the report's line about an old snapshot, or None while it is recent enough."""
    age = snapshot_age_days(snapshot, today)
    if age <= STALE_AFTER_DAYS:
        return None
    return (
        f"the free-threading tracker snapshot is {age} days old (taken {snapshot.taken}); "
        "run `readiness tracker update` to refresh it"
    )


# -- Updating the user's cached copy ----------------------------------------------------------


class UpdateOutcome(enum.StrEnum):
    """What ``readiness tracker update`` did."""

    UPDATED = "updated"
    """The tracker changed upstream: the new snapshot is in the cache."""

    NOT_MODIFIED = "not-modified"
    """The server said 304: the cached copy is current."""

    FAILED = "failed"
    """The tracker could not be fetched or read: what was there before is still used."""


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of one update of the cached tracker."""

    outcome: UpdateOutcome
    """What happened."""

    message: str
    """One line saying what happened, and why when it failed."""

    snapshot: TrackerSnapshot
    """The snapshot in use after the update (the new one, the cached one or the shipped one)."""

    age_days: int
    """How old that snapshot's content is, in days."""

    def lines(self) -> list[str]:
        """Return the lines ``readiness tracker update`` prints."""
        lines = [self.message]
        if self.age_days > STALE_AFTER_DAYS:
            lines.append(
                f"note: the snapshot in use is {self.age_days} days old "
                f"(over {STALE_AFTER_DAYS}); its verdicts may be out of date"
            )
        return lines


def update_tracker(
    client: httpx.Client,
    *,
    url: str = DEFAULT_URL,
    cache_dir: Path | None = None,
    names: Mapping[str, tuple[str, ...] | None] | None = None,
    today: date | None = None,
) -> UpdateResult:
    """Refresh the user's cached tracker with one conditional GET; never raises for the network.

    The GET is the evidence services' (:class:`CachedFetcher`, with its retries and an HTTP
    cache beside the snapshot). A 304 keeps the cached copy; a 200 is parsed and written
    atomically; any failure (no network, an HTTP error, a truncated or unreadable table)
    keeps what was there, and the result says so: the cached copy, else the snapshot shipped
    with readiness, stays in use.
    """
    today = today if today is not None else datetime.now(UTC).date()
    snapshot_file = cached_snapshot_path(cache_dir)

    def read(text: str, media_type: str) -> TrackerSnapshot:
        table = names if names is not None else load_names()
        return parse_tracking_markdown(text, source=url, taken=today, names=table)

    fetcher = CachedFetcher(client, cache_dir=snapshot_file.parent / "http", policy=UPDATE_POLICY)
    try:
        # The user asked for an update: ask upstream even while the stored answer is fresh.
        fetched = fetcher.fetch(url, accept="*/*", parse=read, revalidate=True)
    except FetchFailed as e:
        return _kept(url, e.reason, cache_dir, today)
    except ServiceError as e:
        return _kept(url, str(e), cache_dir, today)
    if fetched is None:
        return _kept(url, "not found upstream (HTTP 404 or 410)", cache_dir, today)
    if fetched.not_modified:
        with contextlib.suppress(ServiceError):
            in_use = load_snapshot(snapshot_file)
            message = (
                f"the tracker has not changed upstream; the cached copy (taken {in_use.taken}) "
                "is current"
            )
            return _outcome(UpdateOutcome.NOT_MODIFIED, message, in_use, today)
        # The snapshot has gone or is unreadable: the HTTP cache still holds the table.
    snapshot = fetched.value
    write_snapshot(snapshot, snapshot_file)
    return UpdateResult(
        outcome=UpdateOutcome.UPDATED,
        message=f"updated the tracker from {url}: {len(snapshot.records)} projects, "
        f"written to {snapshot_file}",
        snapshot=snapshot,
        age_days=0,
    )


def _kept(url: str, reason: str, cache_dir: Path | None, today: date) -> UpdateResult:
    """Return the outcome of an update that failed: what was there before stays in use."""
    in_use, from_cache = _freshest_snapshot(cache_dir)
    which = "the cached copy" if from_cache else "the snapshot shipped with readiness"
    message = (
        f"could not update the tracker from {url}: {reason}; using {which}, taken {in_use.taken}"
    )
    return _outcome(UpdateOutcome.FAILED, message, in_use, today)


def _outcome(
    outcome: UpdateOutcome, message: str, in_use: TrackerSnapshot, today: date
) -> UpdateResult:
    """Return an update's result that keeps the snapshot ``in_use``."""
    return UpdateResult(
        outcome=outcome,
        message=message,
        snapshot=in_use,
        age_days=snapshot_age_days(in_use, today),
    )


def tracker_update_command(
    client: httpx.Client, *, url: str = DEFAULT_URL, cache_dir: Path | None = None
) -> list[str]:
    """Do the whole work of ``readiness tracker update`` and return the lines to print."""
    return update_tracker(client, url=url, cache_dir=cache_dir).lines()


# -- The evidence service ---------------------------------------------------------------------


class TrackerService(EvidenceService[TrackerRecord]):
    """Answers from a tracker snapshot (by default the freshest one readiness has).

    None means *not tracked*, which is not *unsupported*: the tracker leaves pure-Python
    packages out on purpose.
    """

    def __init__(self, snapshot: TrackerSnapshot | None = None) -> None:
        self.snapshot = snapshot if snapshot is not None else load_snapshot()
        self._by_distribution = self.snapshot.by_distribution()

    def query(self, query: Query) -> TrackerRecord | None:
        """Return the tracker's row covering the distribution, or None when it is not tracked."""
        return self._by_distribution.get(query.name)
