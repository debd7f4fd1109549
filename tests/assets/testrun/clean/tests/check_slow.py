"""A test that takes seconds: a timeout under a short --test-timeout; the next one still runs."""

import time

from ft_clean import add


def test_slow() -> None:
    time.sleep(4)


def test_after_the_slow_one() -> None:
    assert add(2, 2) == 4
