"""Passes alone the first time, fails in threads and alone ever after: flaky, not a race.

Its memory is a file in the temporary folder (TMPDIR, which the runner passes on).
"""

import tempfile
from pathlib import Path

MARKER = Path(tempfile.gettempdir()) / "ft-flaky-has-run"


def test_passes_only_the_first_time() -> None:
    first = not MARKER.exists()
    MARKER.touch()
    assert first, "ran before"


def test_steady() -> None:
    assert True
