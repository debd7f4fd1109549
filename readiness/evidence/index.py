"""What the package index offers the probed interpreter, from its simple API.

One request per distribution: the project's page of the simple repository API, in JSON
(PEP 691) where the index speaks it, in HTML (PEP 503) where it does not. Its file names
carry the wheel tags (PEP 427), and its ``yanked`` (PEP 592), ``requires-python``
(PEP 503) and ``core-metadata`` (PEP 658, PEP 714) keys the rest. The free-threading
classifier comes from the installed metadata of what the scan installed (the query carries
it); for the rest, from the pinned version's core metadata (one more small request) where
the index serves it, else from the project JSON, which has only the latest version's.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urldefrag, urljoin, urlsplit

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from readiness._cache import RecordStore
from readiness._defaults import DEFAULT_INDEX_MAX_AGE
from readiness.evidence._http import BodyInvalid, CachedFetcher, FetchFailed, RetryPolicy
from readiness.evidence.interface import (
    EvidenceService,
    IndexEvidence,
    Query,
    ServiceError,
    WheelKind,
)
from readiness.model import free_threading_classifiers

SIMPLE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
"""PEP 691 content negotiation: JSON preferred, the HTML of PEP 503 accepted."""

STABLE_ABI_FREE_THREADED = "abi3t"
"""The free-threaded stable ABI of PEP 803 (CPython 3.15). ``abi3`` is not loadable by a
free-threaded 3.13 or 3.14 (their builds have no stable ABI), and packaging does not
emit it for a ``cp3XXt`` ABI, so a wheel tagged only ``abi3`` never counts."""

if TYPE_CHECKING:
    from readiness.evidence._http import HttpClient

T = TypeVar("T")

EVIDENCE_FORMAT = 2
"""The layout of a kept answer: bumped when :class:`IndexEvidence` changes."""

DEFAULT_WORKERS = 16
"""Requests in flight at once in :meth:`IndexService.query_all`."""

PREFETCH_AT_MOST = 8
"""The most queries :meth:`IndexService.prefetch` asks for while a stack installs: a changed
pin or a few. A cold scan's hundreds wait until the install is done rather than compete with
the installer for the same index (a mirror that serves one request at a time slows both)."""


@dataclass(frozen=True)
class IndexFile:
    """One file of a project page."""

    filename: str
    """Its file name, which for a wheel carries its tags."""

    url: str
    """Its absolute URL, without a fragment."""

    yanked: bool
    """Yanked from the index (PEP 592)."""

    yanked_reason: str | None
    """The reason given for yanking, if any."""

    requires_python: str | None
    """Its ``Requires-Python``, as the page gives it."""

    core_metadata: bool
    """The index serves its core metadata at ``url + ".metadata"`` (PEP 658)."""

    sha256: str | None = None
    """Its SHA-256 digest (PEP 691's ``hashes``, PEP 503's URL fragment), where given."""


@dataclass(frozen=True)
class ProjectPage:
    """A project's page of the simple API, reduced to what the evidence needs."""

    files: tuple[IndexFile, ...]
    """Every file, in the page's order."""

    versions: tuple[str, ...] | None
    """The ``versions`` list of PEP 700 (API 1.1), where the page has one."""

    api_version: str | None = None
    """The page's ``api-version`` (PEP 629), where it gives one."""


def _yanked(value: object) -> tuple[bool, str | None]:
    # PEP 691: "yanked" is a boolean or, when yanked with a reason, the reason.
    if isinstance(value, str):
        return True, value or None
    return bool(value), None


def _sha256(hashes: object, url: str) -> str | None:
    """Return the SHA-256 digest a file entry gives: in its ``hashes``, else its URL's fragment."""
    if isinstance(hashes, dict) and isinstance(hashes.get("sha256"), str):
        return str(hashes["sha256"]).lower()
    name, _, value = urldefrag(url).fragment.partition("=")
    return value.lower() if name == "sha256" and value else None


def _absolute(page_url: str, url: str) -> str:
    # PEP 691: file URLs may be relative to the page; the fragment (a hash, in PEP 503
    # pages) is no part of the address, nor of the metadata's (PEP 658).
    return urldefrag(urljoin(page_url, url)).url


def _index_file(item: object, page_url: str) -> IndexFile:
    """Read one file entry of a PEP 691 page (an HTML anchor is said in its words first)."""
    if not isinstance(item, dict):
        raise BodyInvalid("a file entry is not an object")
    filename, url = item.get("filename"), item.get("url")
    if not isinstance(filename, str) or not isinstance(url, str):
        raise BodyInvalid("a file entry without filename or url")
    yanked, reason = _yanked(item.get("yanked", False))
    requires_python = item.get("requires-python")
    # PEP 714 renamed "dist-info-metadata" to "core-metadata"; older indexes send the former.
    metadata = item.get("core-metadata", item.get("dist-info-metadata", False))
    return IndexFile(
        filename=filename,
        url=_absolute(page_url, url),
        yanked=yanked,
        yanked_reason=reason,
        requires_python=requires_python if isinstance(requires_python, str) else None,
        core_metadata=bool(metadata),
        sha256=_sha256(item.get("hashes"), url),
    )


def parse_project_json(text: str, page_url: str) -> ProjectPage:
    """Read a PEP 691 JSON project page; raises :class:`BodyInvalid` for anything else."""
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as e:
        raise BodyInvalid(f"not JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise BodyInvalid("JSON without a 'files' list")
    files = tuple(_index_file(item, page_url) for item in data["files"])
    versions = data.get("versions")
    meta = data.get("meta")
    api_version = meta.get("api-version") if isinstance(meta, dict) else None
    return ProjectPage(
        files=files,
        versions=tuple(str(v) for v in versions) if isinstance(versions, list) else None,
        api_version=api_version if isinstance(api_version, str) else None,
    )


def parse_project_html(text: str, page_url: str) -> ProjectPage:
    """Read a PEP 503 HTML project page (with the ``data-*`` attributes of PEP 592/658/714)."""
    # Imported here: most indexes answer in JSON, and a warm run reads no page at all.
    from readiness.evidence._anchors import AnchorCollector

    collector = AnchorCollector()
    collector.feed(text)
    collector.close()
    files = []
    for attributes, filename in collector.anchors:
        href = attributes.get("href")
        if not href or not filename:
            continue
        # PEP 592: data-yanked present (with or without a value) means yanked; its value,
        # when not empty, is the reason, as PEP 691's "yanked" string is.
        yanked = (attributes["data-yanked"] or True) if "data-yanked" in attributes else False
        metadata = attributes.get("data-core-metadata", attributes.get("data-dist-info-metadata"))
        item = {
            "filename": filename,
            "url": href,
            "yanked": yanked,
            "requires-python": attributes.get("data-requires-python"),
            "core-metadata": metadata is not None and metadata != "false",
        }
        files.append(_index_file(item, page_url))
    return ProjectPage(files=tuple(files), versions=None, api_version=collector.api_version)


def parse_project_page(text: str, media_type: str, page_url: str) -> ProjectPage:
    """Read a project page in whichever format the index answered with."""
    if "json" in media_type:
        return parse_project_json(text, page_url)
    if "html" in media_type:
        return parse_project_html(text, page_url)
    raise BodyInvalid(f"a project page of type {media_type or 'unknown'!r}")


def free_threading_classifier(classifiers: Iterable[str]) -> str | None:
    """Return the free-threading classifier among ``classifiers``, if there is one."""
    return next(iter(free_threading_classifiers(classifiers)), None)


def _parse_metadata(text: str, media_type: str) -> list[str]:
    # Core metadata is an email-header block (core metadata spec); a page without its
    # mandatory Metadata-Version header is an error page, not metadata.
    import email.parser  # only for a page the index serves: not on a warm run's path

    headers = email.parser.HeaderParser().parsestr(text)
    if headers.get("Metadata-Version") is None:
        raise BodyInvalid("core metadata without Metadata-Version")
    return [str(value) for value in headers.get_all("Classifier") or []]


def _parse_project_json_api(text: str, media_type: str) -> tuple[str, list[str]]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as e:
        raise BodyInvalid(f"not JSON: {e}") from e
    info = data.get("info") if isinstance(data, dict) else None
    if not isinstance(info, dict) or not isinstance(info.get("version"), str):
        raise BodyInvalid("project JSON without info.version")
    classifiers = info.get("classifiers")
    if not isinstance(classifiers, list):
        classifiers = []
    return info["version"], [str(c) for c in classifiers]


@dataclass(frozen=True)
class _Release:
    """The files of one version, as the interpreter sees them."""

    version: Version
    files: tuple[IndexFile, ...]
    free_threaded: tuple[IndexFile, ...]
    pure: tuple[IndexFile, ...]
    sdists: tuple[IndexFile, ...]

    @property
    def all_yanked(self) -> bool:
        return bool(self.files) and all(f.yanked for f in self.files)

    def kind(self) -> WheelKind:
        if self.free_threaded:
            return WheelKind.FREE_THREADED_WHEEL
        if self.pure:
            return WheelKind.PURE
        if self.sdists:
            return WheelKind.SOURCE_BUILD_REQUIRED
        return WheelKind.NO_FREE_THREADED_WHEEL

    def has_free_threaded_wheel(self) -> bool:
        return any(not f.yanked for f in self.free_threaded)


def python_version_of(abi: str) -> Version | None:
    """Return ``3.14`` for ``cp314t``; None for an ABI tag that names no CPython version."""
    match = re.fullmatch(r"cp(\d)(\d+)t?", abi)
    return Version(f"{match[1]}.{match[2]}") if match else None


class Prefetch:
    """Work begun on a thread of its own, waited for (and its error raised) later."""

    def __init__(self, work: Callable[[], object]) -> None:
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(work,), name="readiness-prefetch", daemon=True
        )
        self._thread.start()

    def _run(self, work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as e:  # raised again by wait(), in the scan
            self._error = e

    def wait(self) -> None:
        """Return once the work is done; raise what it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error


class IndexService(EvidenceService[IndexEvidence]):
    """Evidence from a package index's simple API, for one free-threaded interpreter."""

    def __init__(
        self,
        client: HttpClient,
        *,
        index_url: str,
        target_tags: Sequence[Tag],
        abi: str,
        cache_dir: Path | None,
        policy: RetryPolicy | None = None,
        workers: int = DEFAULT_WORKERS,
        classifiers: bool = True,
        max_age: float = DEFAULT_INDEX_MAX_AGE,
    ) -> None:
        """Ask ``index_url`` (a simple API root) about the interpreter of ``target_tags``.

        ``abi`` is the interpreter's free-threaded ABI tag (``cp314t``); ``cache_dir`` is
        the readiness cache directory (entries go in its ``index/``), None for no cache.
        ``classifiers=False`` skips the requests for the free-threading classifier.
        What the index said of a pinned distribution is kept and used again for ``max_age``
        seconds without a request (0: always ask; the pages are still revalidated).
        Raises :class:`ServiceError` for an index URL that is not HTTP(S).
        """
        try:
            url = urlsplit(index_url)
            host = url.hostname
        except ValueError:  # a malformed host (an unclosed IPv6 bracket)
            host = None
        if host is None or url.scheme not in ("http", "https"):
            raise ServiceError(
                f"the index URL {index_url!r} is not an HTTP(S) URL",
                hint="pass --index-url with the https:// address of a simple API index",
            )
        self.index_url = index_url.rstrip("/")
        self.target_tags = frozenset(target_tags)
        self.abi = abi
        self.python_version = python_version_of(abi)
        self.workers = max(1, workers)
        self.classifiers = classifiers
        self.fetcher = CachedFetcher(
            client,
            cache_dir=cache_dir / "index" if cache_dir is not None else None,
            policy=policy or RetryPolicy(),
        )
        self.max_age = max_age
        self._kept = (
            None
            if cache_dir is None or max_age <= 0
            else RecordStore(cache_dir / "index" / "evidence", IndexEvidence, EVIDENCE_FORMAT)
        )
        # What decides the evidence besides the query: the index and the interpreter.
        self._identity = hashlib.sha256(
            "\n".join(
                [self.index_url, abi, str(classifiers), *sorted(map(str, target_tags))]
            ).encode()
        ).hexdigest()

    def project_url(self, name: NormalizedName) -> str:
        """Return the URL of ``name``'s project page."""
        return f"{self.index_url}/{name}/"

    def query(self, query: Query) -> IndexEvidence:
        """Return what the index offers for ``query``; failures are ``unavailable``, not raised.

        Evidence the index gave within ``max_age`` is used again without a request; an
        ``unavailable`` answer is never kept.
        """
        kept = self._load(query)
        return kept if kept is not None else self._ask_and_keep(query)

    def _load(self, query: Query) -> IndexEvidence | None:
        """Return the evidence kept for ``query`` within ``max_age``, if any."""
        return (
            None if self._kept is None else self._kept.load(self._key(query), max_age=self.max_age)
        )

    def _ask_and_keep(self, query: Query) -> IndexEvidence:
        """Ask the index, and keep what it answered (but not its failure)."""
        evidence = self._ask(query)
        if self._kept is not None and evidence.unavailable is None:
            self._kept.store(self._key(query), evidence)
        return evidence

    def _key(self, query: Query) -> str:
        version = None if query.version is None else str(query.version)
        return "" if self._kept is None else self._kept.key(self._identity, query.name, version)

    def _page(self, name: NormalizedName, version: Version | None = None) -> ProjectPage | None:
        """Return ``name``'s project page; None when the index has no such project.

        With ``version``, a page kept within ``max_age`` that lists it is used without a
        request, as the evidence it gave would be: a pin changed to a version the index
        already listed asks nothing; one it did not (a new release) asks again.
        Raises :class:`FetchFailed` when the index cannot be asked.
        """
        page_url = self.project_url(name)
        page: ProjectPage | None = self.fetcher.get(
            page_url,
            accept=SIMPLE_ACCEPT,
            parse=lambda text, media_type: parse_project_page(text, media_type, page_url),
            reusable=None if version is None else lambda page: _lists(page, version),
            reuse_for=self.max_age if self._kept is not None else 0.0,
        )
        return page

    def _ask(self, query: Query) -> IndexEvidence:
        try:
            page = self._page(query.name, query.version)
        except FetchFailed as e:
            return IndexEvidence(wheel=WheelKind.UNKNOWN, unavailable=str(e))
        if page is None:
            return IndexEvidence(wheel=WheelKind.UNKNOWN, unavailable="not on the index")
        if page.api_version is not None and not page.api_version.startswith("1."):
            # PEP 629: a client must not guess at a major version it does not know.
            return IndexEvidence(
                wheel=WheelKind.UNKNOWN,
                unavailable=f"the index speaks simple API {page.api_version}, not 1.x",
            )
        return self._evidence(query, page)

    def release_hashes(self, name: NormalizedName, version: Version) -> tuple[str, ...]:
        """Return the SHA-256 digests of every file of ``name`` ``version``, sorted.

        What a hashed requirements file lists for a pin (pip-compile's ``--generate-hashes``:
        each wheel and the sdist). Raises :class:`ServiceError` when the index cannot say.
        """
        try:
            page = self._page(name)
        except FetchFailed as e:
            raise ServiceError(f"{name}: the index cannot say its files' hashes: {e}") from e
        listed = page.files if page is not None else ()
        files = [file for file in listed if _version_of(file.filename) == version]
        if not files or any(file.sha256 is None for file in files):
            raise ServiceError(f"{name} {version}: the index gives no hash for its files")
        return tuple(sorted({file.sha256 for file in files if file.sha256 is not None}))

    def prefetch(
        self, queries: Iterable[Query], *, at_most: int = PREFETCH_AT_MOST
    ) -> Prefetch | None:
        """Start fetching, in the background, the pages of the queries with no answer kept.

        They are kept when :meth:`Prefetch.wait` returns, so that :meth:`query_all` finds
        them then: a scan asks while it installs, and waits only for what is left. Only the
        pages: the classifiers of what installs are in its installed metadata. None when
        every answer is kept already, when none would be, and when more than ``at_most`` are
        missing (they are asked for after the install).
        """
        if self._kept is None:
            return None
        unique = {query.name: query for query in queries}.values()
        missing = [
            query
            for query in unique
            if not self._kept.holds(self._key(query), max_age=self.max_age)
        ]
        if not missing or len(missing) > at_most:
            return None
        return Prefetch(lambda: self._each(self._prefetched_page, missing))

    def _prefetched_page(self, query: Query) -> None:
        try:
            self._page(query.name, query.version)
        except FetchFailed:
            return  # asked again, and said, by query_all

    def _each(self, ask: Callable[[Query], T], queries: Sequence[Query]) -> list[T]:
        """Return ``ask`` of each query, ``workers`` at once when there is more than one."""
        if len(queries) < 2:
            return [ask(query) for query in queries]
        from concurrent.futures import ThreadPoolExecutor  # only to ask: not warm

        with ThreadPoolExecutor(max_workers=min(self.workers, len(queries))) as pool:
            return list(pool.map(ask, queries))

    def query_all(self, queries: Iterable[Query]) -> dict[NormalizedName, IndexEvidence | None]:
        """Return the evidence for every query, ``workers`` requests in flight at once."""
        unique = list({query.name: query for query in queries}.values())
        found: dict[NormalizedName, IndexEvidence | None] = {}
        for query in unique:
            kept = self._load(query)
            if kept is not None:
                found[query.name] = kept
        asked = [query for query in unique if query.name not in found]
        answers = self._each(self._ask_and_keep, asked)
        found.update(zip((query.name for query in asked), answers, strict=True))
        return {query.name: found[query.name] for query in unique}

    def _releases(self, page: ProjectPage) -> dict[Version, _Release]:
        grouped: dict[Version, list[IndexFile]] = {}
        for file in page.files:
            version = _version_of(file.filename)
            if version is not None:
                grouped.setdefault(version, []).append(file)
        releases = {}
        for version, files in grouped.items():
            free_threaded, pure, sdists = [], [], []
            for file in files:
                if not self._python_allowed(file.requires_python):
                    continue
                if file.filename.endswith(".whl"):
                    accepted = self.target_tags.intersection(parse_wheel_filename(file.filename)[3])
                    if any(t.abi in (self.abi, STABLE_ABI_FREE_THREADED) for t in accepted):
                        free_threaded.append(file)
                    elif any(t.abi == "none" for t in accepted):
                        pure.append(file)
                else:
                    sdists.append(file)
            releases[version] = _Release(
                version, tuple(files), tuple(free_threaded), tuple(pure), tuple(sdists)
            )
        return releases

    def _python_allowed(self, requires_python: str | None) -> bool:
        if not requires_python or self.python_version is None:
            return True
        try:
            return SpecifierSet(requires_python).contains(self.python_version, prereleases=True)
        except InvalidSpecifier:
            # Installers ignore a malformed Requires-Python too (pip's
            # check_requires_python logs and accepts).
            return True

    def _evidence(self, query: Query, page: ProjectPage) -> IndexEvidence:
        releases = self._releases(page)
        listed = set(releases)
        listed.update(v for v in map(_parsed, page.versions or ()) if v is not None)
        pinned = query.version
        allow_pre = pinned is not None and pinned.is_prerelease
        later = sorted(
            (
                release
                for version, release in releases.items()
                if (pinned is None or version > pinned)
                and (allow_pre or not version.is_prerelease)
                and not release.all_yanked
            ),
            key=lambda release: release.version,
        )
        first_free_threaded = next(
            (release.version for release in later if release.has_free_threaded_wheel()), None
        )
        later_releases = tuple(
            release.version
            for release in later
            if release.has_free_threaded_wheel() or any(not f.yanked for f in release.pure)
        )
        installable = [
            version
            for version, release in releases.items()
            if (allow_pre or not version.is_prerelease) and not release.all_yanked
        ]
        latest = max(installable, default=None)
        if pinned is None or pinned not in listed:
            return IndexEvidence(
                wheel=WheelKind.UNKNOWN,
                first_free_threaded=first_free_threaded,
                latest=latest,
                later_releases=later_releases,
            )
        # A version the PEP 700 list names but without a file left: nothing to install.
        release = releases.get(pinned) or _Release(pinned, (), (), (), ())
        classifier, classifier_of = self._classifier(query, release, latest)
        return IndexEvidence(
            wheel=release.kind(),
            yanked=release.all_yanked,
            yanked_reason=next((f.yanked_reason for f in release.files if f.yanked_reason), None)
            if release.all_yanked
            else None,
            classifier=classifier,
            classifier_of=classifier_of,
            first_free_threaded=first_free_threaded,
            latest=latest,
            later_releases=later_releases,
        )

    def _classifier(
        self, query: Query, release: _Release, latest: Version | None
    ) -> tuple[str | None, Version | None]:
        if not self.classifiers:
            return None, None
        # The installed metadata of the pinned version is what its PEP 658 file says.
        found: Sequence[str] | None = query.classifiers
        if found is None:
            found = self._metadata_classifiers(release)
        if found is None:
            return self._classifier_from_project_json(query.name)
        classifier = free_threading_classifier(found)
        return classifier, release.version if classifier else None

    def _metadata_classifiers(self, release: _Release) -> list[str] | None:
        """Return the classifiers of ``release``'s core metadata (PEP 658); None if not served."""
        with_metadata = sorted(
            (f for f in release.files if f.core_metadata),
            # The wheels the interpreter would install first, then other wheels, then sdists.
            key=lambda f: (f not in release.free_threaded, not f.filename.endswith(".whl")),
        )
        if not with_metadata:
            return None
        try:
            return self.fetcher.get(
                with_metadata[0].url + ".metadata", accept="*/*", parse=_parse_metadata
            )
        except FetchFailed:
            return None

    def _classifier_from_project_json(
        self, name: NormalizedName
    ) -> tuple[str | None, Version | None]:
        # The JSON API lives beside the simple API on PyPI and on indexes that mimic it
        # (``<root>/simple/`` and ``<root>/pypi/<name>/json``); elsewhere there is none.
        if not self.index_url.endswith("/simple"):
            return None, None
        url = f"{self.index_url.removesuffix('/simple')}/pypi/{name}/json"
        try:
            found = self.fetcher.get(url, accept="application/json", parse=_parse_project_json_api)
        except FetchFailed:
            return None, None
        if found is None:
            return None, None
        version_text, classifiers = found
        try:
            version = Version(version_text)
        except InvalidVersion:
            return None, None
        classifier = free_threading_classifier(classifiers)
        return classifier, version if classifier else None


def _lists(page: ProjectPage, version: Version) -> bool:
    """Return whether ``page`` lists ``version``: in its PEP 700 list, else among its files."""
    if page.versions is not None:
        return any(_parsed(text) == version for text in page.versions)
    return any(_version_of(file.filename) == version for file in page.files)


def _parsed(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)[1]
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    # Eggs, Windows installers and other formats that no installer readiness runs uses.
    return None
