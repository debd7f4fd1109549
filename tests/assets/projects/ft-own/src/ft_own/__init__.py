"""ft-own: the scanned project's own package."""

from ft_own import core

__all__ = ["core"]
