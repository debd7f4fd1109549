"""Module-level state changed without a lock: passes alone, fails whenever threads overlap.

Every thread starts at once (pytest-run-parallel's barrier) and takes at least 20 ms between
its clear() and its check, sleeping between appends: the others' appends land in between,
on two cores or on one.
"""

import time

SHARED: list[int] = []


def test_shared_list() -> None:
    SHARED.clear()
    for number in range(100):
        SHARED.append(number)
        time.sleep(0.0002)
    assert list(range(100)) == SHARED
