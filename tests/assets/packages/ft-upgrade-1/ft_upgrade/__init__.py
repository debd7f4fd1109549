"""ft-upgrade 1.0, the pin: its extension does not declare free-threading support."""

from ft_upgrade._core import answer  # type: ignore[import-not-found]  # compiled

__all__ = ["answer"]
