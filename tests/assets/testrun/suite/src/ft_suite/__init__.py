"""The project under test: a function its tests call, whatever their verdict."""


def double(value: int) -> int:
    """Return twice ``value``."""
    return value * 2
