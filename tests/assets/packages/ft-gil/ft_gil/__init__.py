"""Not ready: importing it loads an extension that does not declare free-threading support."""

from ft_gil._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
