"""The top-level package is pure; only the accelerator, loaded on demand, needs the GIL."""

from __future__ import annotations

import importlib
from types import ModuleType


def accelerator() -> ModuleType:
    """Load the compiled accelerator."""
    return importlib.import_module("ft_lazy._accel")
