"""ft-upgrade 2.0: a free-threaded wheel whose extension still re-enables the GIL."""

from ft_upgrade._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
