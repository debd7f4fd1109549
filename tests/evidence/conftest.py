"""A real HTTP index on 127.0.0.1 that serves recorded simple-API pages and injects faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from packaging import tags

from readiness.evidence._http import RetryPolicy

ASSETS = Path(__file__).parent.parent / "assets" / "evidence" / "index"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"

LINUX_PLATFORMS = [
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "linux_x86_64",
]
"""A fixed host, so that the tests do not depend on the machine's own platform tags."""


def target_tags(major: int, minor: int) -> list[tags.Tag]:
    """The tags a free-threaded CPython ``major.minor`` on x86-64 Linux accepts."""
    abi = f"cp{major}{minor}t"
    return list(tags.cpython_tags((major, minor), abis=[abi], platforms=LINUX_PLATFORMS)) + list(
        tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms=LINUX_PLATFORMS)
    )


FAST = RetryPolicy(attempts=3, backoff=0.01, connect_timeout=2.0, read_timeout=2.0, deadline=5.0)
"""A retry policy that keeps fault tests quick."""


@dataclass
class Reply:
    """One scripted answer of the server."""

    body: bytes = b""
    status: int = 200
    content_type: str = SIMPLE_JSON
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering at all."""
    truncate: bool = False
    """Announce the whole body's length, send half of it, hang up."""
    drip: float = 0.0
    """Seconds between the bytes of the body."""
    etag: str | None = None
    """Sent as ETag; a request whose If-None-Match matches gets a 304."""


@dataclass
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


class IndexServer:
    """Serves scripted replies per path; a path's replies are used in turn, the last repeats."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        self.latency = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                # A client that gave up (timeouts, drips) closes the socket under a handler.
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """The server's root URL."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def index_url(self) -> str:
        """The simple API root."""
        return f"{self.url}/simple"

    def route(self, path: str, *replies: Reply) -> None:
        """Answer ``path`` with ``replies``, in turn."""
        with self.lock:
            self.routes[path] = list(replies)

    def serve_assets(self) -> None:
        """Serve every recorded page, metadata file and project JSON in the assets."""
        for page in ASSETS.glob("*.json"):
            name, _, kind = page.name.partition(".")
            if kind == "json":
                self.route(f"/simple/{name}/", Reply(page.read_bytes()))
            elif kind == "project.json":
                self.route(f"/pypi/{name}/json", Reply(page.read_bytes(), content_type="x/json"))
        for page in ASSETS.glob("*.html"):
            self.route(f"/simple/{page.stem}/", Reply(page.read_bytes(), content_type="text/html"))
        for metadata in ASSETS.glob("*.metadata"):
            self.metadata_for(metadata)

    def metadata_for(self, metadata: Path) -> None:
        """Serve ``metadata`` as the ``.metadata`` of every wheel of its release."""
        release = metadata.stem
        for page in ASSETS.glob("*.*"):
            text = page.read_text(encoding="utf-8")
            for word in text.replace('"', " ").replace(">", " ").replace("<", " ").split():
                if word.startswith(f"{release}-") and word.endswith(".whl"):
                    self.route(
                        f"/files/{word}.metadata",
                        Reply(metadata.read_bytes(), content_type="application/octet-stream"),
                    )

    def count(self, path: str | None = None) -> int:
        """Return how many requests reached ``path`` (all paths when None)."""
        with self.lock:
            return sum(1 for seen in self.seen if path is None or seen.path == path)

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        """Send the next scripted reply for the handler's path."""
        with self.lock:
            self.seen.append(Seen(handler.path, dict(handler.headers.items())))
            replies = self.routes.get(handler.path)
            reply = (replies.pop(0) if len(replies) > 1 else replies[0]) if replies else None
        if self.latency:
            time.sleep(self.latency)
        if reply is None:
            handler.send_error(404)
            return
        if reply.delay:
            time.sleep(reply.delay)
        if reply.etag is not None and handler.headers.get("If-None-Match") == reply.etag:
            handler.send_response(304)
            handler.send_header("ETag", reply.etag)
            for key, value in reply.headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            return
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        if reply.etag is not None:
            handler.send_header("ETag", reply.etag)
        for key, value in reply.headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        if reply.truncate:
            handler.wfile.write(reply.body[: len(reply.body) // 2])
            handler.wfile.flush()
            handler.close_connection = True
            return
        if reply.drip:
            for byte in reply.body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(reply.drip)
            return
        handler.wfile.write(reply.body)

    def start(self) -> None:
        """Begin serving, in a thread."""
        self.thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def index_server() -> Iterator[IndexServer]:
    """A running index serving the recorded assets."""
    server = IndexServer()
    server.serve_assets()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """An httpx client that ignores proxy settings from the environment, as tests must."""
    with httpx.Client(trust_env=False) as client:
        yield client
