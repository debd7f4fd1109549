"""The defaults every stage shares: the CPython to aim at, an import's time, where to look.

They sit on the ground floor, beside nothing they depend on, so that the command line, the
configuration, the orchestrator and the probe all say the same value by the same name, and
the command line's help says it without importing the stage that uses it.
"""

from __future__ import annotations

from typing import Final

DEFAULT_TARGET_VERSION: Final = "3.14t"
"""The free-threaded CPython aimed at when no version is given: 3.14t is the first supported
free-threaded build (PEP 779); ``python install``, ``scan --static`` and ``deps`` all take it."""

DEFAULT_IMPORT_TIMEOUT: Final = 60.0
"""Seconds one import may take before it counts as a timeout, when neither flag nor file says."""

DEFAULT_INDEX_MAX_AGE: Final = 24 * 60 * 60.0
"""Seconds what the index said of a pinned distribution is used again without asking: a day.
A release that gains free-threaded wheels shows within a day; ``--refresh`` asks now."""

DEFAULT_TRACKER_URL: Final = "https://raw.githubusercontent.com/Quansight-Labs/free-threaded-compatibility/main/docs/tracking.md"
"""The free-threading tracker's Markdown source upstream, as a raw file."""

SOURCE_PRIORITY: tuple[str, ...] = (
    "pylock.toml",
    "uv.lock",
    "poetry.lock",
    "pdm.lock",
    "Pipfile.lock",
    "requirements.txt",
    "pyproject.toml",
)
"""The files a folder is searched for, in order: the first present is read.

The most exact first: a PEP 751 lock is the installer-neutral standard and says exactly what
to install; the tools' own locks are exact too; a requirements file may leave versions to the
resolver; pyproject.toml always does. ``pylock.<name>.toml`` and ``requirements/*.txt`` are
never picked from a folder: a folder often holds several, and picking one would be a guess.
Name the file instead.
"""

DEFAULT_TEST_TIMEOUT: Final = 300.0
"""Seconds one test (or one module's collection) of ``readiness test`` may take."""
