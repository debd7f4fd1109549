"""The command line: ``readiness scan`` and ``readiness python``."""

from __future__ import annotations

import argparse
import contextlib
import enum
import logging
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn, assert_never

import httpx
from rich.console import Console

from readiness import __version__
from readiness._cache import default_cache_dir
from readiness._defaults import DEFAULT_IMPORT_TIMEOUT, DEFAULT_TARGET_VERSION
from readiness._errors import InputError, ReadinessError
from readiness._state import Progress
from readiness.config import find_config
from readiness.deps import add_deps_parser, deps_command
from readiness.destination import (
    Destination,
    Layout,
    OutputError,
    Rendered,
    detach,
    write_report,
)
from readiness.environment.venv import existing_environment
from readiness.evidence.gather import EvidenceSources
from readiness.evidence.index import IndexService
from readiness.evidence.indexconfig import configured_index_url
from readiness.evidence.interface import ServiceError
from readiness.evidence.tracker import (
    DEFAULT_URL as TRACKER_URL,
)
from readiness.evidence.tracker import (
    TrackerService,
    load_snapshot,
    tracker_update_command,
)
from readiness.formats.control_chars import escape_controls
from readiness.formats.html import HtmlFormat
from readiness.formats.interface import ReportFormat
from readiness.formats.json import JsonFormat
from readiness.formats.junit import JunitFormat
from readiness.formats.markdown import MarkdownFormat
from readiness.formats.sarif import SarifFormat
from readiness.formats.table import TableFormat
from readiness.installer_choice import InstallerChoice
from readiness.interpreter.discover import find_interpreter, is_version_request
from readiness.interpreter.inspect import inspect_interpreter, require_free_threaded
from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.interpreter.provision import install_python
from readiness.interpreter.target import synthesize_target, synthetic_interpreter
from readiness.policy import (
    EXIT_INTERRUPTED,
    EXIT_READY,
    EXIT_TERMINATED,
    EXIT_USAGE,
    Baseline,
    MessageLevel,
    Policy,
    PolicyOutcome,
)
from readiness.report import Report, Verdict
from readiness.results import clear_cache
from readiness.scan import Scanner, ScanOptions, hidden_gil_warnings
from readiness.selection_options import add_selection_options, selection_from
from readiness.sources.discovery import SOURCE_PRIORITY, find_source
from readiness.sources.interface import DependencySource, IndexOptions, Target

PROVISION_ORDER = (DEFAULT_TARGET_VERSION, "3.13t")
"""What ``scan --install-python`` tries in turn when no version is asked for: 3.14t is the
supported free-threaded build, 3.13t the experimental one that still shows what re-enables
the GIL where 3.14t cannot be had (no uv downloads and no 3.14 source)."""


class FormatChoice(enum.StrEnum):
    """The ``--format`` choices."""

    TABLE = "table"
    JSON = "json"
    HTML = "html"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"

    def to_format(
        self,
        *,
        color: bool,
        width: int | None = None,
        gate: PolicyOutcome | None = None,
        encoding: str = "utf-8",
    ) -> ReportFormat:
        """Return the format object this choice names; ``gate`` marks what the policy allowed.

        ``encoding`` is the destination's: the table is drawn in characters it has.
        """
        match self:
            case FormatChoice.TABLE:
                return TableFormat(color=color, width=width, gate=gate, encoding=encoding)
            case FormatChoice.JSON:
                return JsonFormat(gate=gate)
            case FormatChoice.HTML:
                return HtmlFormat(gate=gate)
            case FormatChoice.MARKDOWN:
                return MarkdownFormat(gate=gate)
            case FormatChoice.SARIF:
                return SarifFormat(gate=gate)
            case FormatChoice.JUNIT:
                return JunitFormat(gate=gate)
            case _:
                assert_never(self)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit 2 through our own error boundary."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message, hint=f"run `{self.prog} --help` for the options")


def _format_destination(value: str) -> tuple[FormatChoice, Path | None]:
    """Parse ``--format NAME[=PATH]``: the format, and the file it goes to (None: stdout)."""
    name, equals, path = value.partition("=")
    try:
        choice = FormatChoice(name.strip())
    except ValueError:
        choices = ", ".join(choice.value for choice in FormatChoice)
        raise argparse.ArgumentTypeError(f"{name!r} is not a format ({choices})") from None
    if equals and not path:
        raise argparse.ArgumentTypeError(f"{value!r} names no file after '='")
    return choice, Path(path) if equals else None


def _report_destinations(args: argparse.Namespace) -> list[tuple[FormatChoice, Destination]]:
    """Return each report format and where it goes, or raise on a usage error.

    At most one format has no destination: it goes to ``--output``, else to stdout. Every
    destination is checked here, before the scan: a bad one is known before any work is done.
    """
    asked: list[tuple[FormatChoice, Path | None]] = args.format or [(FormatChoice.TABLE, None)]
    bare = [choice.value for choice, path in asked if path is None]
    if len(bare) > 1:
        raise InputError(
            f"{' and '.join(bare)} have no destination: only one report can go to stdout",
            hint="give the others a file: --format NAME=PATH",
        )
    if args.output is not None and not bare:
        raise InputError(
            "--output is where the format without a destination goes, and every --format has one",
            hint="drop --output, or give one --format without =PATH",
        )
    destinations = [(choice, Destination(path or args.output)) for choice, path in asked]
    files = [where.path.resolve() for _, where in destinations if where.path is not None]
    for path in files:
        if files.count(path) > 1:
            raise InputError(f"two reports would be written to {path}")
    for _, where in destinations:
        where.check()
    return destinations


def _fail_on(value: str) -> frozenset[Verdict]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    try:
        return frozenset(Verdict(name) for name in names)
    except ValueError:
        choices = ", ".join(verdict.value for verdict in Verdict)
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a comma-separated list of verdicts ({choices})"
        ) from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="readiness",
        description="Tell whether a dependency stack really runs without the GIL.",
    )
    parser.add_argument("--version", action="version", version=f"readiness {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser(
        "scan",
        help="install and import every dependency on a free-threaded interpreter",
        description="Install every dependency into a fresh environment of a free-threaded "
        "CPython, import each module in a child interpreter and report which ones re-enable "
        "the GIL.",
    )
    scan.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a dependency file or a project folder (default: the current folder; in a folder "
        f"the first of {', '.join(SOURCE_PRIORITY)} is read)",
    )
    _add_python_option(scan)
    scan.add_argument(
        "--env",
        type=Path,
        metavar="PATH",
        help="scan what is installed in this virtual environment of a free-threaded "
        "interpreter, installing nothing (instead of a dependency file)",
    )
    scan.add_argument(
        "--install-python",
        action="store_true",
        help="provision a free-threaded CPython when none is found, without asking",
    )
    output = scan.add_argument_group("output")
    output.add_argument(
        "--format",
        type=_format_destination,
        action="append",
        metavar="NAME[=PATH]",
        help=f"a report format ({', '.join(FormatChoice)}; default: table), written to PATH, "
        "else to stdout; repeat it for several reports, at most one without =PATH",
    )
    output.add_argument(
        "-o", "--output", type=Path, help="write the report without =PATH here, not to stdout"
    )
    gate = scan.add_argument_group("gate")
    gate.add_argument(
        "--fail-on",
        type=_fail_on,
        metavar="VERDICTS",
        help="comma-separated verdicts that fail the scan (default: "
        "gil-enabled,not-installable,crashed,timeout)",
    )
    gate.add_argument(
        "--strict", action="store_true", help="also fail on import-error (inconclusive)"
    )
    gate.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="read the policy and defaults from this TOML file (default: [tool.readiness] in "
        "the scanned folder's pyproject.toml, else the current folder's)",
    )
    gate.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="only blockers not recorded in this baseline fail the gate",
    )
    gate.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record the current blockers in FILE and exit 0",
    )
    add_selection_options(scan)
    evidence = scan.add_argument_group("evidence")
    evidence.add_argument(
        "--static",
        action="store_true",
        help="judge from the index's files alone (free-threaded wheel, pure, sdist only, none): "
        "no interpreter, nothing installed; fails only on what is certain",
    )
    evidence.add_argument(
        "--target",
        metavar="VERSION",
        help="with --static and no --python: the free-threaded CPython to judge for "
        f"(default {DEFAULT_TARGET_VERSION}, this platform)",
    )
    evidence.add_argument(
        "--index-url",
        metavar="URL",
        help="the simple API index to ask for evidence (default: the file's -i, else your "
        "pip/uv configuration, else pip's default)",
    )
    evidence.add_argument(
        "--offline",
        action="store_true",
        help="do not ask the package index; the tracker snapshot is still used",
    )
    install = scan.add_argument_group("installing and probing")
    install.add_argument(
        "--installer",
        type=InstallerChoice,
        choices=list(InstallerChoice),
        default=InstallerChoice.AUTO,
        help="installer for the probe environment (default: uv where installed, else pip)",
    )
    install.add_argument(
        "--no-build",
        action="store_true",
        help="never build from source: a distribution without a usable wheel is not-installable",
    )
    install.add_argument(
        "--import-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time one import may take before it counts as a timeout "
        f"(default: {DEFAULT_IMPORT_TIMEOUT:g})",
    )
    install.add_argument(
        "--no-cache",
        action="store_true",
        help="probe every distribution again, even those whose results are cached",
    )
    _add_common_options(scan)
    add_deps_parser(commands, _add_common_options)

    cache = commands.add_parser("cache", help="the cache of results, index pages and environments")
    cache_commands = cache.add_subparsers(dest="cache_command", required=True, parser_class=_Parser)
    clear = cache_commands.add_parser(
        "clear",
        help="remove cached results, index pages and probe environments (provisioned "
        "interpreters and the tracker copy stay)",
    )
    _add_common_options(clear)

    tracker = commands.add_parser(
        "tracker", help="the free-threading tracker snapshot the evidence comes from"
    )
    tracker_commands = tracker.add_subparsers(
        dest="tracker_command", required=True, parser_class=_Parser
    )
    update = tracker_commands.add_parser(
        "update",
        help="refresh the cached tracker snapshot (a conditional GET; offline, the shipped "
        "snapshot stays in use)",
    )
    update.add_argument("--url", default=TRACKER_URL, help="where the tracker's table is")
    _add_common_options(update)

    python = commands.add_parser("python", help="find or provision a free-threaded CPython")
    python_commands = python.add_subparsers(
        dest="python_command", required=True, parser_class=_Parser
    )
    install_cmd = python_commands.add_parser(
        "install",
        help="provision a free-threaded CPython into the cache (once)",
        description="Provision a free-threaded CPython: with uv where it can reach its "
        "downloads, else by building CPython --disable-gil from a source tarball (--source) or "
        "from the Debian/Ubuntu source package.",
    )
    install_cmd.add_argument(
        "version",
        nargs="?",
        default=DEFAULT_TARGET_VERSION,
        help=f"3.14t, 3.13t or 3.15t (default: {DEFAULT_TARGET_VERSION})",
    )
    install_cmd.add_argument(
        "--source", type=Path, help="a CPython source tarball to build from (offline)"
    )
    _add_common_options(install_cmd)
    find_cmd = python_commands.add_parser(
        "find", help="print the free-threaded interpreter a scan would use"
    )
    _add_python_option(find_cmd)
    _add_common_options(find_cmd)
    return parser


def _add_python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--python",
        metavar="PATH|VERSION",
        help="the free-threaded interpreter: a path, or 3.14t, 3.13t, 3.15t "
        "(default: discover one, 3.14t first)",
    )


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="where interpreters and probe environments are kept (default: the user cache)",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show tracebacks and child process output, and the installer's whole output "
        "for each distribution it could not install",
    )


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM arrives, so that it cleans up as Ctrl-C does.

    A KeyboardInterrupt, so that every path that ends children and removes half-built
    things on an interrupt does so here too, and no ``except Exception`` swallows it.
    """


def _raise_terminated(number: int, frame: FrameType | None) -> None:
    # One clean-up is enough: a second SIGTERM ends the process at once, as a second
    # Ctrl-C would be expected to.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while the command runs.

    Without it SIGTERM (a cancelled CI job, ``timeout``, ``kill``) ends readiness without
    ending its children or removing its temporary folders. Outside the main thread (where
    Python cannot set a handler) nothing changes.
    """
    try:
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _MessageConsole(Console):
    """The console on stderr: when its reader goes away, it falls silent and the run goes on."""

    def on_broken_pipe(self) -> None:
        """Stop writing to stderr; rich's default would exit 1, which says "the gate failed"."""
        self.quiet = True
        detach(sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    with _terminate_as_interrupt():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    stderr = _MessageConsole(stderr=True, highlight=False, soft_wrap=True)
    try:
        return _run(argv, stderr)
    except BrokenPipeError:
        # A write to a stream whose reader went away, past the console (a --debug traceback):
        # nothing more can be said, and Python's flush at exit must not complain about it.
        detach(sys.stdout)
        detach(sys.stderr)
        return EXIT_USAGE


def _run(argv: Sequence[str] | None, stderr: Console) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        if args.debug:
            logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        progress = _progress_for(stderr)
        cache_dir = args.cache_dir or default_cache_dir()
        if args.command == "python":
            return _python_command(args, cache_dir, progress)
        if args.command == "deps":
            return deps_command(args, cache_dir, progress, stderr)
        if args.command == "tracker":
            with httpx.Client(follow_redirects=True) as client:
                for line in tracker_update_command(client, url=args.url, cache_dir=cache_dir):
                    stderr.print(_escape(line))
            return 0
        if args.command == "cache":
            removed = clear_cache(cache_dir)
            for folder in removed:
                stderr.print(f"removed {_escape(str(folder))}")
            if not removed:
                stderr.print(f"nothing to remove in {_escape(str(cache_dir))}")
            return 0
        return _scan_command(args, cache_dir, progress, stderr)
    except Terminated:
        stderr.print("readiness: terminated")
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        stderr.print("readiness: interrupted")
        return EXIT_INTERRUPTED
    except ReadinessError as error:
        if debug:
            traceback.print_exc()
        stderr.print(f"[bold red]error:[/] {_escape(str(error))}")
        if error.hint:
            stderr.print(f"[bold]hint:[/] {_escape(error.hint)}")
        return EXIT_USAGE
    except BrokenPipeError:
        raise  # stderr is gone: main() ends quietly
    except Exception as error:
        # A bug of ours must not exit 1, which says "the gate failed", nor pass as 0.
        if debug:
            traceback.print_exc()
        stderr.print(f"[bold red]internal error:[/] {_escape(repr(error))}")
        stderr.print("[bold]hint:[/] run again with --debug for the traceback, and report it")
        return EXIT_USAGE


def _scan_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> int:
    destinations = _report_destinations(args)
    config = find_config(args.config, args.path)
    if config.path is not None:
        stderr.print(f"[dim]configuration: {_escape(str(config.path))}[/]")
    args = config.apply_to(args)
    # Read before the scan: a missing baseline should not cost a whole scan to find out.
    baseline = None
    if args.baseline is not None and args.write_baseline is None:
        baseline = Baseline.read(args.baseline)
    baseline_destination = None
    if args.write_baseline is not None:
        baseline_destination = Destination(args.write_baseline)
        baseline_destination.check()
    selection = selection_from(args)
    if args.import_timeout <= 0:
        raise InputError("--import-timeout must be a positive number of seconds")
    if args.env is not None and (args.path is not None or args.python is not None or args.static):
        raise InputError(
            "--env scans an environment as it is: give no dependency file, --python or --static",
            hint="its own interpreter is the one probed",
        )
    if args.target is not None and not args.static:
        raise InputError("--target goes with --static", hint="a probe runs a real interpreter")
    warnings = hidden_gil_warnings()
    for warning in warnings:
        stderr.print(f"[bold yellow]warning:[/] {_escape(warning)}")
    options = ScanOptions(
        cache_dir=cache_dir,
        no_build=args.no_build,
        import_timeout=args.import_timeout,
        warnings=warnings,
        use_results=not args.no_cache,
    )
    with httpx.Client(follow_redirects=True) as client:
        if args.env is not None:
            environment = existing_environment(args.env)
            interpreter = require_free_threaded(inspect_interpreter(environment.python))
            evidence = _evidence_sources(
                args, client, cache_dir, interpreter.target(), interpreter.abi_tag, None, stderr
            )
            report = Scanner(options, progress, evidence).scan_environment(environment, interpreter)
        else:
            source = find_source(args.path or Path(), selection, args.installer.to_resolver())
            found = (
                None if args.static else _interpreter_for_scan(args, cache_dir, progress, stderr)
            )
            if found is None:
                interpreter, target = _static_target(args, cache_dir)
            else:
                interpreter, target = found, found.target()
            evidence = _evidence_sources(
                args, client, cache_dir, target, interpreter.abi_tag, source, stderr
            )
            scanner = Scanner(options, progress, evidence)
            if found is None:
                report = scanner.scan_static(source, interpreter, target)
            else:
                report = scanner.scan(source, interpreter, args.installer.to_installer())
    progress.finish()

    policy = Policy.from_options(
        args.fail_on,
        strict=args.strict,
        static=report.static,
        allow=config.allow,
        baseline=baseline,
    )
    outcome = policy.evaluate(report)
    # A report that cannot be written does not stop the others, nor the gate's verdict on
    # stderr; it is raised (exit 2) once everything else is said.
    unwritten: OutputError | None = None
    for choice, destination in destinations:

        def render(layout: Layout, choice: FormatChoice = choice) -> Rendered:
            report_format = choice.to_format(
                color=layout.color, width=layout.width, gate=outcome, encoding=layout.encoding
            )
            return Rendered(report_format.render(report), report_format.charset)

        try:
            write_report(destination, render)
        except OutputError as error:
            unwritten = unwritten or error
    for warning in report.warnings[len(warnings) :]:
        stderr.print(f"[yellow]note:[/] {_escape(warning)}")
    _print_install_logs(stderr, report, debug=args.debug)
    stderr.print(summary_line(report, policy))
    for message in outcome.messages():
        stderr.print(f"{_GATE_LEVELS[message.level]} {_escape(message.text)}")
    if unwritten is not None:
        raise unwritten
    if baseline_destination is not None:
        blockers = Baseline.from_report(report, policy.fail_on)
        write_report(baseline_destination, lambda _: Rendered(blockers.to_json()))
        stderr.print(
            f"readiness: wrote {len(outcome.blockers)} blockers to the baseline "
            f"{_escape(str(args.write_baseline))}"
        )
        return EXIT_READY
    return outcome.exit_code


def _print_install_logs(stderr: Console, report: Report, *, debug: bool) -> None:
    """Print the installer's whole output for what it could not install (with ``--debug``).

    Without ``--debug``, one note says where that output is: the row's reason is its cause line.
    """
    failed = [dist for dist in report.by_verdict(Verdict.NOT_INSTALLABLE) if dist.install_log]
    if not failed:
        return
    if not debug:
        stderr.print(
            "[dim]note: the installer's whole output for what it could not install is in the "
            "JSON report (install_log); --debug prints it[/]"
        )
        return
    for dist in failed:
        version = f" {dist.version}" if dist.version is not None else ""
        stderr.print(f"[bold]install log of {_escape(dist.name)}{version}:[/]")
        stderr.print(_escape(dist.install_log or ""))


_GATE_LEVELS = {
    MessageLevel.ERROR: "[bold red]gate:[/]",
    MessageLevel.WARNING: "[bold yellow]warning:[/]",
    MessageLevel.INFO: "[dim]gate:[/]",
}
"""How each kind of gate message is introduced on stderr."""


def _static_target(args: argparse.Namespace, cache_dir: Path) -> tuple[Interpreter, Target]:
    """Return the target of a static scan: a real interpreter's, else one synthesized."""
    if args.python is not None and not is_version_request(args.python):
        interpreter = find_interpreter(args.python, cache_dir=cache_dir)
        return interpreter, interpreter.target()
    version = args.target or args.python or DEFAULT_TARGET_VERSION
    try:
        # uv resolves for a synthesized target only when a free-threaded interpreter runs it.
        helper: Path | None = find_interpreter(None, cache_dir=cache_dir).executable
    except InterpreterError:
        helper = None
    target = synthesize_target(version, python=helper)
    return synthetic_interpreter(target), target


def _evidence_sources(
    args: argparse.Namespace,
    client: httpx.Client,
    cache_dir: Path,
    target: Target,
    abi: str,
    source: DependencySource | None,
    stderr: Console,
) -> EvidenceSources:
    """Return the tracker, and the index unless --offline or the file says --no-index."""
    tracker = TrackerService(load_snapshot(cache_dir=cache_dir))
    options = source.index_options() if source is not None else IndexOptions()
    index = None
    if not (args.offline or options.no_index):
        project = source.path.parent if source is not None else None
        try:
            url = args.index_url or options.index_url or configured_index_url(project_dir=project)
            index = IndexService(
                client, index_url=url, target_tags=target.tags, abi=abi, cache_dir=cache_dir
            )
        except ServiceError as error:
            stderr.print(f"[yellow]note:[/] the index is not asked: {_escape(str(error))}")
    return EvidenceSources(tracker=tracker, index=index, abi=abi)


def _interpreter_for_scan(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> Interpreter | None:
    """Find (or provision) the interpreter to probe; None means: fall back to a static scan."""
    try:
        return find_interpreter(args.python, cache_dir=cache_dir)
    except InterpreterError as error:
        # Only "none found" is worth offering to provision; a refused GIL build is not.
        if args.python is not None and not is_version_request(args.python):
            raise
        versions = (args.python,) if args.python else PROVISION_ORDER
        if not (args.install_python or _confirm(stderr, error, versions[0])):
            _static_fallback(stderr, error)
            return None
    failures: list[InterpreterError] = []
    for version in versions:
        try:
            executable = install_python(version, cache_dir=cache_dir, progress=progress)
        except InterpreterError as failure:
            progress.finish()
            failures.append(failure)
            if version != versions[-1]:
                stderr.print(f"[yellow]could not provision CPython {version}[/]; trying the next")
            continue
        progress.finish()
        return find_interpreter(str(executable), cache_dir=cache_dir)
    _static_fallback(stderr, failures[0])
    return None


def _static_fallback(stderr: Console, error: InterpreterError) -> None:
    stderr.print(f"[bold yellow]warning:[/] {_escape(str(error))}")
    stderr.print(
        "[bold yellow]warning:[/] falling back to a STATIC scan: verdicts from the index's "
        "files alone, nothing imported; `readiness python install` provisions an interpreter"
    )


def _confirm(stderr: Console, error: InterpreterError, version: str) -> bool:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    stderr.print(f"{_escape(str(error))}")
    answer = stderr.input(f"Provision CPython {version} into the readiness cache now? [Y/n] ")
    return answer.strip().lower() in ("", "y", "yes")


def _python_command(args: argparse.Namespace, cache_dir: Path, progress: Progress) -> int:
    stdout = Destination(None)
    stdout.check()
    if args.python_command == "install":
        executable = install_python(
            args.version, cache_dir=cache_dir, progress=progress, source=args.source
        )
        progress.finish()
        interpreter = find_interpreter(str(executable), cache_dir=cache_dir)
    else:
        interpreter = find_interpreter(args.python, cache_dir=cache_dir)
    write_report(stdout, lambda _: Rendered(f"{interpreter.executable}\n"))
    return 0


def summary_line(report: Report, policy: Policy) -> str:
    """Return the one-line summary printed on stderr after a scan."""
    counts: dict[Verdict, int] = {}
    for dist in report.distributions:
        counts[dist.verdict] = counts.get(dist.verdict, 0) + 1
    parts = [f"{counts[verdict]} {verdict.value}" for verdict in Verdict if verdict in counts]
    failed = policy.failures(report)
    inconclusive = policy.inconclusive(report)
    interpreter = report.interpreter
    on = (
        f"a synthesized CPython {interpreter.version_tag} ({report_kind(report)})"
        if interpreter.synthetic
        else f"CPython {interpreter.version_string} ({interpreter.abi_tag})"
    )
    line = (
        f"readiness: {len(report.distributions)} distributions on {on}: "
        f"{', '.join(parts) or 'none'}"
    )
    if failed:
        names = ", ".join(_escape(dist.name) for dist in failed[:5])
        names += ", ..." if len(failed) > 5 else ""
        line += f"; [bold red]gate failed[/] ({names})"
    else:
        line += "; [bold green]gate passed[/]"
    if inconclusive:
        line += f"; {len(inconclusive)} inconclusive (--strict fails on them)"
    return line


def report_kind(report: Report) -> str:
    """Return ``static`` or ``probe``, for the summary."""
    return "static" if report.static else "probe"


def _progress_for(stderr: Console) -> Progress:
    if stderr.is_terminal:
        from readiness._progress import RichProgress

        return RichProgress(stderr)
    return Progress()


def _escape(text: str) -> str:
    """Return ``text`` for a console message: no markup read in it, controls shown escaped."""
    from rich.markup import escape

    return escape(escape_controls(text))
