"""A package index on 127.0.0.1 that serves a folder of distributions through the simple API.

PEP 691 JSON pages and the files themselves, so that real installers install from it and the
index evidence service reads it, as they would a private mirror.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


def _project_of(filename: str) -> str:
    if filename.endswith(".whl"):
        return canonicalize_name(parse_wheel_filename(filename)[0])
    return canonicalize_name(parse_sdist_filename(filename)[0])


def _project_page(folder: Path, project: str) -> dict[str, object]:
    files = sorted(
        path
        for path in folder.iterdir()
        if path.suffix in (".whl", ".gz") and _project_of(path.name) == project
    )
    versions = sorted(
        {
            str(
                parse_wheel_filename(path.name)[1]
                if path.suffix == ".whl"
                else parse_sdist_filename(path.name)[1]
            )
            for path in files
        }
    )
    return {
        "meta": {"api-version": "1.1"},
        "name": project,
        "versions": versions,
        "files": [
            {
                "filename": path.name,
                "url": f"/files/{path.name}",
                "hashes": {"sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
            }
            for path in files
        ],
    }


@contextmanager
def serve_index(folder: Path, asked: list[str] | None = None) -> Iterator[str]:
    """Serve ``folder``'s wheels and sdists; yield the simple API's URL.

    Each connection, and each request line (whatever the method, answered or not), is appended
    to ``asked``, for a test to tell whether an installer contacted this index at all.
    """

    class Handler(BaseHTTPRequestHandler):
        # uv asks with HEAD first (whether the file supports range requests).
        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def setup(self) -> None:
            # A connection that sends no request at all is contact too.
            if asked is not None:
                asked.append("connection")
            super().setup()

        def parse_request(self) -> bool:
            # Every request, whatever its method, is recorded before it is answered.
            parsed = super().parse_request()
            if asked is not None:
                asked.append(self.requestline)
            return parsed

        def do_GET(self, head: bool = False) -> None:
            path = unquote(self.path.split("?", 1)[0])
            if path.startswith("/files/"):
                file = folder / path.removeprefix("/files/")
                if file.parent == folder and file.is_file():
                    self._send(file.read_bytes(), "application/octet-stream", head)
                    return
            elif path.startswith("/simple/") and path.count("/") == 3:
                project = canonicalize_name(path.split("/")[2])
                page = _project_page(folder, project)
                if page["files"]:
                    self._send(json.dumps(page).encode(), SIMPLE_JSON, head)
                    return
            self.send_error(404)

        def _send(self, body: bytes, content_type: str, head: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/simple"
    finally:
        server.shutdown()
        server.server_close()
