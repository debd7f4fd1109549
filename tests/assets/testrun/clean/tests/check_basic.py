"""One test passes, one fails on its own: neither says anything about the GIL."""

from ft_clean import add


def test_passes() -> None:
    assert add(1, 2) == 3


def test_fails() -> None:
    assert add(1, 2) == 4
