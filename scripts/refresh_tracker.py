"""Regenerate the tracker snapshot shipped with readiness (``data/tracker.json``).

    python scripts/refresh_tracker.py                          # from the live tracker
    python scripts/refresh_tracker.py --input tracking.md      # from a local copy
    nox -s refresh_data                                        # either; see noxfile.py

A local copy may sit beside a ``SOURCE.md`` that names the upstream commit it is ("... commit
<40 hex digits> of <YYYY-MM-DD>"); the snapshot then records that commit and date. Without
one, ``--revision`` and ``--taken`` say so, else the snapshot records the file and its date.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from readiness.evidence.interface import ServiceError, TrackerSnapshot
from readiness.evidence.tracker import (
    DEFAULT_URL,
    NAMES_FILE,
    SNAPSHOT_FILE,
    UPDATE_POLICY,
    UPSTREAM_PERMALINK,
    load_names,
    parse_tracking_markdown,
    write_snapshot,
)

REPOSITORY = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path:
    """Return where the repository keeps a shipped data file: in the package, else in data/."""
    packaged = REPOSITORY / "readiness" / "_data" / name
    return packaged if packaged.is_file() else REPOSITORY / "data" / name


DEFAULT_OUTPUT = _shipped(SNAPSHOT_FILE)
DEFAULT_NAMES = _shipped(NAMES_FILE)

_PROVENANCE = re.compile(r"commit\s+(?P<revision>[0-9a-f]{40})\s+of\s+(?P<date>\d{4}-\d{2}-\d{2})")


class RefreshError(Exception):
    """Raised when the tracker cannot be read; the message is the one line to print."""


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--input", type=Path, help="a local copy of the tracker's tracking.md")
    where.add_argument("--url", default=DEFAULT_URL, help="the tracker's raw Markdown URL")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the snapshot")
    parser.add_argument("--names", type=Path, default=DEFAULT_NAMES, help="the names table")
    parser.add_argument("--revision", help="the upstream commit the input is")
    parser.add_argument("--taken", type=date.fromisoformat, help="the content's date")
    return parser.parse_args(argv)


def _read_input(path: Path) -> tuple[str, str | None, date]:
    """Return a local copy's text, its upstream revision if recorded, and its date."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RefreshError(f"cannot read {path}: {e}") from e
    provenance = path.with_name("SOURCE.md")
    if provenance.is_file() and (found := _PROVENANCE.search(provenance.read_text("utf-8"))):
        return text, found["revision"], date.fromisoformat(found["date"])
    modified = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
    return text, None, modified


def _fetch(url: str) -> str:
    """Return the tracker's Markdown from ``url``."""
    try:
        with httpx.Client(timeout=UPDATE_POLICY.timeout(), follow_redirects=True) as client:
            response = client.get(url)
            response.raise_for_status()
            return response.content.decode("utf-8")
    except (httpx.HTTPError, UnicodeDecodeError) as e:
        raise RefreshError(
            f"cannot fetch {url}: {e}\n"
            "  offline? refresh from a local copy instead: --input path/to/tracking.md"
        ) from e


def refresh(args: argparse.Namespace) -> TrackerSnapshot:
    """Read the tracker as the arguments say, write the snapshot and return it."""
    today = datetime.now(UTC).date()
    if args.input is not None:
        text, revision, taken = _read_input(args.input)
        location = str(args.input)
    else:
        text, revision, taken = _fetch(args.url), None, today
        location = args.url
    revision = args.revision or revision
    taken = args.taken or taken
    # A known revision is named by its permalink upstream, wherever the text was read from.
    source = UPSTREAM_PERMALINK.format(revision=revision) if revision else location
    names = load_names(args.names)
    snapshot = parse_tracking_markdown(text, source=source, taken=taken, names=names)
    write_snapshot(snapshot, args.output)
    return snapshot


def main(argv: Sequence[str] | None = None) -> int:
    """Refresh the snapshot; print what was written, and warnings about the names table."""
    args = _parse_args(argv)
    try:
        snapshot = refresh(args)
    except (RefreshError, ServiceError) as e:
        print(f"refresh_tracker: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}: {len(snapshot.records)} projects from {snapshot.source}")
    names = load_names(args.names)
    displayed = {record.display_name for record in snapshot.records}
    for stale in sorted(set(names) - displayed):
        print(f"warning: {args.names}: {stale!r} matches no row any more", file=sys.stderr)
    for record in snapshot.records:
        if not record.distributions and record.display_name not in names:
            print(
                f"warning: {record.display_name!r} is no distribution name: add it to {args.names}",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
