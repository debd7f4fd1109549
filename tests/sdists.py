"""Pack the sdists of tests/assets/sdists, with the setuptools wheel that builds them offline.

Each folder there is the tree of one sdist (``PKG-INFO`` and ``setup.py``), packed as
``name-version.tar.gz``. A ``setup.py`` needs setuptools in the build environment that pip and
uv create; the tests have no index to fetch it from, so it is taken from the interpreter's own
files: CPython keeps a setuptools wheel for its test suite (``Lib/test/wheeldata``, 3.12 on),
and older ones bundle one for ensurepip.
"""

from __future__ import annotations

import email.parser
import ensurepip
import shutil
import subprocess
import tarfile
from pathlib import Path

SDISTS = Path(__file__).parent / "assets" / "sdists"
"""Where the sdist trees live."""

_STDLIB_QUERY = "import sysconfig; print(sysconfig.get_path('stdlib'))"


def pack_sdist(tree: Path, folder: Path) -> Path:
    """Pack the sdist tree ``tree`` into ``folder`` as ``name-version.tar.gz``; return it."""
    metadata = email.parser.Parser().parsestr((tree / "PKG-INFO").read_text(encoding="utf-8"))
    base = f"{metadata['Name'].replace('-', '_')}-{metadata['Version']}"
    path = folder / f"{base}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for file in sorted(tree.iterdir()):
            archive.add(file, arcname=f"{base}/{file.name}")
    return path


def setuptools_wheel(python: Path) -> Path:
    """Return a setuptools wheel on this machine: ``python``'s test data, else ensurepip's.

    Fails the test (it does not skip) when there is none.
    """
    completed = subprocess.run(
        [str(python), "-I", "-c", _STDLIB_QUERY],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stdlib = Path(completed.stdout.strip())
    places = [stdlib / "test" / "wheeldata", Path(ensurepip.__file__).parent / "_bundled"]
    for place in places:
        found = sorted(place.glob("setuptools-*-py3-none-any.whl"))
        if found:
            return found[-1]
    raise AssertionError(f"no setuptools wheel in {', '.join(map(str, places))}")


def sdist_folder(python: Path, folder: Path, *names: str) -> Path:
    """Fill ``folder`` with the sdists ``names`` and a setuptools wheel to build them; return it."""
    for name in names:
        pack_sdist(SDISTS / name, folder)
    shutil.copy(setuptools_wheel(python), folder)
    return folder
