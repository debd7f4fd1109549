"""The GIL stays off: a clean test, a failing one, a skipped one and a ready extension."""

import pytest

from ft_suite import double


def test_passes() -> None:
    assert double(21) == 42


def test_fails() -> None:
    assert double(2) == 5


@pytest.mark.skip(reason="never runs")
def test_skipped() -> None:
    raise AssertionError


def test_ready_extension() -> None:
    import ft_ready

    assert ft_ready.answer() == 42
