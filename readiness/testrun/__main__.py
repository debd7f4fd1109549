"""``python -m readiness.testrun test ...``: the command on its own, until the CLI wires it in.

It has the command line's options and exit codes, but a smaller error boundary: a
:class:`ReadinessError` is one message and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from readiness._cache import default_cache_dir
from readiness._errors import ReadinessError
from readiness._state import Progress
from readiness.policy import EXIT_INTERRUPTED, EXIT_USAGE
from readiness.testrun.command import add_test_parser, run_test


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cache-dir", type=Path, default=None, help="the readiness cache")
    parser.add_argument("--debug", action="store_true", help="raise errors with a traceback")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run ``test``; return the exit code."""
    parser = argparse.ArgumentParser(prog="readiness")
    add_test_parser(parser.add_subparsers(dest="command", required=True), _common_options)
    args = parser.parse_args(argv)
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return run_test(args, args.cache_dir or default_cache_dir(), Progress(), stderr)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except ReadinessError as error:
        if args.debug:
            raise
        stderr.print(f"error: {error}", markup=False)
        if error.hint:
            stderr.print(f"hint: {error.hint}", markup=False)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
