"""Ready: its extension declares that it runs without the GIL."""

from ft_ready._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
