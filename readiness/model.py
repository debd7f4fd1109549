"""The model every stage shares: the target interpreter, and where distributions come from.

A source selects for a :class:`Target`; an installer, a resolver and the evidence services
use it and the :class:`IndexOptions` a dependency file names. Both live here, below every
stage, so that no stage imports another for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag

FREE_THREADING_CLASSIFIER = "Programming Language :: Python :: Free Threading ::"
"""The prefix of the trove classifiers that state free-threading support (added to the
trove-classifiers list in 2024: ``1 - Unstable`` to ``4 - Resilient``)."""


def free_threading_classifiers(classifiers: Iterable[str]) -> tuple[str, ...]:
    """Return those of ``classifiers`` that state free-threading support, in their order."""
    return tuple(c for c in classifiers if c.startswith(FREE_THREADING_CLASSIFIER))


@dataclass(frozen=True)
class Target:
    """The interpreter a source selects for, as that interpreter itself reported it."""

    marker_environment: Mapping[str, str]
    """PEP 508 marker variables (``python_version``, ``sys_platform``, ...)."""

    tags: Sequence[Tag]
    """Wheel tags the interpreter accepts, most preferred first."""

    python: Path | None = None
    """An interpreter that resolvers run to resolve for this target: the target itself when
    it is real; for a synthesized target, any free-threaded CPython at hand (uv takes the
    free-threaded ABI from it), or None."""

    python_version: str | None = None
    """The version asked for, ``3.14t`` (``t``: free-threaded); None when not known."""

    platform: str | None = None
    """The platform, as ``sysconfig.get_platform()`` spells it: ``linux-x86_64``,
    ``win-amd64``, ``macosx-11.0-arm64``; None when not known."""

    synthetic: bool = False
    """True when no interpreter of this version reported it: it was synthesized from
    ``python_version`` and ``platform``, so resolvers are told those by flags."""


@dataclass(frozen=True)
class IndexOptions:
    """Where a dependency file says to find distributions, for the installer to use."""

    index_url: str | None = None
    """The index that replaces the default one (``-i``/``--index-url``), if the file names one."""

    extra_index_urls: tuple[str, ...] = ()
    """Indexes searched beside it (``--extra-index-url``), in the order the file names them."""

    find_links: tuple[str, ...] = ()
    """Flat pages or local folders of distributions (``-f``/``--find-links``); a local path
    is absolute, resolved against the folder of the file that named it."""

    no_index: bool = False
    """Ignore every index and use only ``find_links`` (``--no-index``)."""
