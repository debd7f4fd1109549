"""A second culprit, so that a stack holds two distributions that enable the GIL."""

from ft_gil_two import _impl  # type: ignore[attr-defined]  # compiled

__all__ = ["_impl"]
