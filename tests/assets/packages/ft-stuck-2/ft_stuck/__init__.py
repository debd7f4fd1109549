"""ft-stuck 2.0: no release fixes it; this one re-enables the GIL as 1.0 does."""

from ft_stuck._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
