"""A target synthesized from a version and a platform, for when no such interpreter is at hand.

Like ``uv pip compile --python-version 3.14 --python-platform linux``: the marker environment
and wheel tags a free-threaded CPython of that version would report on that platform, without
running one. Resolvers are told the version and platform by flags (``Target.synthetic``).
"""

from __future__ import annotations

import platform as host
import re
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from packaging import tags

from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.model import Target

_VERSION_REQUEST = re.compile(r"^(?P<major>3)\.(?P<minor>\d+)(?P<threading>t?)$")

# The glibc versions manylinux wheels are built for, newest first, for a platform other than
# this host's (whose own glibc packaging reads). 2.28 is what uv's `x86_64-unknown-linux-gnu`
# stands for (uv's docs, `--python-platform`); 2.17 is manylinux2014 (PEP 599, PEP 600).
_MANYLINUX_GLIBC_MINORS = range(28, 16, -1)

# The architectures manylinux2014 names (PEP 599); other Linux machines get only PEP 600 tags.
_MANYLINUX2014_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le"})


@dataclass(frozen=True)
class _PlatformFacts:
    """What a platform string says about the markers and the wheel platform tags."""

    sys_platform: str
    """``sys.platform``."""

    platform_system: str
    """``platform.system()``."""

    platform_machine: str
    """``platform.machine()``, as that operating system spells the architecture."""

    os_name: str
    """``os.name``."""

    platform_tags: tuple[str, ...]
    """Wheel platform tags, most preferred first."""


def host_platform() -> str:
    """Return this host's platform as ``sysconfig.get_platform()`` spells it."""
    return sysconfig.get_platform()


def synthesize_target(
    version: str = "3.14t", *, platform: str | None = None, python: Path | None = None
) -> Target:
    """Return the target a CPython ``version`` (``3.14t``) on ``platform`` would report.

    ``platform`` is spelled as ``sysconfig.get_platform()`` (``linux-x86_64``, ``win-amd64``,
    ``macosx-11.0-arm64``); this host's by default. ``python`` is any free-threaded CPython at
    hand that resolvers may run (see :attr:`Target.python`).
    Raises :class:`InterpreterError` for a version or platform that cannot be synthesized.
    """
    found = _VERSION_REQUEST.match(version.strip())
    if found is None:
        raise InterpreterError(
            f"cannot read the Python version `{version}`; expected 3.Y or 3.Yt, e.g. 3.14t"
        )
    major, minor = int(found["major"]), int(found["minor"])
    free_threaded = bool(found["threading"])
    # The free-threaded build exists from 3.13 on (PEP 703; "What's new in Python 3.13").
    if free_threaded and minor < 13:
        raise InterpreterError(f"there is no free-threaded build of Python {major}.{minor}")
    platform = platform or host_platform()
    facts = _platform_facts(platform)
    abi = f"cp{major}{minor}{'t' if free_threaded else ''}"
    full_version = f"{major}.{minor}.0"
    is_host = platform == host_platform()
    marker_environment = {
        "implementation_name": "cpython",
        "implementation_version": full_version,
        "os_name": facts.os_name,
        "platform_machine": facts.platform_machine,
        # Kernel release and build strings are the host's where the host is the platform;
        # elsewhere nothing can say them, and markers seldom test them.
        "platform_release": host.release() if is_host else "",
        "platform_system": facts.platform_system,
        "platform_version": host.version() if is_host else "",
        "python_full_version": full_version,
        "platform_python_implementation": "CPython",
        "python_version": f"{major}.{minor}",
        "sys_platform": facts.sys_platform,
    }
    wheel_tags = [
        *tags.cpython_tags((major, minor), abis=[abi], platforms=facts.platform_tags),
        *tags.compatible_tags((major, minor), f"cp{major}{minor}", facts.platform_tags),
    ]
    return Target(
        marker_environment=marker_environment,
        tags=wheel_tags,
        python=python,
        python_version=f"{major}.{minor}{'t' if free_threaded else ''}",
        platform=platform,
        synthetic=True,
    )


def _platform_facts(platform: str) -> _PlatformFacts:
    if platform == host_platform():
        return _PlatformFacts(
            sys_platform=sys.platform,
            platform_system=host.system(),
            platform_machine=host.machine(),
            os_name="nt" if sys.platform == "win32" else "posix",
            platform_tags=tuple(tags.platform_tags()),
        )
    if platform.startswith("linux-"):
        arch = platform.removeprefix("linux-")
        linux_tags = [f"manylinux_2_{minor}_{arch}" for minor in _MANYLINUX_GLIBC_MINORS]
        if arch in _MANYLINUX2014_ARCHES:
            linux_tags.append(f"manylinux2014_{arch}")
        return _PlatformFacts(
            sys_platform="linux",
            platform_system="Linux",
            platform_machine=arch,
            os_name="posix",
            platform_tags=(*linux_tags, f"linux_{arch}"),
        )
    windows = {"win-amd64": "AMD64", "win32": "x86", "win-arm64": "ARM64"}
    if platform in windows:
        return _PlatformFacts(
            sys_platform="win32",
            platform_system="Windows",
            platform_machine=windows[platform],
            os_name="nt",
            platform_tags=(platform.replace("-", "_"),),
        )
    mac = re.fullmatch(r"macosx-(?P<major>\d+)\.(?P<minor>\d+)-(?P<arch>arm64|x86_64)", platform)
    if mac is not None:
        mac_version = (int(mac["major"]), int(mac["minor"]))
        return _PlatformFacts(
            sys_platform="darwin",
            platform_system="Darwin",
            platform_machine=mac["arch"],
            os_name="posix",
            platform_tags=tuple(tags.mac_platforms(mac_version, mac["arch"])),
        )
    raise InterpreterError(
        f"cannot synthesize the platform `{platform}`; expected linux-<arch>, win-amd64, "
        "win32, win-arm64 or macosx-<major>.<minor>-<arm64|x86_64>"
    )


def synthetic_interpreter(target: Target) -> Interpreter:
    """Describe a synthesized ``target`` as an interpreter, for reports; nothing is run.

    Raises :class:`InterpreterError` for a target without a version or a platform.
    """
    if target.python_version is None or target.platform is None:
        raise InterpreterError("a synthetic target needs a version and a platform")
    full = target.marker_environment.get("python_full_version", "")
    try:
        major, minor, micro = (int(part) for part in full.split(".")[:3])
    except ValueError as e:
        raise InterpreterError(f"a synthetic target with no full version: {full!r}") from e
    return Interpreter(
        executable=Path(f"<synthesized CPython {target.python_version}>"),
        version=(major, minor, micro),
        implementation="cpython",
        gil_disabled_build=True,
        gil_enabled_at_start=False,
        abi_tag=f"cp{major}{minor}t",
        platform=target.platform,
        ext_suffix="",
        marker_environment=dict(target.marker_environment),
        build_info=f"synthesized free-threaded CPython {target.python_version}",
        synthetic=True,
    )
