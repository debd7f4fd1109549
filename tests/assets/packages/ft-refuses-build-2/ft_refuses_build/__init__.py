"""ft-refuses-build 2.0: a free-threaded wheel, where 1.0 is an sdist whose build fails."""

from ft_refuses_build._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
