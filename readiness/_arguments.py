"""The command line's parser, and the flag choices it names, light enough to build at once.

Every command line is parsed here before anything runs, and ``--version`` and ``--help`` end
here: this module imports the standard library and readiness's ground floor only. What a
choice builds (a report format, an installer, a listing's rendering) is imported when it is
built, by the enum's own method.
"""

from __future__ import annotations

import argparse
import enum
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn, TypeVar, assert_never

from readiness import __version__
from readiness._defaults import (
    DEFAULT_IMPORT_TIMEOUT,
    DEFAULT_TARGET_VERSION,
    DEFAULT_TEST_TIMEOUT,
    DEFAULT_TRACKER_URL,
    SOURCE_PRIORITY,
)
from readiness._errors import InputError

if TYPE_CHECKING:
    from readiness.deps import DependencyListing
    from readiness.destination import Layout, Rendered
    from readiness.environment.installers import InstallerPair
    from readiness.formats.interface import ReportFormat
    from readiness.policy import PolicyOutcome
    from readiness.report import Verdict
    from readiness.sources.resolve import Resolver
    from readiness.testrun.model import CaseVerdict


# The flag choices.


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
                from readiness.formats.table import TableFormat

                return TableFormat(color=color, width=width, gate=gate, encoding=encoding)
            case FormatChoice.JSON:
                from readiness.formats.json import JsonFormat

                return JsonFormat(gate=gate)
            case FormatChoice.HTML:
                from readiness.formats.html import HtmlFormat

                return HtmlFormat(gate=gate)
            case FormatChoice.MARKDOWN:
                from readiness.formats.markdown import MarkdownFormat

                return MarkdownFormat(gate=gate)
            case FormatChoice.SARIF:
                from readiness.formats.sarif import SarifFormat

                return SarifFormat(gate=gate)
            case FormatChoice.JUNIT:
                from readiness.formats.junit import JunitFormat

                return JunitFormat(gate=gate)
            case _:
                assert_never(self)


class DepsFormatChoice(enum.StrEnum):
    """The ``deps --format`` choices."""

    TABLE = "table"
    JSON = "json"

    def render(self, listing: DependencyListing, layout: Layout) -> Rendered:
        """Return ``listing`` in the format this choice names, fit for ``layout``.

        The table is drawn for the destination's encoding and written in it; the JSON
        document is UTF-8.
        """
        from readiness.deps import render_json, render_table
        from readiness.destination import Rendered

        match self:
            case DepsFormatChoice.TABLE:
                return Rendered(
                    render_table(
                        listing,
                        color=layout.color,
                        width=layout.width,
                        encoding=layout.encoding,
                    )
                )
            case DepsFormatChoice.JSON:
                return Rendered(render_json(listing), charset="utf-8")
            case _:
                assert_never(self)


class InstallerChoice(enum.StrEnum):
    """Which installer fills probe environments and resolves what a file leaves open."""

    AUTO = "auto"
    UV = "uv"
    PIP = "pip"

    @property
    def preference(self) -> Literal["uv", "pip"] | None:
        """The installer asked for; None lets readiness take uv where it is installed."""
        match self:
            case InstallerChoice.AUTO:
                return None
            case InstallerChoice.UV:
                return "uv"
            case InstallerChoice.PIP:
                return "pip"
            case _:
                assert_never(self)

    def to_pair(self) -> InstallerPair:
        """Return the installer this choice names, with its resolver: where uv is, once."""
        from readiness.environment.installers import pick_pair

        return pick_pair(self.preference)

    def to_resolver(self) -> Resolver:
        """Return the resolver of the installer this choice names."""
        return self.to_pair().resolver


# The parser.

_Format = TypeVar("_Format", bound=enum.StrEnum)
"""A command's ``--format`` choices: :class:`FormatChoice` for scan, :class:`TestFormat`."""


class TestFormat(enum.StrEnum):
    """The ``readiness test --format`` choices."""

    __test__ = False  # a name pytest would otherwise collect as a test class

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"
    HTML = "html"


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit 2 through our own error boundary."""

    def error(self, message: str) -> NoReturn:
        raise InputError(message, hint=f"run `{self.prog} --help` for the options")


_OFFLINE_HELP = "do not ask the package index; the tracker snapshot is still used"

_NO_VERIFY_HELP = (
    "advise upgrades from the evidence alone: do not install and probe each gil-enabled "
    "distribution's upgrade (up to 3 releases) to prove it"
)


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the whole command line, every subcommand included."""
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
    _add_deps_parser(
        commands.add_parser(
            "deps",
            help="list the distributions a scan would install, without installing anything",
            description="Read a dependency file for a target interpreter and list every "
            "distribution it selects: version, where it comes from, direct or pulled in by "
            "what, and where it was declared; then the ones skipped for the target, with the "
            "reason. Nothing is installed, and no free-threaded interpreter is needed.",
        )
    )
    _add_test_parser(
        commands.add_parser(
            "test",
            help="run the project's own tests on a free-threaded interpreter",
            description="Install the project, its dependencies and its test group into an "
            "environment of a free-threaded CPython, run its pytest suite there, and name every "
            "test that switches the GIL on (with the module, its distribution and the phase), "
            "crashes or hangs. The run goes on in a fresh process after each of them.",
        )
    )

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
    update.add_argument("--url", default=DEFAULT_TRACKER_URL, help="where the tracker's table is")
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
    _add_report_options(scan, FormatChoice)
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
        {
            "--offline": _OFFLINE_HELP,
            "--no-verify-remedies": _NO_VERIFY_HELP,
        },
    )
    fixing = scan.add_argument_group("fixing")
    _add_switches(
        fixing,
        {
            "--fix": "apply the verified upgrades: requirements files are edited (pins and "
            "hashes, comments kept), locks are moved by their own tool (or its command is "
            "printed); then scan again",
            "--dry-run": "with --fix: print the diff and the commands, change nothing",
        },
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
            "not-installable",
            "--no-project": "do not build and probe the project in the scanned file's folder "
            "(its own modules and extensions); its dependencies are still scanned",
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


def _add_deps_parser(deps: argparse.ArgumentParser) -> None:
    add_source_argument(deps)
    target = deps.add_argument_group("target")
    target.add_argument(
        "--python",
        metavar="PATH|VERSION",
        help="select for this free-threaded interpreter: a path, or 3.14t, 3.13t, 3.15t "
        "(it must be found)",
    )
    target.add_argument(
        "--target",
        metavar="VERSION",
        help=f"select for this CPython version without running it: 3.14t, 3.13t, 3.10, ... "
        f"(default: {DEFAULT_TARGET_VERSION})",
    )
    # sysconfig.get_platform() is what readiness.interpreter.target.host_platform() says.
    target.add_argument(
        "--platform",
        metavar="PLATFORM",
        help="with --target, select for this platform, spelled as sysconfig.get_platform(): "
        f"linux-x86_64, win-amd64, macosx-11.0-arm64 (default: this one, "
        f"{sysconfig.get_platform()})",
    )
    output = deps.add_argument_group("output")
    output.add_argument(
        "--format",
        type=DepsFormatChoice,
        choices=list(DepsFormatChoice),
        default=DepsFormatChoice.TABLE,
        help="listing format (default: table)",
    )
    output.add_argument("-o", "--output", type=Path, help="write the listing here, not to stdout")
    add_selection_options(deps)
    add_installer_option(
        deps,
        help_text="whose resolver answers what a requirements file or pyproject.toml leaves "
        "open (default: uv where installed, else pip)",
    )
    _add_common_options(deps)


def _add_test_parser(test: argparse.ArgumentParser) -> None:
    test.add_argument(
        "path", nargs="?", type=Path, help="the project folder (default: the current folder)"
    )
    _add_python_option(test)
    _add_report_options(test, TestFormat)
    test.add_argument(
        "--fail-on",
        type=_test_verdicts,
        metavar="VERDICTS",
        help="comma-separated verdicts that fail the run (default: "
        "gil-enabled,thread-unsafe,crashed,timeout)",
    )
    test.add_argument("--strict", action="store_true", help="also fail on failed tests")
    test.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="read defaults from this TOML file (default: [tool.readiness] and "
        "[tool.readiness.test] in the project's pyproject.toml, else the current folder's)",
    )
    # No default here: a flag left off lets [tool.readiness.test] decide.
    test.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="run each test that passed alone again in N threads at once (pytest-run-parallel); "
        "one that then fails is thread-unsafe (default: 1, no second run)",
    )
    test.add_argument(
        "--test-timeout",
        type=float,
        metavar="SECONDS",
        help=f"time one test may take (default: {DEFAULT_TEST_TIMEOUT:g})",
    )
    _add_switches(
        test,
        {
            "--install-python": (
                "provision a free-threaded CPython when none is found, without asking"
            )
        },
    )
    test.add_argument(
        "--index-url",
        metavar="URL",
        help="the simple API index asked for the remedies of what switched the GIL on "
        "(default: the lock's or file's index, else your pip/uv configuration, else pip's "
        "default)",
    )
    _add_switches(test, {"--offline": _OFFLINE_HELP, "--no-verify-remedies": _NO_VERIFY_HELP})
    add_installer_option(
        test, help_text="installer for the test environment (default: uv where installed)"
    )
    test.add_argument(
        "--no-build", action="store_true", help="never build a dependency from source"
    )
    add_selection_options(test)
    _add_common_options(test)
    # SharedOptions reads the target of scan and deps; a test run has a real interpreter.
    test.set_defaults(target=None)


def _test_verdicts(value: str) -> frozenset[CaseVerdict]:
    # Only a command line that gives --fail-on pays for the test run's model.
    from readiness.testrun.model import CaseVerdict

    known = {verdict.value: verdict for verdict in CaseVerdict}
    names = {part.strip() for part in value.split(",")} - {""}
    unknown = sorted(names - known.keys())
    if unknown:
        raise argparse.ArgumentTypeError(
            f"not a verdict: {', '.join(unknown)} (the verdicts: {', '.join(known)})"
        )
    return frozenset(known[name] for name in names)


def _add_report_options(parser: argparse.ArgumentParser, formats: type[_Format]) -> None:
    """Add ``--format NAME[=PATH]`` (repeatable, among ``formats``) and ``--output``."""
    output = parser.add_argument_group("output")
    output.add_argument(
        "--format",
        type=_format_destination(formats),
        action="append",
        metavar="NAME[=PATH]",
        help=f"a report format ({', '.join(formats)}; default: table), written to PATH, "
        "else to stdout; repeat it for several reports, at most one without =PATH",
    )
    output.add_argument(
        "-o", "--output", type=Path, help="write the report without =PATH here, not to stdout"
    )


def _format_destination(formats: type[_Format]) -> Callable[[str], tuple[_Format, Path | None]]:
    """Return the parser of ``--format NAME[=PATH]``: the format, and its file (None: stdout)."""

    def parse(value: str) -> tuple[_Format, Path | None]:
        name, equals, path = value.partition("=")
        try:
            choice = formats(name.strip())
        except ValueError:
            choices = ", ".join(choice.value for choice in formats)
            raise argparse.ArgumentTypeError(f"{name!r} is not a format ({choices})") from None
        if equals and not path:
            raise argparse.ArgumentTypeError(f"{value!r} names no file after '='")
        return choice, Path(path) if equals else None

    return parse


def _fail_on(value: str) -> frozenset[Verdict]:
    # Only a command line that gives --fail-on pays for the report's model.
    from readiness.report import Verdict

    names = [part.strip() for part in value.split(",") if part.strip()]
    try:
        return frozenset(Verdict(name) for name in names)
    except ValueError:
        choices = ", ".join(verdict.value for verdict in Verdict)
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a comma-separated list of verdicts ({choices})"
        ) from None


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


# The flags scan, deps and test take (readiness.options re-exports them).


def add_installer_option(group: argparse._ActionsContainer, *, help_text: str) -> None:
    """Add ``--installer``; ``help_text`` says what the command uses it for."""
    group.add_argument(
        "--installer",
        type=InstallerChoice,
        choices=list(InstallerChoice),
        default=InstallerChoice.AUTO,
        help=help_text,
    )


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    """Add the flags that choose a project's optional parts, as uv spells them."""
    select = parser.add_argument_group("selection")
    select.add_argument("--extra", action="append", default=[], help="include this extra")
    select.add_argument("--group", action="append", default=[], help="include this group")
    select.add_argument("--all-extras", action="store_true", help="include every extra")
    select.add_argument("--all-groups", action="store_true", help="include every group")
    select.add_argument("--no-dev", action="store_true", help="leave out the dev group")


def add_source_argument(parser: argparse.ArgumentParser) -> None:
    """Add the positional dependency file or project folder."""
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a dependency file or a project folder (default: the current folder; in a folder "
        f"the first of {', '.join(SOURCE_PRIORITY)} is read)",
    )
