"""The defaults every stage shares: the free-threaded CPython to aim at, and an import's time.

They sit on the ground floor, beside nothing they depend on, so that the command line, the
configuration, the orchestrator and the probe all say the same value by the same name.
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
