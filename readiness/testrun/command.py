"""``readiness test``: the parser of its flags and the command that runs it.

Its flags are parsed by the command line's parser (``readiness/_arguments.py``, which imports
no command); :func:`run_test` runs it.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar, assert_never

from readiness._arguments import TestFormat
from readiness._console import MessageConsole, escape_message
from readiness._defaults import DEFAULT_INDEX_MAX_AGE, DEFAULT_TEST_TIMEOUT
from readiness._errors import InputError
from readiness._state import Progress
from readiness.config import Config, find_config
from readiness.destination import Destination, Layout, Rendered, write_reports
from readiness.evidence._http import LazyClient
from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.options import SharedOptions, first_given, report_destinations
from readiness.policy import EXIT_FAILED, EXIT_READY
from readiness.probe.plan import plan_probe
from readiness.remedies.verify import RemedyVerifier
from readiness.remedies.workarounds import load_workarounds
from readiness.scan import hidden_gil_warnings
from readiness.session import NotProvisioned, ScanSession
from readiness.testrun.distributions import summarize
from readiness.testrun.install import suite_environment, suite_source
from readiness.testrun.model import CaseVerdict, SuiteReport, gate_verdicts
from readiness.testrun.report import (
    failing,
    to_html,
    to_json,
    to_junit,
    to_markdown,
    to_sarif,
    to_table,
)
from readiness.testrun.runner import run_suite

_P = TypeVar("_P", bound=argparse.ArgumentParser)


def render(
    report_format: TestFormat,
    report: SuiteReport,
    gate: frozenset[CaseVerdict],
    layout: Layout,
) -> Rendered:
    """Return ``report`` in ``report_format``, fit for ``layout``.

    The table is as wide as the terminal (100 columns elsewhere) and written in the
    destination's encoding; every other format is a UTF-8 document.
    """
    match report_format:
        case TestFormat.TABLE:
            return Rendered(to_table(report, gate, width=layout.width or 100))
        case TestFormat.JSON:
            text = to_json(report, gate)
        case TestFormat.MARKDOWN:
            text = to_markdown(report, gate)
        case TestFormat.SARIF:
            text = to_sarif(report, gate)
        case TestFormat.JUNIT:
            text = to_junit(report, gate)
        case TestFormat.HTML:
            text = to_html(report, gate)
        case _:
            assert_never(report_format)
    return Rendered(text, charset="utf-8")


@dataclass(frozen=True)
class TestCommandOptions:
    """Everything ``readiness test`` was asked, checked."""

    __test__ = False  # a name pytest would otherwise collect as a test class

    shared: SharedOptions
    """What ``scan`` and ``deps`` take too: the folder, the selection, the interpreter."""

    project: Path
    """The project folder, resolved; it holds a pyproject.toml."""

    reports: tuple[tuple[TestFormat, Destination], ...]
    """Each report's format and where it goes, every destination checked."""

    gate: frozenset[CaseVerdict]
    """The verdicts that fail the run (``--fail-on``, ``--strict``)."""

    threads: int
    """``--threads``: 1 runs each test alone only."""

    test_timeout: float
    """Seconds one test may take."""

    no_build: bool
    """``--no-build``: never build a dependency from source."""

    install_python: bool = False
    """``--install-python``: provision an interpreter when none is found, without asking."""

    index_url: str | None = None
    """``--index-url``: the index asked for the remedies."""

    offline: bool = False
    """``--offline``: do not ask the index; the tracker still gives remedies."""

    verify_remedies: bool = True
    """Prove each remedy's upgrade (or switch) on the interpreter, as ``scan`` does; off with
    ``--no-verify-remedies`` or ``--offline``."""

    index_max_age: float = DEFAULT_INDEX_MAX_AGE
    """Seconds the index's evidence is used again without asking (``index-max-age``)."""

    @classmethod
    def from_namespace(
        cls, args: argparse.Namespace, *, cache_dir: Path, config: Config | None = None
    ) -> TestCommandOptions:
        """Return the options ``test`` was given, ``config`` filling what no flag gives.

        ``config`` is ``[tool.readiness]``: its shared keys (the interpreter, the selection,
        ``index-max-age``) and its ``test`` sub-table; ``inputs`` is ``scan``'s alone (the
        project is the folder). Raises :class:`InputError`.
        """
        config = config or Config()
        if args.test_timeout is not None and args.test_timeout <= 0:
            raise InputError("--test-timeout must be a positive number of seconds")
        if args.threads is not None and args.threads < 1:
            raise InputError("--threads must be 1 or more")
        own = config.test
        shared = SharedOptions.from_namespace(
            args, cache_dir=cache_dir, config=dataclasses.replace(config, inputs=None)
        )
        project = (shared.path or Path()).resolve()
        if not (project / "pyproject.toml").is_file():
            raise InputError(
                "no pyproject.toml here: `readiness test` runs a project's suite",
                path=project,
                hint="pass the project's folder",
            )
        reports = report_destinations(args.format or [(TestFormat.TABLE, None)], args.output)
        return cls(
            shared=shared,
            project=project,
            reports=reports,
            gate=gate_verdicts(
                args.fail_on if args.fail_on is not None else own.fail_on,
                strict=bool(args.strict or own.strict),
            ),
            threads=first_given(args.threads, own.threads, 1),
            test_timeout=first_given(args.test_timeout, own.test_timeout, DEFAULT_TEST_TIMEOUT),
            no_build=args.no_build,
            install_python=args.install_python,
            index_url=args.index_url,
            offline=args.offline,
            verify_remedies=not (args.no_verify_remedies or args.offline),
            index_max_age=first_given(None, config.index_max_age, DEFAULT_INDEX_MAX_AGE),
        )


def run_test(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    """Run ``readiness test`` for parsed ``args``; return the exit code (0 passed, 1 failed).

    Raises :class:`readiness._errors.ReadinessError` for bad input and for a run that cannot
    go on, for which the command line's error boundary exits 2.
    """
    config = find_config(args.config, args.path)
    if config.path is not None:
        stderr.print(f"[dim]configuration: {escape_message(str(config.path))}[/]")
    options = TestCommandOptions.from_namespace(args, cache_dir=cache_dir, config=config)
    warnings = hidden_gil_warnings()
    for warning in warnings:
        stderr.print(f"[bold yellow]warning:[/] {escape_message(warning)}")
    session = ScanSession(cache_dir=cache_dir, progress=progress, console=stderr)
    report = _run(options, warnings, session)
    # A report that cannot be written does not stop the others, nor the summary; it is
    # raised (exit 2) once everything else is said, as scan does.
    unwritten = write_reports(
        options.reports,
        lambda report_format, layout: render(report_format, report, options.gate, layout),
    )
    failed = failing(report, options.gate)
    counts = ", ".join(f"{count} {verdict.value}" for verdict, count in report.counts().items())
    outcome = "[bold red]gate failed[/]" if failed else "[bold green]gate passed[/]"
    stderr.print(
        f"readiness test: {len(report.results)} results in {report.run.processes} processes "
        f"on {report.interpreter_name}: {counts or 'no tests'}; {outcome}"
    )
    if unwritten is not None:
        raise unwritten
    return EXIT_FAILED if failed else EXIT_READY


def _run(
    options: TestCommandOptions, warnings: tuple[str, ...], session: ScanSession
) -> SuiteReport:
    """Install, run the suite and summarize: the report.

    Nothing is printed but the session's notes (an interpreter provisioned, an index that
    cannot be asked).
    """
    shared = options.shared
    progress = session.progress
    interpreter = _interpreter(options, session)
    installers = shared.installer.to_pair()
    source = suite_source(options.project, shared.selection, installers.resolver)
    installer = installers.installer
    with (
        suite_environment(
            options.project,
            interpreter,
            source=source,
            installer=installer,
            cache_dir=shared.cache_dir,
            no_build=options.no_build,
            threads=options.threads > 1,
            progress=progress,
        ) as environment,
        LazyClient(follow_redirects=True) as client,
    ):
        run = run_suite(
            environment.python,
            options.project,
            owners=plan_probe(environment.site_packages).extension_owners,
            test_timeout=options.test_timeout,
            threads=options.threads,
            progress=progress,
        )
        evidence = session.evidence(client, options, interpreter, interpreter.target(), source)
        verifier = (
            RemedyVerifier(
                interpreter,
                installer,
                shared.cache_dir,
                no_build=options.no_build,
                index_options=source.index_options(),
                scanned=environment,
                workarounds=load_workarounds(),
            )
            if options.verify_remedies
            else None
        )
        summaries = summarize(
            environment, run.results, evidence=evidence, verifier=verifier, progress=progress
        )
    progress.finish()
    return SuiteReport(options.project, interpreter, run, warnings, summaries)


def _interpreter(options: TestCommandOptions, session: ScanSession) -> Interpreter:
    """Return the interpreter the suite runs on: found, or provisioned as ``scan`` would.

    A test run has no static fallback: where there is none, it cannot run.
    """
    try:
        return session.require_interpreter(options.shared.python, install=options.install_python)
    except NotProvisioned as error:
        if options.install_python:
            raise
        hint = f"{error.hint}; " if error.hint else ""
        raise InterpreterError(
            f"readiness test needs a free-threaded CPython: {error.message}",
            hint=f"{hint}or run again with --install-python, which provisions one without asking",
        ) from error
