"""A verdict of each other kind, and text that a report must show, not obey.

The failure's message holds an ANSI escape, a right-to-left override and HTML; a test id
holds HTML. Every report writes them; none may colour a terminal, reverse a line or add
markup to a page.
"""

import time

import pytest

from ft_formats import double

HOSTILE = "\x1b[31mred\x1b[0m <script>alert(1)</script> \u202eevil & <b>bold</b>"

TALLY: dict[int, int] = {}


def test_passes() -> None:
    assert double(21) == 42


@pytest.mark.parametrize("markup", ["<b>x</b>&amp;"])
def test_markup_in_the_id(markup: str) -> None:
    assert markup


def test_fails_with_hostile_text() -> None:
    raise AssertionError(HOSTILE)


@pytest.mark.skip(reason="never runs")
def test_skipped() -> None:
    raise AssertionError


def test_shared_tally() -> None:
    # Passes alone. In threads, started together by pytest-run-parallel's barrier, each takes
    # 20 ms or more between its clear() and its check, and the others' counts land in between.
    TALLY.clear()
    for number in range(100):
        TALLY[number] = TALLY.get(number, 0) + 1
        time.sleep(0.0002)
    assert sum(TALLY.values()) == 100
