"""The interpreter that readiness probes, as it describes itself."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from packaging import tags

from readiness._errors import ReadinessError
from readiness.model import Target


class InterpreterError(ReadinessError):
    """Raised when no usable free-threaded interpreter can be found, proven or provisioned."""


@dataclass(frozen=True)
class Interpreter:
    """A CPython interpreter as its own inspection reported it."""

    executable: Path
    """The interpreter's executable, as given or found (not resolved through links)."""

    version: tuple[int, int, int]
    """``sys.version_info[:3]``."""

    implementation: str
    """``sys.implementation.name``, ``cpython`` for every interpreter readiness accepts."""

    gil_disabled_build: bool
    """``sysconfig.get_config_var("Py_GIL_DISABLED") == 1``: a free-threaded build."""

    gil_enabled_at_start: bool
    """``sys._is_gil_enabled()`` right after start-up, in a clean environment."""

    abi_tag: str
    """The interpreter's wheel ABI tag, ``cp314t`` for a free-threaded 3.14."""

    platform: str
    """``sysconfig.get_platform()``, ``linux-x86_64`` for instance."""

    ext_suffix: str
    """``EXT_SUFFIX``, the file suffix of its own extension modules."""

    marker_environment: Mapping[str, str] = field(hash=False)
    """PEP 508 marker variables, computed by the interpreter itself."""

    build_info: str = ""
    """``sys.version``, for reports."""

    synthetic: bool = False
    """True when no interpreter ran: this describes a target synthesized from a version and a
    platform (``--static --target 3.14t``)."""

    @property
    def version_tag(self) -> str:
        """``3.14t`` for a free-threaded 3.14, ``3.13`` for a GIL build of 3.13."""
        major, minor, _ = self.version
        return f"{major}.{minor}{'t' if self.gil_disabled_build else ''}"

    @property
    def version_string(self) -> str:
        """``3.14.0``."""
        return ".".join(map(str, self.version))

    def wheel_tags(self) -> list[tags.Tag]:
        """Return the wheel tags this interpreter accepts, most preferred first.

        The platform tags are this host's: an interpreter readiness runs must run here.
        """
        major, minor, _ = self.version
        return list(_wheel_tags(major, minor, self.abi_tag))

    def target(self) -> Target:
        """Return what dependency sources select for when they select for this interpreter."""
        return Target(
            marker_environment=dict(self.marker_environment),
            tags=self.wheel_tags(),
            python=self.executable,
            python_version=self.version_tag,
            platform=self.platform,
        )


@functools.cache
def _wheel_tags(major: int, minor: int, abi: str) -> tuple[tags.Tag, ...]:
    """Return the tags of :meth:`Interpreter.wheel_tags`, made once a run (thousands of them)."""
    return (
        *tags.cpython_tags((major, minor), abis=[abi], platforms=tags.platform_tags()),
        *tags.compatible_tags((major, minor), f"cp{major}{minor}"),
    )
