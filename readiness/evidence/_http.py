"""GET with an on-disk HTTP cache and bounded retries, for the index service.

A cached answer is served without a request while its ``max-age`` lasts (RFC 9111
section 4.2), and once the server has given or confirmed it to the same fetcher (one run
asks for a URL once), then revalidated with ``If-None-Match`` / ``If-Modified-Since``
(RFC 9110 section 13). Every failure that another try may cure (a 5xx, a 429, a timeout,
a refused or dropped connection, a truncated or undecodable body, a body that drips in
slower than the deadline) is retried with exponential backoff; after the last try the
caller gets :class:`FetchFailed` with the reason, never a half-read answer.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

from readiness._cache import RecordStore
from readiness.evidence.interface import ServiceError

if TYPE_CHECKING:
    import httpx

    HttpClient: TypeAlias = httpx.Client | Callable[[], httpx.Client]
    """A client, or what makes one on first use (a warm run whose answers are kept makes
    none, and does not even import httpx)."""

ParsedT = TypeVar("ParsedT")

CACHE_FORMAT = 2
"""Bumped when the layout of a cache entry changes; older entries are then ignored."""


class FetchFailed(ServiceError):
    """Raised when a URL could not be fetched after every retry (the message says why)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.reason = reason
        """Why, without the URL."""


class BodyInvalid(ValueError):
    """Raised by a parser given a body that is not what the server promised (retried)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait for the index and how often to try again."""

    attempts: int = 3
    """Tries per URL, the first included."""

    backoff: float = 0.5
    """Seconds before the second try; each later wait doubles it (plus up to 10% jitter)."""

    connect_timeout: float = 5.0
    """Seconds to open a connection."""

    read_timeout: float = 10.0
    """Seconds without a single byte from the server before a try is abandoned."""

    deadline: float = 30.0
    """Seconds for one whole try, body included: a server that drips bytes just fast
    enough to beat ``read_timeout`` is abandoned at this point."""

    def timeout(self) -> httpx.Timeout:
        """Return the httpx timeouts of one try."""
        import httpx

        return httpx.Timeout(
            self.read_timeout,
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.read_timeout,
            pool=self.deadline,
        )


@dataclass(frozen=True)
class _Entry:
    """One cached answer: the body and what is needed to revalidate it."""

    body: str
    media_type: str
    etag: str | None
    last_modified: str | None
    fresh_until: float


@dataclass(frozen=True)
class Fetched(Generic[ParsedT]):
    """What :meth:`CachedFetcher.fetch` found."""

    value: ParsedT
    """The parsed body."""

    not_modified: bool
    """True when the body is the cached one: fresh, or confirmed by a 304."""


class _Retry(Exception):
    """One try failed in a way another try may cure."""


def freshness_lifetime(headers: httpx.Headers) -> float | None:
    """Return how many more seconds a response stays fresh; None when it must not be stored.

    ``max-age`` minus ``Age`` (RFC 9111 section 4.2.3); ``no-cache`` or no ``max-age``
    means zero (store it, revalidate every time); ``no-store`` means do not store.
    """
    directives = {
        part.strip().split("=", 1)[0].lower(): part.strip().partition("=")[2].strip('"')
        for part in headers.get("cache-control", "").split(",")
        if part.strip()
    }
    if "no-store" in directives:
        return None
    if "no-cache" in directives or "max-age" not in directives:
        return 0.0
    try:
        max_age = float(int(directives["max-age"]))
        age = float(int(headers.get("age", "0")))
    except ValueError:
        return 0.0
    return max(max_age - age, 0.0)


class LazyClient:
    """An :class:`httpx.Client` made on first use, and closed with the ``with`` block.

    A warm scan whose evidence is all kept asks the index nothing: it should neither import
    httpx nor build a client (and its TLS context) to do so.
    """

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def __call__(self) -> httpx.Client:
        """Return the client, made on the first call (from any thread)."""
        with self._lock:
            if self._client is None:
                import httpx

                self._client = httpx.Client(**self._options)
            return self._client

    def __enter__(self) -> LazyClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()


class CachedFetcher:
    """Fetches URLs through one shared client, a disk cache and the retry policy.

    Safe to use from many threads at once: the client is, and each cache entry is
    replaced atomically.
    """

    def __init__(
        self,
        client: HttpClient,
        *,
        cache_dir: Path | None,
        policy: RetryPolicy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.cache_dir = cache_dir
        self.policy = policy
        self._clock = clock
        self._store = None if cache_dir is None else RecordStore(cache_dir, _Entry, CACHE_FORMAT)
        self._answered: set[str] = set()
        """The keys of the answers the server gave (or confirmed) to this fetcher: asking
        again within one run would learn nothing new."""

    def get(
        self,
        url: str,
        *,
        accept: str,
        parse: Callable[[str, str], ParsedT],
        reusable: Callable[[ParsedT], bool] | None = None,
        reuse_for: float = 0.0,
    ) -> ParsedT | None:
        """Return ``parse(body, media_type)`` of ``url``; None when the server says 404 or 410.

        ``parse`` raises :class:`BodyInvalid` for a body it cannot read; that try is then
        retried, and the body is never cached. Raises :class:`FetchFailed` after the last try.
        A cached answer no longer fresh is used without a request all the same when it was
        stored (or last revalidated) within ``reuse_for`` seconds and ``reusable`` accepts
        what it says: the caller's own time-to-live, for a question the answer holds.
        """
        fetched = self.fetch(
            url, accept=accept, parse=parse, reusable=reusable, reuse_for=reuse_for
        )
        return None if fetched is None else fetched.value

    def fetch(
        self,
        url: str,
        *,
        accept: str,
        parse: Callable[[str, str], ParsedT],
        revalidate: bool = False,
        reusable: Callable[[ParsedT], bool] | None = None,
        reuse_for: float = 0.0,
    ) -> Fetched[ParsedT] | None:
        """Return what :meth:`get` does, and whether it is the cached body.

        ``revalidate`` asks the server even while the cached answer is fresh (a conditional
        request, when there is a cached answer to validate).
        """
        key = self._store.key(accept, url) if self._store is not None else ""
        cached = self._store.load(key) if self._store is not None else None
        if cached is not None and not revalidate:
            # Fresh, or answered by the server to this fetcher already: no request.
            current = cached.fresh_until > self._clock() or key in self._answered
            if current or (reusable is not None and self._stored_within(key, reuse_for)):
                try:
                    value = parse(cached.body, cached.media_type)
                except BodyInvalid:
                    cached = None
                else:
                    if current or (reusable is not None and reusable(value)):
                        return Fetched(value, not_modified=True)
        reason = "no try made"
        for attempt in range(self.policy.attempts):
            if attempt:
                pause = self.policy.backoff * 2 ** (attempt - 1)
                time.sleep(pause * (1 + random.random() / 10))  # noqa: S311 (jitter, not crypto)
            try:
                return self._try(url, accept, parse, cached, key)
            except _Retry as e:
                reason = str(e)
        raise FetchFailed(url, f"{reason} (after {self.policy.attempts} tries)")

    def _stored_within(self, key: str, seconds: float) -> bool:
        return seconds > 0 and self._store is not None and self._store.holds(key, max_age=seconds)

    def _try(
        self,
        url: str,
        accept: str,
        parse: Callable[[str, str], ParsedT],
        cached: _Entry | None,
        key: str,
    ) -> Fetched[ParsedT] | None:
        import httpx

        client = self._client if isinstance(self._client, httpx.Client) else self._client()
        headers = {"Accept": accept}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        started = time.monotonic()
        try:
            with client.stream(
                "GET", url, headers=headers, timeout=self.policy.timeout(), follow_redirects=True
            ) as response:
                if response.status_code in (404, 410):
                    return None
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retry(f"HTTP {response.status_code}")
                if response.status_code == 304 and cached is not None:
                    self._keep(key, cached.body, cached.media_type, response.headers, cached)
                    return Fetched(parse(cached.body, cached.media_type), not_modified=True)
                if response.status_code != 200:
                    # 401, 403 and the like: asking again will not change the answer.
                    raise FetchFailed(url, f"HTTP {response.status_code}")
                chunks: list[bytes] = []
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    if time.monotonic() - started > self.policy.deadline:
                        raise _Retry(f"the answer took longer than {self.policy.deadline:g} s")
                text = b"".join(chunks).decode(response.encoding or "utf-8")
                media_type = response.headers.get("content-type", "").partition(";")[0].strip()
                parsed = parse(text, media_type)
                self._keep(key, text, media_type, response.headers, None)
                return Fetched(parsed, not_modified=False)
        except httpx.TimeoutException as e:
            raise _Retry(f"timed out ({type(e).__name__})") from e
        except httpx.TransportError as e:
            # Refused or dropped connections, and bodies cut short of their Content-Length
            # (httpx raises RemoteProtocolError for "peer closed connection without
            # sending complete message body").
            raise _Retry(f"{type(e).__name__}: {e}") from e
        except httpx.DecodingError as e:
            raise _Retry(f"undecodable body: {e}") from e
        except (BodyInvalid, UnicodeDecodeError) as e:
            raise _Retry(f"invalid body: {e}") from e

    def _keep(
        self,
        key: str,
        body: str,
        media_type: str,
        headers: httpx.Headers,
        previous: _Entry | None,
    ) -> None:
        if self._store is None:
            return
        lifetime = freshness_lifetime(headers)
        if lifetime is None:
            return
        # A 304 may omit the validators; the stored ones still hold (RFC 9111 section 4.3.4).
        etag = headers.get("etag") or (previous.etag if previous else None)
        modified = headers.get("last-modified") or (previous.last_modified if previous else None)
        if modified is not None and not _valid_http_date(modified):
            modified = None
        entry = _Entry(body, media_type, etag, modified, self._clock() + lifetime)
        try:
            self._store.store(key, entry)
        except OSError:
            # A cache that cannot be written costs a request next time, not the scan.
            return
        self._answered.add(key)


def _valid_http_date(value: str) -> bool:
    from email.utils import parsedate_to_datetime  # for a response only: not on a warm run

    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    return True
