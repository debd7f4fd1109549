"""The project under test."""


def add(left: int, right: int) -> int:
    """Return the sum."""
    return left + right
