"""A scan session: the choices one run makes once, for ``scan``, ``deps`` and ``test`` alike.

Which interpreter to probe (found, provisioned after asking, or none), the static fallback
when there is none, the target a static scan or a listing is read for, and the evidence
services a scan asks. The commands hand their options to a session and write what it
returns; the session says on stderr what it chose, and never exits.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from packaging.utils import NormalizedName
from packaging.version import Version

from readiness._console import MessageConsole, escape_message
from readiness._defaults import DEFAULT_TARGET_VERSION
from readiness._state import Progress
from readiness.environment.venv import existing_environment
from readiness.evidence._http import LazyClient
from readiness.evidence.gather import EvidenceSources
from readiness.evidence.index import IndexService
from readiness.evidence.indexconfig import configured_index_url
from readiness.evidence.interface import ServiceError
from readiness.evidence.tracker import TrackerService, load_snapshot
from readiness.interpreter.discover import find_interpreter, is_version_request
from readiness.interpreter.inspect import inspect_interpreter, require_free_threaded
from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.interpreter.target import synthesize_target, synthetic_interpreter
from readiness.model import IndexOptions, Target
from readiness.options import ScanCommandOptions
from readiness.report import Report
from readiness.scan import Scanner, ScanOptions
from readiness.sources.discovery import find_source
from readiness.sources.interface import DependencySource
from readiness.sources.resolve import KeptResolver

if TYPE_CHECKING:
    from readiness.evidence._http import HttpClient
    from readiness.remedies.fix import Fixes

PROVISION_ORDER = (DEFAULT_TARGET_VERSION, "3.13t")
"""What ``scan --install-python`` tries in turn when no version is asked for: 3.14t is the
supported free-threaded build, 3.13t the experimental one that still shows what re-enables
the GIL where 3.14t cannot be had (no uv downloads and no 3.14 source)."""


class EvidenceChoices(Protocol):
    """What a command was asked about the index: the part of its options the evidence reads."""

    @property
    def offline(self) -> bool:
        """``--offline``: do not ask the index."""

    @property
    def index_url(self) -> str | None:
        """``--index-url``: the index to ask for evidence."""

    @property
    def index_max_age(self) -> float:
        """Seconds the index's evidence is used again without asking."""


class NotProvisioned(InterpreterError):
    """Raised when no interpreter was found and none was provisioned (declined, or failed)."""

    def __init__(self, cause: InterpreterError) -> None:
        super().__init__(cause.message, hint=cause.hint)
        self.cause = cause


class ScanSession:
    """One run's interpreter, static fallback and evidence, chosen once and said on stderr."""

    def __init__(self, *, cache_dir: Path, progress: Progress, console: MessageConsole) -> None:
        self.cache_dir = cache_dir
        self.progress = progress
        self.console = console
        self._at_hand: tuple[Path | None] | None = None
        self.fixes: Fixes | None = None
        """What ``--fix`` changes for the last scan, planned with its evidence; None without
        ``--fix``."""

    # The interpreter.

    def free_threaded_at_hand(self) -> Path | None:
        """Return a free-threaded CPython that discovery finds (looked for once), else None.

        uv resolves for a synthesized free-threaded target only while running some
        free-threaded interpreter: this is the one lent to it.
        """
        if self._at_hand is None:
            try:
                found: Path | None = find_interpreter(None, cache_dir=self.cache_dir).executable
            except InterpreterError:
                found = None
            self._at_hand = (found,)
        return self._at_hand[0]

    def probe_interpreter(self, python: str | None, *, install: bool) -> Interpreter | None:
        """Find (or provision) the interpreter to probe; None means: fall back to a static scan.

        Where none is found, provisioning is offered on a terminal (done without asking with
        ``install``); a refused GIL build or a path that is not an interpreter is raised.
        """
        try:
            return self.require_interpreter(python, install=install)
        except NotProvisioned as error:
            self._static_fallback(error.cause)
            return None

    def require_interpreter(self, python: str | None, *, install: bool) -> Interpreter:
        """Find (or provision) the interpreter a run cannot do without (``readiness test``).

        As :meth:`probe_interpreter`, but where none is found or provisioned,
        :class:`NotProvisioned` is raised: there is no static fallback.
        """
        try:
            return find_interpreter(python, cache_dir=self.cache_dir)
        except InterpreterError as error:
            # Only "none found" is worth offering to provision; a refused GIL build is not.
            if python is not None and not is_version_request(python):
                raise
            versions = (python,) if python else PROVISION_ORDER
            if not (install or self._confirm(error, versions[0])):
                raise NotProvisioned(error) from error
        return self._provision(versions)

    def _provision(self, versions: tuple[str, ...]) -> Interpreter:
        # Imported here: provisioning (tar, downloads, builds) is not on a scan's usual path.
        from readiness.interpreter.provision import install_python

        failures: list[InterpreterError] = []
        for version in versions:
            try:
                executable = install_python(
                    version, cache_dir=self.cache_dir, progress=self.progress
                )
            except InterpreterError as failure:
                self.progress.finish()
                failures.append(failure)
                if version != versions[-1]:
                    self.console.print(
                        f"[yellow]could not provision CPython {version}[/]; trying the next"
                    )
                continue
            self.progress.finish()
            return find_interpreter(str(executable), cache_dir=self.cache_dir)
        raise NotProvisioned(failures[0]) from failures[0]

    def _static_fallback(self, error: InterpreterError) -> None:
        self.console.print(f"[bold yellow]warning:[/] {escape_message(str(error))}")
        self.console.print(
            "[bold yellow]warning:[/] falling back to a STATIC scan: verdicts from the index's "
            "files alone, nothing imported; `readiness python install` provisions an interpreter"
        )

    def _confirm(self, error: InterpreterError, version: str) -> bool:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            return False
        self.console.print(f"{escape_message(str(error))}")
        answer = self.console.input(
            f"Provision CPython {version} into the readiness cache now? [Y/n] "
        )
        return answer.strip().lower() in ("", "y", "yes")

    # The target.

    def static_target(self, python: str | None, version: str | None) -> tuple[Interpreter, Target]:
        """Return the target of a static scan: a real interpreter's, else one synthesized."""
        if python is not None and not is_version_request(python):
            interpreter = find_interpreter(python, cache_dir=self.cache_dir)
            return interpreter, interpreter.target()
        target = synthesize_target(
            version or python or DEFAULT_TARGET_VERSION, python=self.free_threaded_at_hand()
        )
        return synthetic_interpreter(target), target

    def listing_target(
        self, python: str | None, version: str | None, platform: str | None
    ) -> Target:
        """Return the target ``deps`` selects for: ``python``'s own, else a synthesized one.

        Raises what :func:`find_interpreter` and :func:`synthesize_target` raise.
        """
        if python is not None:
            return find_interpreter(python, cache_dir=self.cache_dir).target()
        return synthesize_target(version or DEFAULT_TARGET_VERSION, platform=platform)

    # The evidence.

    def evidence(
        self,
        client: HttpClient,
        options: EvidenceChoices,
        interpreter: Interpreter,
        target: Target,
        source: DependencySource | None,
    ) -> EvidenceSources:
        """Return the tracker, and the index unless --offline or the file says --no-index."""
        tracker = TrackerService(load_snapshot(cache_dir=self.cache_dir))
        abi = interpreter.abi_tag
        index_options = source.index_options() if source is not None else IndexOptions()
        index = None
        if not (options.offline or index_options.no_index):
            project = source.path.parent if source is not None else None
            try:
                url = (
                    options.index_url
                    or index_options.index_url
                    or configured_index_url(
                        project_dir=project,
                        cache_dir=self.cache_dir,
                        max_age=options.index_max_age,
                    )
                )
                index = IndexService(
                    client,
                    index_url=url,
                    target_tags=target.tags,
                    abi=abi,
                    cache_dir=self.cache_dir,
                    max_age=options.index_max_age,
                )
            except ServiceError as error:
                self.console.print(
                    f"[yellow]note:[/] the index is not asked: {escape_message(str(error))}"
                )
        return EvidenceSources(tracker=tracker, index=index, abi=abi)

    # The scan.

    def scan(self, options: ScanCommandOptions, warnings: tuple[str, ...] = ()) -> Report:
        """Scan what ``options`` name: an environment, a probe, else the static fallback.

        ``warnings`` are the caller's (``PYTHON_GIL=0``), carried into the report.
        """
        scanner_options = ScanOptions(
            cache_dir=self.cache_dir,
            no_build=options.no_build,
            import_timeout=options.import_timeout,
            warnings=warnings,
            use_results=options.use_results,
            refresh=options.refresh,
            verify_remedies=options.verify_remedies and not options.offline,
            project=options.project,
        )
        shared = options.shared
        with LazyClient(follow_redirects=True) as client:
            if options.env is not None:
                environment = existing_environment(options.env)
                interpreter = require_free_threaded(
                    inspect_interpreter(environment.python, cache_dir=self.cache_dir)
                )
                evidence = self.evidence(client, options, interpreter, interpreter.target(), None)
                scanner = Scanner(scanner_options, self.progress, evidence)
                installer = (
                    shared.installer.to_pair().installer
                    if scanner_options.verify_remedies
                    else None
                )
                report = scanner.scan_environment(environment, interpreter, installer)
                return self._planned(options, report, evidence)
            # A resolution ages out as the index's evidence does; --refresh resolves again.
            installers = shared.installer.to_pair()
            resolver = KeptResolver(
                installers.resolver, self.cache_dir, max_age=options.index_max_age
            )
            source = find_source(shared.path or Path(), shared.selection, resolver)
            found = (
                None
                if options.static
                else self.probe_interpreter(shared.python, install=options.install_python)
            )
            if found is None:
                interpreter, target = self.static_target(shared.python, shared.target)
            else:
                interpreter, target = found, found.target()
            evidence = self.evidence(client, options, interpreter, target, source)
            scanner = Scanner(scanner_options, self.progress, evidence)
            if found is None:
                return scanner.scan_static(source, interpreter, target)
            report = scanner.scan(source, interpreter, installers.installer)
            return self._planned(options, report, evidence)

    def _planned(
        self, options: ScanCommandOptions, report: Report, evidence: EvidenceSources
    ) -> Report:
        """Plan ``--fix`` for ``report`` while the index is still at hand (for new hashes)."""
        if options.fix:
            # Imported here: only --fix edits files.
            from readiness.remedies.fix import plan

            index = evidence.index

            def hashes(name: NormalizedName, version: Version) -> Sequence[str]:
                if index is None:
                    raise ServiceError("the index is not asked, so the new hashes are unknown")
                return index.release_hashes(name, version)

            self.fixes = plan(report, hashes, report.interpreter.executable)
        return report
