"""Benchmark the index service: 200 distributions from a local index with simulated latency.

Targets (issue 8): a cold run within 3 s; a warm run (every answer fresh in the cache)
under 0.2 s, with no request at all.

    python scripts/bench_index.py [--distributions 200] [--latency-ms 20 50]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from packaging import tags
from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness.evidence.index import IndexService
from readiness.evidence.interface import Query

PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "linux_x86_64"]
METADATA = b"Metadata-Version: 2.4\nName: demo\nVersion: 2.0\n"


def project_page(name: str) -> bytes:
    """Return a project page of three releases; the last has cp314t wheels and core metadata."""
    files = []
    for version in ("1.0", "1.1", "2.0"):
        module = name.replace("-", "_")
        abi = "cp314t" if version == "2.0" else "cp313"
        wheel = f"{module}-{version}-{abi[:5]}-{abi}-manylinux_2_28_x86_64.whl"
        files.append({"filename": wheel, "url": f"/files/{wheel}", "core-metadata": True})
        sdist = f"{module}-{version}.tar.gz"
        files.append({"filename": sdist, "url": f"/files/{sdist}"})
    page = {"meta": {"api-version": "1.1"}, "name": name, "versions": ["1.0", "1.1", "2.0"]}
    return json.dumps(page | {"files": files}).encode()


class Index:
    """A local index whose every answer takes ``latency`` seconds and may be cached 10 min."""

    def __init__(self, latency: tuple[float, float]) -> None:
        self.requests = 0
        self.lock = threading.Lock()
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with index.lock:
                    index.requests += 1
                time.sleep(random.uniform(*latency))  # noqa: S311 (simulated latency)
                if self.path.startswith("/simple/"):
                    body, kind = project_page(self.path.split("/")[2]), "vnd.pypi.simple.v1+json"
                else:
                    body, kind = METADATA, "octet-stream"
                self.send_response(200)
                self.send_header("Content-Type", f"application/{kind}")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "max-age=600, public")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 64

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        """The simple API root."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/simple"

    def close(self) -> None:
        """Stop serving."""
        self.httpd.shutdown()
        self.httpd.server_close()


def run(index: Index, queries: list[Query], cache_dir: Path) -> tuple[float, int]:
    """Query every distribution with a new client and service; return seconds and requests."""
    wheel_tags = list(tags.cpython_tags((3, 14), abis=["cp314t"], platforms=PLATFORMS))
    before = index.requests
    with httpx.Client(trust_env=False) as client:
        service = IndexService(
            client, index_url=index.url, target_tags=wheel_tags, abi="cp314t", cache_dir=cache_dir
        )
        started = time.perf_counter()
        found = service.query_all(queries)
        elapsed = time.perf_counter() - started
    wrong = [name for name, evidence in found.items() if evidence is None or evidence.unavailable]
    assert not wrong, f"unavailable: {wrong[:5]}"
    return elapsed, index.requests - before


def main() -> int:
    """Run the cold and the warm benchmark; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--distributions", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, nargs=2, default=(20.0, 50.0))
    arguments = parser.parse_args()
    latency = (arguments.latency_ms[0] / 1000, arguments.latency_ms[1] / 1000)
    queries = [
        Query(canonicalize_name(f"demo-{n}"), Version("1.0"))
        for n in range(arguments.distributions)
    ]
    index = Index(latency)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-index-") as cache:
            cold, cold_requests = run(index, queries, Path(cache))
            warm, warm_requests = run(index, queries, Path(cache))
    finally:
        index.close()
    print(
        f"{len(queries)} distributions, {arguments.latency_ms[0]:g}-{arguments.latency_ms[1]:g} ms"
        " per request"
    )
    print(f"cold: {cold:.2f} s, {cold_requests} requests (target <= 3 s)")
    print(f"warm: {warm:.3f} s, {warm_requests} requests (target < 0.2 s, 0 requests)")
    return 0 if cold <= 3 and warm < 0.2 and warm_requests == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
