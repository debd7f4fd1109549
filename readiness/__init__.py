"""Tell whether a Python dependency stack really runs without the GIL."""

from __future__ import annotations

__version__ = "0.1.0"
