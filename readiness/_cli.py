"""The command line: ``readiness scan`` and ``readiness python``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

import httpx
from rich.console import Console

from readiness import __version__
from readiness._cache import default_cache_dir
from readiness._defaults import DEFAULT_IMPORT_TIMEOUT, DEFAULT_TARGET_VERSION
from readiness._errors import InputError, ReadinessError
from readiness._state import Progress
from readiness.config import find_config
from readiness.deps import DepsCommandOptions, add_deps_parser, deps_command
from readiness.destination import (
    Destination,
    Layout,
    OutputError,
    Rendered,
    detach,
    write_report,
)
from readiness.evidence.tracker import (
    DEFAULT_URL as TRACKER_URL,
)
from readiness.evidence.tracker import tracker_update_command
from readiness.interpreter.discover import find_interpreter
from readiness.interpreter.provision import install_python
from readiness.options import FormatChoice as FormatChoice  # re-exported: tests name it here
from readiness.options import (
    ScanCommandOptions,
    add_installer_option,
    add_selection_options,
    add_source_argument,
)
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
from readiness.scan import hidden_gil_warnings
from readiness.session import ScanSession
from readiness.session import escape_message as _escape


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
    _add_scan_parser(
        commands.add_parser(
            "scan",
            help="install and import every dependency on a free-threaded interpreter",
            description="Install every dependency into a fresh environment of a free-threaded "
            "CPython, import each module in a child interpreter and report which ones re-enable "
            "the GIL.",
        )
    )
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


def _add_scan_parser(scan: argparse.ArgumentParser) -> None:
    add_source_argument(scan)
    _add_python_option(scan)
    scan.add_argument(
        "--env",
        type=Path,
        metavar="PATH",
        help="scan what is installed in this virtual environment of a free-threaded "
        "interpreter, installing nothing (instead of a dependency file)",
    )
    _add_switches(
        scan,
        {
            "--install-python": (
                "provision a free-threaded CPython when none is found, without asking"
            )
        },
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
    _add_switches(gate, {"--strict": "also fail on import-error (inconclusive)"})
    for flag, help_text in (
        (
            "--config",
            "read the policy and defaults from this TOML file (default: [tool.readiness] in "
            "the scanned folder's pyproject.toml, else the current folder's)",
        ),
        ("--baseline", "only blockers not recorded in this baseline fail the gate"),
        ("--write-baseline", "record the current blockers in FILE and exit 0"),
    ):
        gate.add_argument(flag, type=Path, metavar="FILE", help=help_text)
    add_selection_options(scan)
    evidence = scan.add_argument_group("evidence")
    _add_switches(
        evidence,
        {
            "--static": "judge from the index's files alone (free-threaded wheel, pure, sdist "
            "only, none): no interpreter, nothing installed; fails only on what is certain"
        },
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
    _add_switches(
        evidence,
        {"--offline": "do not ask the package index; the tracker snapshot is still used"},
    )
    install = scan.add_argument_group("installing and probing")
    add_installer_option(
        install,
        help_text="installer for the probe environment (default: uv where installed, else pip)",
    )
    _add_switches(
        install,
        {
            "--no-build": "never build from source: a distribution without a usable wheel is "
            "not-installable"
        },
    )
    install.add_argument(
        "--import-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time one import may take before it counts as a timeout "
        f"(default: {DEFAULT_IMPORT_TIMEOUT:g})",
    )
    _add_switches(
        install,
        {
            "--no-cache": "probe every distribution again, even those whose results are cached",
            "--refresh": "ask the index again, and try again what could not be installed, "
            "whatever is kept from the last day",
        },
    )
    _add_common_options(scan)


def _add_switches(group: argparse._ActionsContainer, switches: dict[str, str]) -> None:
    """Add each ``--flag`` that switches something on, with its help."""
    for flag, help_text in switches.items():
        group.add_argument(flag, action="store_true", help=help_text)


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
        return _COMMANDS[args.command](args, cache_dir, progress, stderr)
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
    config = find_config(args.config, args.path)
    if config.path is not None:
        stderr.print(f"[dim]configuration: {_escape(str(config.path))}[/]")
    options = ScanCommandOptions.from_namespace(args, config, cache_dir=cache_dir)
    baseline = options.read_baseline()
    warnings = hidden_gil_warnings()
    for warning in warnings:
        stderr.print(f"[bold yellow]warning:[/] {_escape(warning)}")
    session = ScanSession(cache_dir=cache_dir, progress=progress, console=stderr)
    report = session.scan(options, warnings)
    progress.finish()

    policy = Policy.from_options(
        options.fail_on,
        strict=options.strict,
        static=report.static,
        allow=options.allow,
        baseline=baseline,
    )
    outcome = policy.evaluate(report)
    # A report that cannot be written does not stop the others, nor the gate's verdict on
    # stderr; it is raised (exit 2) once everything else is said.
    unwritten = _write_reports(options, report, outcome)
    _print_after_scan(stderr, report, policy, outcome, options, own_notes=len(warnings))
    if unwritten is not None:
        raise unwritten
    if options.write_baseline is None:
        return outcome.exit_code
    blockers = Baseline.from_report(report, policy.fail_on)
    write_report(options.write_baseline, lambda _: Rendered(blockers.to_json()))
    stderr.print(
        f"readiness: wrote {len(outcome.blockers)} blockers to the baseline "
        f"{_escape(str(options.write_baseline.path))}"
    )
    return EXIT_READY


def _write_reports(
    options: ScanCommandOptions, report: Report, outcome: PolicyOutcome
) -> OutputError | None:
    """Write every report the scan was asked for; return the first that could not be."""
    unwritten: OutputError | None = None
    for choice, destination in options.reports:

        def render(layout: Layout, choice: FormatChoice = choice) -> Rendered:
            report_format = choice.to_format(
                color=layout.color, width=layout.width, gate=outcome, encoding=layout.encoding
            )
            return Rendered(report_format.render(report), report_format.charset)

        try:
            write_report(destination, render)
        except OutputError as error:
            unwritten = unwritten or error
    return unwritten


def _print_after_scan(
    stderr: Console,
    report: Report,
    policy: Policy,
    outcome: PolicyOutcome,
    options: ScanCommandOptions,
    *,
    own_notes: int,
) -> None:
    """Print what follows a scan on stderr: notes, install logs, the summary, the gate.

    The report's first ``own_notes`` warnings were printed before the scan.
    """
    for warning in report.warnings[own_notes:]:
        stderr.print(f"[yellow]note:[/] {_escape(warning)}")
    _print_install_logs(stderr, report, debug=options.shared.debug)
    stderr.print(summary_line(report, policy))
    for message in outcome.messages():
        stderr.print(f"{_GATE_LEVELS[message.level]} {_escape(message.text)}")


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


def _deps_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> int:
    options = DepsCommandOptions.from_namespace(args, cache_dir=cache_dir)
    session = ScanSession(cache_dir=cache_dir, progress=progress, console=stderr)
    return deps_command(options, session, stderr)


def _python_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> int:
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


def _tracker_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> int:
    with httpx.Client(follow_redirects=True) as client:
        for line in tracker_update_command(client, url=args.url, cache_dir=cache_dir):
            stderr.print(_escape(line))
    return 0


def _cache_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> int:
    removed = clear_cache(cache_dir)
    for folder in removed:
        stderr.print(f"removed {_escape(str(folder))}")
    if not removed:
        stderr.print(f"nothing to remove in {_escape(str(cache_dir))}")
    return 0


_Command = Callable[[argparse.Namespace, Path, Progress, Console], int]

_COMMANDS: dict[str, _Command] = {
    "scan": _scan_command,
    "deps": _deps_command,
    "python": _python_command,
    "tracker": _tracker_command,
    "cache": _cache_command,
}
"""Each subcommand and what runs it, given its arguments, the cache, progress and stderr."""


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
    """Return a bar on a terminal; elsewhere (a CI log) a plain line per phase and build."""
    from readiness._progress import PlainProgress, RichProgress

    if stderr.is_terminal:
        return RichProgress(stderr)
    return PlainProgress(stderr.file)
