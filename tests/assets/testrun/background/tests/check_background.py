"""The first test leaves a thread behind; the second would run with the GIL on."""

import pytest


@pytest.mark.usefixtures("leave_a_thread")
def test_first() -> None:
    assert True


def test_second() -> None:
    assert True


def test_third() -> None:
    assert True
