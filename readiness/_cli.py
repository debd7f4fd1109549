"""The command line: ``readiness scan``, ``deps``, ``cache``, ``tracker`` and ``python``.

The parser is built from :mod:`readiness._arguments` alone; each command imports its own
machinery when it runs, and the console (rich) is made once there is something to say, so
that ``--version`` and ``--help`` cost little more than the interpreter's start.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from readiness._arguments import FormatChoice as FormatChoice  # re-exported: tests name it here
from readiness._arguments import build_parser
from readiness._errors import (
    EXIT_INTERRUPTED,
    EXIT_READY,
    EXIT_TERMINATED,
    EXIT_USAGE,
    ReadinessError,
)

if TYPE_CHECKING:
    from readiness._console import MessageConsole
    from readiness._state import Progress
    from readiness.destination import Layout, OutputError, Rendered
    from readiness.options import ScanCommandOptions
    from readiness.policy import Policy, PolicyOutcome
    from readiness.remedies.fix import Fixes
    from readiness.report import Report


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    with _terminate_as_interrupt():
        return _main(argv)


def run() -> NoReturn:
    """Be the ``readiness`` command: run :func:`main`, then exit with its code.

    Garbage collection is tuned to a command that runs for seconds. Python collects its
    youngest objects every 700 allocations: a warm scan's records and imports made that 50
    collections (20 ms) that found next to nothing; every 100,000 they still bound a long
    scan's memory. And everything the run made is still referenced at its end, which the
    interpreter's last collection walked object by object: a sixth of a warm scan (50 ms),
    for memory the process gives back anyway. Frozen first (:func:`gc.freeze`), it is
    skipped; what references drop is still freed, files still close, the streams still flush.
    """
    gc.set_threshold(100_000)
    code = main()
    gc.freeze()
    sys.exit(code)


def _main(argv: Sequence[str] | None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:
        # A write to a stream whose reader went away, past the console (a --debug traceback):
        # nothing more can be said, and Python's flush at exit must not complain about it.
        from readiness.destination import detach

        detach(sys.stdout)
        detach(sys.stderr)
        return EXIT_USAGE


def _run(argv: Sequence[str] | None) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    # Made once the command line is read: --version and --help end before, without rich.
    stderr: MessageConsole | None = None
    try:
        args = build_parser().parse_args(argv)
        if args.debug:
            import logging

            logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        from readiness._cache import default_cache_dir
        from readiness._console import open_console

        stderr = open_console()
        progress = _progress_for(stderr)
        cache_dir = args.cache_dir or default_cache_dir()
        return _COMMANDS[args.command](args, cache_dir, progress, stderr)
    except BrokenPipeError:
        raise  # stderr is gone: main() ends quietly
    except (KeyboardInterrupt, Exception) as error:
        return _report_error(error, stderr, debug=debug)


def _report_error(
    error: KeyboardInterrupt | Exception, stderr: MessageConsole | None, *, debug: bool
) -> int:
    """Say on stderr what ended the run, and return its exit code: the error boundary.

    Called while ``error`` is being handled, so that ``--debug`` prints its traceback.
    """
    from readiness._console import open_console

    if stderr is None:
        stderr = open_console()
    if isinstance(error, Terminated):
        stderr.print("readiness: terminated")
        return EXIT_TERMINATED
    if isinstance(error, KeyboardInterrupt):
        stderr.print("readiness: interrupted")
        return EXIT_INTERRUPTED
    if debug:
        import traceback

        traceback.print_exc()
    if isinstance(error, ReadinessError):
        stderr.print(f"[bold red]error:[/] {_escape(str(error))}")
        if error.hint:
            stderr.print(f"[bold]hint:[/] {_escape(error.hint)}")
        return EXIT_USAGE
    # A bug of ours must not exit 1, which says "the gate failed", nor pass as 0.
    stderr.print(f"[bold red]internal error:[/] {_escape(repr(error))}")
    stderr.print("[bold]hint:[/] run again with --debug for the traceback, and report it")
    return EXIT_USAGE


def _scan_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    from readiness.config import find_config
    from readiness.destination import Rendered, write_report
    from readiness.options import ScanCommandOptions
    from readiness.policy import Baseline, Policy
    from readiness.scan import hidden_gil_warnings
    from readiness.session import ScanSession

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
    if options.fix and session.fixes is not None and _fixed(session.fixes, options, stderr):
        # What is left after the fix: the same scan again, of the edited files. (dataclasses
        # is imported here: --version and --help load none of its inspect machinery.)
        import dataclasses

        report = session.scan(dataclasses.replace(options, fix=False), warnings)
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


def _fixed(fixes: Fixes, options: ScanCommandOptions, stderr: MessageConsole) -> bool:
    """Show what ``--fix`` changes and, unless ``--dry-run``, change it; return whether it did.

    Every file is written at once, then the lock tools run; a failure puts the files back
    (:func:`readiness.remedies.fix.carry_out`).
    """
    from readiness.formats.control_chars import escape_controls
    from readiness.remedies.fix import carry_out

    for edit in fixes.edits:
        # The file may come from a stranger's pull request: its lines reach the terminal
        # with their control characters shown, never obeyed.
        diff = escape_controls(edit.diff().replace("\r\n", "\n"))
        stderr.print(diff, markup=False, highlight=False, end="")
    for why in fixes.left:
        stderr.print(f"[yellow]not fixed:[/] {_escape(why)}")
    for note in fixes.notes:
        stderr.print(f"[yellow]note:[/] {_escape(note)}")
    if not (fixes.edits or fixes.commands):
        stderr.print("readiness: no verified upgrade to apply")
        return False
    if options.dry_run:
        for command in fixes.commands:
            stderr.print(f"would run: {_escape(command.text())}")
        stderr.print("readiness: --dry-run: nothing changed")
        return False
    ran, printed = carry_out(fixes)
    for text in ran:
        stderr.print(f"ran: {_escape(text)}")
    for text in printed:
        stderr.print(f"[yellow]run yourself[/] (the tool is not installed): {_escape(text)}")
    for edit in fixes.edits:
        stderr.print(f"fixed {_escape(str(edit.path))}")
    return True


def _write_reports(
    options: ScanCommandOptions, report: Report, outcome: PolicyOutcome
) -> OutputError | None:
    """Write every report the scan was asked for; return the first that could not be."""
    from readiness.destination import Rendered, write_reports

    def render(choice: FormatChoice, layout: Layout) -> Rendered:
        report_format = choice.to_format(
            color=layout.color, width=layout.width, gate=outcome, encoding=layout.encoding
        )
        return Rendered(report_format.render(report), report_format.charset)

    return write_reports(options.reports, render)


def _print_after_scan(
    stderr: MessageConsole,
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


def _print_install_logs(stderr: MessageConsole, report: Report, *, debug: bool) -> None:
    """Print the installer's whole output for what it could not install (with ``--debug``).

    Without ``--debug``, one note says where that output is: the row's reason is its cause line.
    """
    from readiness.report import Verdict

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
    "error": "[bold red]gate:[/]",
    "warning": "[bold yellow]warning:[/]",
    "info": "[dim]gate:[/]",
}
"""How each kind of gate message (a :class:`readiness.policy.MessageLevel`, a ``str``) is
introduced on stderr."""


def _deps_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    from readiness.deps import DepsCommandOptions, deps_command
    from readiness.session import ScanSession

    options = DepsCommandOptions.from_namespace(args, cache_dir=cache_dir)
    session = ScanSession(cache_dir=cache_dir, progress=progress, console=stderr)
    return deps_command(options, session, stderr)


def _python_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    from readiness.destination import Destination, Rendered, write_report
    from readiness.interpreter.discover import find_interpreter
    from readiness.interpreter.provision import install_python

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
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    import httpx

    from readiness.evidence.tracker import tracker_update_command

    with httpx.Client(follow_redirects=True) as client:
        for line in tracker_update_command(client, url=args.url, cache_dir=cache_dir):
            stderr.print(_escape(line))
    return 0


def _test_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    from readiness.testrun.command import run_test

    return run_test(args, cache_dir, progress, stderr)


def _cache_command(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: MessageConsole
) -> int:
    from readiness.results import clear_cache

    removed = clear_cache(cache_dir)
    for folder in removed:
        stderr.print(f"removed {_escape(str(folder))}")
    if not removed:
        stderr.print(f"nothing to remove in {_escape(str(cache_dir))}")
    return 0


def _escape(text: str) -> str:
    """Return ``text`` for a console message (see :func:`readiness._console.escape_message`)."""
    from readiness._console import escape_message

    return escape_message(text)


_Command: TypeAlias = "Callable[[argparse.Namespace, Path, Progress, MessageConsole], int]"

_COMMANDS: dict[str, _Command] = {
    "scan": _scan_command,
    "deps": _deps_command,
    "test": _test_command,
    "python": _python_command,
    "tracker": _tracker_command,
    "cache": _cache_command,
}
"""Each subcommand and what runs it, given its arguments, the cache, progress and stderr."""


def summary_line(report: Report, policy: Policy) -> str:
    """Return the one-line summary printed on stderr after a scan."""
    from readiness.report import Verdict

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


def _progress_for(stderr: MessageConsole) -> Progress:
    """Return a bar on a terminal; elsewhere (a CI log) a plain line per phase and build."""
    from readiness._progress import PlainProgress, RichProgress

    if stderr.is_terminal:
        from rich.console import Console

        if isinstance(stderr, Console):
            return RichProgress(stderr)
    return PlainProgress(stderr.file)
