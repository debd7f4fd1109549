"""The project under test: a function its tests call."""

__version__ = "1.0"


def double(number: int) -> int:
    """Return twice ``number``."""
    return 2 * number
