"""Wall times for the benchmarks: medians, and rows measured turn about with their anchors.

A row and its anchor timed one after the other meet different loads on a shared machine
(another job starts, the page cache warms up between them), so their ratio says as much of
the machine as of readiness. Timed turn about, after one unmeasured run of each, both see the
same conditions.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping


def seconds(action: Callable[[], object]) -> float:
    """Return the wall time of one call of ``action``."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    """Return the median wall time of ``repeat`` calls of ``action``, after one unmeasured."""
    action()
    return statistics.median(seconds(action) for _ in range(repeat))


def turn_about(actions: Mapping[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Return each action's median wall time, the actions timed in turn ``repeat`` times.

    Each runs once unmeasured first (a cold page cache, a first ``.pyc`` write).
    """
    for action in actions.values():
        action()
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            times[name].append(seconds(action))
    return {name: statistics.median(found) for name, found in times.items()}
