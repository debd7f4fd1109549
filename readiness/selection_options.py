"""The selection flags (``--extra``, ``--group``, ...), the same for ``scan`` and ``deps``."""

from __future__ import annotations

import argparse

from readiness.sources.interface import Selection


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """Add the flags that choose a project's optional parts, as uv spells them."""
    select = parser.add_argument_group("selection")
    select.add_argument("--extra", action="append", default=[], help="include this extra")
    select.add_argument("--group", action="append", default=[], help="include this group")
    select.add_argument("--all-extras", action="store_true", help="include every extra")
    select.add_argument("--all-groups", action="store_true", help="include every group")
    select.add_argument("--no-dev", action="store_true", help="leave out the dev group")


def selection_from(args: argparse.Namespace) -> Selection:
    """Return the selection the parsed flags ask for."""
    return Selection(
        extras=frozenset(args.extra),
        groups=frozenset(args.group),
        all_extras=args.all_extras,
        all_groups=args.all_groups,
        no_dev=args.no_dev,
    )
