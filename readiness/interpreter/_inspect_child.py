"""Describe the running interpreter as one JSON object on stdout.

Run by a candidate interpreter as ``[exe, "-I", this_file]``, never imported by readiness.
STANDARD LIBRARY ONLY, and valid on Python 3.8+: GIL builds and old interpreters must be
inspected too, so that readiness can refuse them with a message saying what they are.
``-I`` keeps this file's directory off ``sys.path``, so ``inspect.py`` beside it cannot
shadow the standard library's ``inspect``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import sysconfig


def _format_full_version(info: sys._version_info) -> str:
    # NOTE: the same as packaging.markers._format_full_version (packaging 26.4).
    version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def marker_environment() -> dict[str, str]:
    """Return the PEP 508 marker variables exactly as packaging's default_environment()."""
    # NOTE: a copy of packaging.markers._cached_default_environment (packaging 26.4); PEP 508
    # defines each variable by the stdlib expression used here.
    implementation = sys.implementation
    return {
        "implementation_name": implementation.name,
        "implementation_version": _format_full_version(implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def describe() -> dict[str, object]:
    """Return what readiness needs to know about this interpreter."""
    major, minor = sys.version_info[:2]
    gil_disabled = sysconfig.get_config_var("Py_GIL_DISABLED") == 1
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    return {
        "version": list(sys.version_info[:3]),
        "implementation": sys.implementation.name,
        "gil_disabled_build": gil_disabled,
        # Before 3.13 there is no sys._is_gil_enabled(): the GIL is always on.
        "gil_enabled_at_start": bool(is_gil_enabled()) if is_gil_enabled is not None else True,
        # The wheel ABI tag, as packaging.tags._cpython_abis builds it for 3.8+ (no "m" suffix
        # since 3.8; "t" for a free-threaded build, PEP 703).
        "abi_tag": f"cp{major}{minor}{'t' if gil_disabled else ''}",
        "platform": sysconfig.get_platform(),
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX") or "",
        "build_info": sys.version,
        "marker_environment": marker_environment(),
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(describe()) + "\n")
