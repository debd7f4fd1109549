"""Importing it kills the interpreter with SIGSEGV."""

from ft_segfault import _crash  # type: ignore[attr-defined]  # compiled

__all__ = ["_crash"]
