"""A package index on 127.0.0.1 for the resolver tests: hand-made wheels, served by a thread.

alpha 1.0 and 1.1; beta 2.0 (needs alpha>=1); gamma 1.0 (needs beta); speedy 1.0 with a
free-threaded (cp313t) and a GIL (cp313) wheel, speedy 2.0 with only a GIL wheel: resolved
for a free-threaded 3.13, speedy is 1.0, for a GIL build 2.0.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WHEELS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("alpha", "1.0", "py3-none-any", ()),
    ("alpha", "1.1", "py3-none-any", ()),
    ("beta", "2.0", "py3-none-any", ("alpha>=1",)),
    ("gamma", "1.0", "py3-none-any", ("beta",)),
    ("speedy", "1.0", "cp313-cp313t-manylinux_2_17_x86_64", ()),
    ("speedy", "1.0", "cp313-cp313-manylinux_2_17_x86_64", ()),
    ("speedy", "2.0", "cp313-cp313-manylinux_2_17_x86_64", ()),
)
"""(name, version, tag, requires) of every wheel the index serves."""


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def make_wheel(folder: Path, name: str, version: str, tag: str, requires: Sequence[str]) -> Path:
    """Write a one-module wheel ``name-version-tag.whl`` into ``folder``."""
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {requirement}\n" for requirement in requires
    )
    files = {
        f"{module}.py": b"",
        f"{dist_info}/METADATA": metadata.encode(),
        f"{dist_info}/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: {tag}\n".encode(),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    path = folder / f"{module}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def build_index(root: Path) -> Path:
    """Write the wheels and a PEP 503 simple index over them under ``root``."""
    files = root / "files"
    files.mkdir(parents=True)
    by_project: dict[str, list[Path]] = {}
    for name, version, tag, requires in WHEELS:
        by_project.setdefault(name, []).append(make_wheel(files, name, version, tag, requires))
    for project, wheels in by_project.items():
        folder = root / "simple" / project
        folder.mkdir(parents=True)
        links = "".join(
            f'<a href="../../files/{w.name}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
            f"{w.name}</a>\n"
            for w in wheels
        )
        (folder / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")
    return root


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(root: Path) -> Iterator[str]:
    """Serve ``root`` on 127.0.0.1 (a free port) and yield the simple index's URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# An in-tree PEP 517 backend with the PEP 660 hooks, so that both installers read a local
# project's metadata (and pip its editable metadata) offline, with no build requirement.
BACKEND = """
import os

NAME, VERSION, REQUIRES = {name!r}, {version!r}, {requires!r}


def _metadata(directory):
    info = os.path.join(directory, NAME + "-" + VERSION + ".dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w") as file:
        file.write("Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n" % (NAME, VERSION))
        for requirement in REQUIRES:
            file.write("Requires-Dist: %s\\n" % requirement)
    return os.path.basename(info)


def get_requires_for_build_wheel(config_settings=None):
    return []


get_requires_for_build_editable = get_requires_for_build_wheel
prepare_metadata_for_build_wheel = lambda directory, config_settings=None: _metadata(directory)
prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("resolution only")


build_editable = build_wheel
"""


def make_project(folder: Path, name: str, version: str, requires: Sequence[str] = ()) -> Path:
    """Write a local project in ``folder`` whose metadata both installers read offline."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
        f"dependencies = {list(requires)!r}\n".replace("'", '"')
    )
    (folder / "backend.py").write_text(
        BACKEND.format(name=name, version=version, requires=tuple(requires))
    )
    return folder
