"""The command line: ``readiness scan`` and ``readiness python``."""

from __future__ import annotations

import argparse
import enum
import logging
import shutil
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO, assert_never

from rich.console import Console

from readiness import __version__
from readiness._cache import atomic_write, default_cache_dir
from readiness._errors import InputError, ReadinessError
from readiness._state import Progress
from readiness.environment.interface import Installer
from readiness.environment.venv import existing_environment, pick_installer
from readiness.formats.interface import ReportFormat
from readiness.formats.json import JsonFormat
from readiness.formats.table import TableFormat
from readiness.interpreter.discover import find_interpreter, is_version_request
from readiness.interpreter.inspect import inspect_interpreter, require_free_threaded
from readiness.interpreter.interface import Interpreter, InterpreterError
from readiness.interpreter.provision import install_python
from readiness.policy import EXIT_INTERRUPTED, EXIT_USAGE, Policy
from readiness.report import Report, Verdict
from readiness.scan import Scanner, ScanOptions, hidden_gil_warnings
from readiness.sources.discovery import SOURCE_PRIORITY, find_source
from readiness.sources.interface import Selection
from readiness.sources.resolve import Resolver, pick_resolver

DEFAULT_PYTHON = "3.14t"
"""What ``readiness python install`` provisions when no version is given."""

PROVISION_ORDER = (DEFAULT_PYTHON, "3.13t")
"""What ``scan --install-python`` tries in turn when no version is asked for: 3.14t is the
supported free-threaded build, 3.13t the experimental one that still shows what re-enables
the GIL where 3.14t cannot be had (no uv downloads and no 3.14 source)."""


class FormatChoice(enum.StrEnum):
    """The ``--format`` choices."""

    TABLE = "table"
    JSON = "json"

    def to_format(self, *, color: bool, width: int | None = None) -> ReportFormat:
        """Return the format object this choice names."""
        match self:
            case FormatChoice.TABLE:
                return TableFormat(color=color, width=width)
            case FormatChoice.JSON:
                return JsonFormat()
            case _:
                assert_never(self)


class InstallerChoice(enum.StrEnum):
    """The ``--installer`` choices."""

    AUTO = "auto"
    UV = "uv"
    PIP = "pip"

    def to_resolver(self) -> Resolver:
        """Return the resolver of the installer this choice names."""
        match self:
            case InstallerChoice.AUTO:
                return pick_resolver()
            case InstallerChoice.UV:
                return pick_resolver(prefer="uv")
            case InstallerChoice.PIP:
                return pick_resolver(prefer="pip")
            case _:
                assert_never(self)

    def to_installer(self) -> Installer:
        """Return the installer this choice names (``auto``: uv where it is installed)."""
        match self:
            case InstallerChoice.AUTO:
                return pick_installer()
            case InstallerChoice.UV:
                return pick_installer(prefer="uv")
            case InstallerChoice.PIP:
                return pick_installer(prefer="pip")
            case _:
                assert_never(self)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit 2 through our own error boundary."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message, hint=f"run `{self.prog} --help` for the options")


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
        type=FormatChoice,
        choices=list(FormatChoice),
        default=FormatChoice.TABLE,
        help="report format (default: table)",
    )
    output.add_argument("-o", "--output", type=Path, help="write the report here, not to stdout")
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
    select = scan.add_argument_group("selection")
    select.add_argument("--extra", action="append", default=[], help="include this extra")
    select.add_argument("--group", action="append", default=[], help="include this group")
    select.add_argument("--all-extras", action="store_true", help="include every extra")
    select.add_argument("--all-groups", action="store_true", help="include every group")
    select.add_argument("--no-dev", action="store_true", help="leave out the dev group")
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
        default=60.0,
        metavar="SECONDS",
        help="time one import may take before it counts as a timeout (default: 60)",
    )
    _add_common_options(scan)

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
        default=DEFAULT_PYTHON,
        help=f"3.14t, 3.13t or 3.15t (default: {DEFAULT_PYTHON})",
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
        "--debug", action="store_true", help="show tracebacks and child process output"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        if args.debug:
            logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
        progress = _progress_for(stderr)
        cache_dir = args.cache_dir or default_cache_dir()
        if args.command == "python":
            return _python_command(args, cache_dir, progress)
        return _scan_command(args, cache_dir, progress, stderr)
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
    selection = Selection(
        extras=frozenset(args.extra),
        groups=frozenset(args.group),
        all_extras=args.all_extras,
        all_groups=args.all_groups,
        no_dev=args.no_dev,
    )
    if args.import_timeout <= 0:
        raise InputError("--import-timeout must be a positive number of seconds")
    if args.env is not None and (args.path is not None or args.python is not None):
        raise InputError(
            "--env scans an environment as it is: give no dependency file and no --python",
            hint="its own interpreter is the one probed",
        )
    warnings = hidden_gil_warnings()
    for warning in warnings:
        stderr.print(f"[bold yellow]warning:[/] {_escape(warning)}")
    options = ScanOptions(
        cache_dir=cache_dir,
        no_build=args.no_build,
        import_timeout=args.import_timeout,
        warnings=warnings,
    )
    scanner = Scanner(options, progress)
    if args.env is not None:
        environment = existing_environment(args.env)
        interpreter = require_free_threaded(inspect_interpreter(environment.python))
        report = scanner.scan_environment(environment, interpreter)
    else:
        source = find_source(args.path or Path(), selection, args.installer.to_resolver())
        interpreter = _interpreter_for_scan(args, cache_dir, progress, stderr)
        report = scanner.scan(source, interpreter, args.installer.to_installer())
    progress.finish()

    policy = Policy.from_options(args.fail_on, strict=args.strict)
    terminal = args.output is None and sys.stdout.isatty()
    width = shutil.get_terminal_size().columns if terminal else None
    text = args.format.to_format(color=terminal, width=width).render(report)
    if args.output is not None:
        atomic_write(args.output, text)
    else:
        _write(sys.stdout, text)
    stderr.print(summary_line(report, policy))
    return policy.exit_code(report)


def _interpreter_for_scan(
    args: argparse.Namespace, cache_dir: Path, progress: Progress, stderr: Console
) -> Interpreter:
    try:
        return find_interpreter(args.python, cache_dir=cache_dir)
    except InterpreterError as error:
        # Only "none found" is worth offering to provision; a refused GIL build is not.
        if args.python is not None and not is_version_request(args.python):
            raise
        versions = (args.python,) if args.python else PROVISION_ORDER
        if not (args.install_python or _confirm(stderr, error, versions[0])):
            raise
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
    raise failures[0]


def _confirm(stderr: Console, error: InterpreterError, version: str) -> bool:
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    stderr.print(f"{_escape(str(error))}")
    answer = stderr.input(f"Provision CPython {version} into the readiness cache now? [Y/n] ")
    return answer.strip().lower() in ("", "y", "yes")


def _python_command(args: argparse.Namespace, cache_dir: Path, progress: Progress) -> int:
    if args.python_command == "install":
        executable = install_python(
            args.version, cache_dir=cache_dir, progress=progress, source=args.source
        )
        progress.finish()
        interpreter = find_interpreter(str(executable), cache_dir=cache_dir)
    else:
        interpreter = find_interpreter(args.python, cache_dir=cache_dir)
    _write(sys.stdout, f"{interpreter.executable}\n")
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
    line = (
        f"readiness: {len(report.distributions)} distributions on CPython "
        f"{interpreter.version_string} ({interpreter.abi_tag}): {', '.join(parts) or 'none'}"
    )
    if failed:
        names = ", ".join(dist.name for dist in failed[:5]) + (", ..." if len(failed) > 5 else "")
        line += f"; [bold red]gate failed[/] ({names})"
    else:
        line += "; [bold green]gate passed[/]"
    if inconclusive:
        line += f"; {len(inconclusive)} inconclusive (--strict fails on them)"
    return line


def _write(stream: TextIO, text: str) -> None:
    stream.write(text)
    stream.flush()


def _progress_for(stderr: Console) -> Progress:
    if stderr.is_terminal:
        from readiness._progress import RichProgress

        return RichProgress(stderr)
    return Progress()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
