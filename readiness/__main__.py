"""Entry point for ``python -m readiness``."""

from __future__ import annotations

from readiness._cli import run

if __name__ == "__main__":
    run()
