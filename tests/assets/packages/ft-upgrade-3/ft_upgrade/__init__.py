"""ft-upgrade 3.0: the first release whose extension declares free-threading support."""

from ft_upgrade._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
