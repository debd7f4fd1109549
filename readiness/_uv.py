"""Where the uv executable is: needed by interpreter discovery, the installers and the index.

It sits on the ground floor because three stages ask for it (interpreter/, environment/,
evidence/) and none of them may import another for it.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def find_uv() -> Path | None:
    """Return the uv executable: ``uv`` on PATH, else the one the ``uv`` Python package ships."""
    found = shutil.which("uv")
    if found is not None:
        return Path(found)
    try:
        # The uv wheel puts its binary in the scripts folder of the environment it is
        # installed in, which need not be on PATH (a venv not activated, pipx).
        from uv import find_uv_bin
    except ImportError:
        return None
    try:
        return Path(find_uv_bin())
    except FileNotFoundError:
        return None
