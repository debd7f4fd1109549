"""Entry point for ``python -m readiness``."""

from __future__ import annotations

import sys

from readiness._cli import main

if __name__ == "__main__":
    sys.exit(main())
