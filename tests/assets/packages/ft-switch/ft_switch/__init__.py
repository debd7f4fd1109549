"""Compiled speedups by default; FT_SWITCH_NO_EXTENSIONS=1 keeps to pure Python.

As multidict, yarl or frozenlist do with their own variables, read at import.
"""

from __future__ import annotations

import os

if os.environ.get("FT_SWITCH_NO_EXTENSIONS"):
    IMPLEMENTATION = "python"
else:
    from ft_switch import _speedups  # noqa: F401

    IMPLEMENTATION = "c"
