"""Build wheels of the fixture projects in tests/assets/packages: offline, without setuptools.

A fixture project is a folder holding a ``fixture.toml``::

    name = "ft-gil"                  # the distribution name
    version = "1.0"
    requires = ["ft-ready"]          # Requires-Dist lines (optional)
    classifiers = ["Typing :: Typed"]  # Classifier lines (optional)

    [extensions]                     # dotted module name = C file: a Python extension module
    "ft_gil._core" = "core.c"

    [libraries]                      # path in the wheel = C file: a plain shared library
    "ft_gil.libs/libhelper.so.1" = "helper.c"

Every other file of the folder (``.py`` files, ``.pth`` files, a ``<name>-<version>.data``
tree) goes into the wheel at the same relative path; ``.c`` files and ``fixture.toml`` do not.
Extensions are compiled with the machine's ``cc`` for the interpreter the wheel is built for,
so the wheel's tag and file suffixes are that interpreter's.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGES = Path(__file__).parent / "assets" / "packages"
"""Where the fixture projects live."""

_TARGET_INSPECTION = """
import json, sys, sysconfig
print(json.dumps({
    "include": sysconfig.get_config_var("INCLUDEPY"),
    "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
    "platform": sysconfig.get_platform(),
    "version": list(sys.version_info[:2]),
    "gil_disabled": bool(sysconfig.get_config_var("Py_GIL_DISABLED")),
}))
"""


@dataclass(frozen=True)
class Target:
    """What a wheel's tag and its compiled files depend on, as the target interpreter says."""

    include: Path
    """``INCLUDEPY``: the directory holding ``Python.h`` (and ``pyconfig.h``)."""

    ext_suffix: str
    """``EXT_SUFFIX``: ``.cpython-313t-x86_64-linux-gnu.so``."""

    platform: str
    """``sysconfig.get_platform()``: ``linux-x86_64``."""

    version: tuple[int, int]
    """``sys.version_info[:2]``."""

    gil_disabled: bool
    """True for a free-threaded build."""

    @property
    def tag(self) -> str:
        """The wheel tag of a wheel with compiled code for this interpreter."""
        major, minor = self.version
        python = f"cp{major}{minor}"
        abi = python + ("t" if self.gil_disabled else "")
        platform = re.sub(r"[^A-Za-z0-9]", "_", self.platform)
        return f"{python}-{abi}-{platform}"


def inspect_target(python: Path) -> Target:
    """Ask ``python`` for what building an extension module for it needs."""
    output = subprocess.run(
        [str(python), "-I", "-c", _TARGET_INSPECTION],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    facts = json.loads(output)
    return Target(
        include=Path(facts["include"]),
        ext_suffix=facts["ext_suffix"],
        platform=facts["platform"],
        version=(facts["version"][0], facts["version"][1]),
        gil_disabled=facts["gil_disabled"],
    )


def build_wheel(python: Path, project: Path, dest: Path, *, target: Target | None = None) -> Path:
    """Build the fixture project in ``project`` into a wheel in ``dest``; return its path."""
    target = target or inspect_target(python)
    config = tomllib.loads((project / "fixture.toml").read_text())
    name: str = config["name"]
    version: str = config["version"]
    extensions: Mapping[str, str] = config.get("extensions", {})
    libraries: Mapping[str, str] = config.get("libraries", {})
    compiled = bool(extensions or libraries)

    files: dict[str, bytes] = {}
    for source in sorted(project.rglob("*")):
        if (
            source.is_file()
            and source.suffix != ".c"
            and source.name != "fixture.toml"
            and "__pycache__" not in source.parts
        ):
            files[source.relative_to(project).as_posix()] = source.read_bytes()
    with tempfile.TemporaryDirectory(prefix="wheelhouse-") as scratch:
        for module, c_file in extensions.items():
            wheel_path = module.replace(".", "/") + target.ext_suffix
            files[wheel_path] = _compile(project / c_file, Path(scratch), target)
        for wheel_path, c_file in libraries.items():
            files[wheel_path] = _compile(project / c_file, Path(scratch), target)

    tag = target.tag if compiled else "py3-none-any"
    stem = f"{_escape(name)}-{version}"
    dist_info = f"{stem}.dist-info"
    files[f"{dist_info}/METADATA"] = _metadata(
        name, version, config.get("requires", ()), config.get("classifiers", ())
    )
    files[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\n"
        "Generator: readiness-tests-wheelhouse\n"
        f"Root-Is-Purelib: {'false' if compiled else 'true'}\n"
        f"Tag: {tag}\n"
    ).encode()
    record = f"{dist_info}/RECORD"
    lines = [f"{entry},sha256={_digest(data)},{len(data)}" for entry, data in files.items()]
    files[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()

    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{stem}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name_in_wheel, data in files.items():
            archive.writestr(name_in_wheel, data)
    return wheel


def build_wheelhouse(python: Path, names: Iterable[str], dest: Path) -> Path:
    """Build the fixture projects ``names`` (folder names in PACKAGES) into ``dest``."""
    target = inspect_target(python)
    for name in names:
        build_wheel(python, PACKAGES / name, dest, target=target)
    return dest


def _compile(source: Path, scratch: Path, target: Target) -> bytes:
    output = scratch / (source.stem + ".so")
    # The free-threaded build's pyconfig.h defines Py_GIL_DISABLED itself, so INCLUDEPY is
    # all the interpreter-specific flags a one-file extension needs.
    command = ["cc", "-shared", "-fPIC", "-O1", f"-I{target.include}", "-o", str(output)]
    try:
        subprocess.run([*command, str(source)], check=True, capture_output=True, timeout=120)
    except subprocess.CalledProcessError as e:
        raise RuntimeError(f"cannot compile {source}:\n{e.stderr.decode(errors='replace')}") from e
    return output.read_bytes()


def _metadata(
    name: str, version: str, requires: Iterable[str], classifiers: Iterable[str]
) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    lines += [f"Classifier: {classifier}" for classifier in classifiers]
    return ("\n".join(lines) + "\n").encode()


def _digest(data: bytes) -> str:
    # RECORD hashes are urlsafe base64 without padding (PEP 376, the binary distribution format).
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _escape(name: str) -> str:
    # Wheel file names replace runs of -_. by one underscore (binary distribution format spec).
    return re.sub(r"[-_.]+", "_", name).lower()
