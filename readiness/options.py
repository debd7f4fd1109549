"""The typed options of ``scan`` and ``deps``, built from argparse's namespace in one place.

argparse leaves an untyped namespace; each command turns it into one frozen options object
here (``ScanCommandOptions.from_namespace``, ``DepsCommandOptions.from_namespace`` in
:mod:`readiness.deps`), merging the configuration file and refusing what does not go
together, so that nothing past that point sees a namespace. The flags themselves, and the
choices they name, are declared in :mod:`readiness._arguments`.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from readiness._arguments import FormatChoice as FormatChoice  # re-exported: it lived here
from readiness._arguments import InstallerChoice
from readiness._arguments import add_installer_option as add_installer_option
from readiness._arguments import add_selection_options as add_selection_options
from readiness._arguments import add_source_argument as add_source_argument
from readiness._defaults import DEFAULT_IMPORT_TIMEOUT, DEFAULT_INDEX_MAX_AGE
from readiness._errors import InputError
from readiness.config import Config
from readiness.destination import Destination
from readiness.policy import Allowance, Baseline
from readiness.report import Verdict
from readiness.sources.interface import Selection


@dataclass(frozen=True)
class SharedOptions:
    """What ``scan`` and ``deps`` both take: what to read, for what, resolved by whom."""

    path: Path | None
    """The dependency file or project folder; None: the current folder."""

    selection: Selection
    """The project's optional parts to include."""

    python: str | None
    """``--python``: an interpreter's path or a version (``3.14t``); None: discover one."""

    target: str | None
    """``--target``: a CPython version to synthesize a target for, nothing run."""

    installer: InstallerChoice
    """``--installer``: whose installer (and resolver) to use."""

    cache_dir: Path
    """Where interpreters, environments, results and index pages are kept."""

    debug: bool = False
    """``--debug``: tracebacks, child output and whole installer logs."""

    @classmethod
    def from_namespace(
        cls, args: argparse.Namespace, *, cache_dir: Path, config: Config | None = None
    ) -> SharedOptions:
        """Return the shared options; where a flag is not given, ``config`` may fill it.

        A boolean key can only switch an option on: a flag left off does not say "off".
        """
        config = config or Config()
        return cls(
            path=args.path or config.inputs,
            selection=Selection(
                extras=frozenset(args.extra or config.extras or ()),
                groups=frozenset(args.group or config.groups or ()),
                all_extras=bool(args.all_extras or config.all_extras),
                all_groups=bool(args.all_groups or config.all_groups),
                no_dev=bool(args.no_dev or config.no_dev),
            ),
            python=args.python or config.python,
            target=args.target,
            installer=args.installer,
            cache_dir=cache_dir,
            debug=args.debug,
        )


_N = TypeVar("_N", int, float)


# The scan command.

_Format = TypeVar("_Format", bound=enum.StrEnum)

ReportRequest = tuple[FormatChoice, Destination]
"""One report the scan writes: its format and where it goes."""


@dataclass(frozen=True)
class ScanCommandOptions:
    """Everything ``readiness scan`` was asked, the configuration file merged in and checked."""

    shared: SharedOptions
    """What ``deps`` takes too."""

    reports: tuple[ReportRequest, ...]
    """Each report format and its destination, every destination checked."""

    env: Path | None = None
    """``--env``: scan this environment as it is, instead of a dependency file."""

    install_python: bool = False
    """``--install-python``: provision an interpreter when none is found, without asking."""

    static: bool = False
    """``--static``: judge from the index's files alone."""

    index_url: str | None = None
    """``--index-url``: the index to ask for evidence."""

    offline: bool = False
    """``--offline``: do not ask the index."""

    fix: bool = False
    """``--fix``: apply the verified upgrades to the files that declare the pins."""

    dry_run: bool = False
    """``--fix --dry-run``: say what ``--fix`` would change, change nothing."""

    verify_remedies: bool = True
    """Prove each upgrade on the interpreter before advising it (``--no-verify-remedies``
    turns it off; a static or ``--offline`` scan tries nothing)."""

    no_build: bool = False
    """``--no-build``: a distribution without a usable wheel is not-installable."""

    project: bool = True
    """Build and probe the project in the scanned file's folder (``--no-project``: not)."""

    import_timeout: float = DEFAULT_IMPORT_TIMEOUT
    """Seconds one import may take."""

    use_results: bool = True
    """Reuse cached observations (``--no-cache`` turns this off)."""

    refresh: bool = False
    """``--refresh``: ask the index, and try again what the installer refused, now."""

    index_max_age: float = DEFAULT_INDEX_MAX_AGE
    """Seconds the index's evidence is used again without asking (0 with ``--refresh``)."""

    fail_on: frozenset[Verdict] | None = None
    """The verdicts that fail the gate; None: the default set."""

    strict: bool = False
    """Inconclusive results fail too."""

    allow: tuple[Allowance, ...] = ()
    """The configuration's allowlist."""

    baseline: Path | None = None
    """``--baseline``: only blockers not recorded in this file fail the gate."""

    write_baseline: Destination | None = None
    """``--write-baseline``: where the current blockers are recorded, checked."""

    @classmethod
    def from_namespace(
        cls, args: argparse.Namespace, config: Config, *, cache_dir: Path
    ) -> ScanCommandOptions:
        """Return the scan's options: flags first, then ``config``; raise :class:`InputError`.

        Every destination is checked here, before the scan: a bad one should not cost a whole
        scan to find out.
        """
        reports = report_destinations(args.format or [(FormatChoice.TABLE, None)], args.output)
        write_baseline = None
        if args.write_baseline is not None:
            write_baseline = Destination(args.write_baseline)
            write_baseline.check()
        # --env names what to scan and its interpreter: the file's must not clash with it.
        own = config if args.env is None else dataclasses.replace(config, python=None, inputs=None)
        options = cls(
            shared=SharedOptions.from_namespace(args, cache_dir=cache_dir, config=own),
            reports=reports,
            env=args.env,
            install_python=args.install_python,
            static=args.static,
            index_url=args.index_url,
            offline=args.offline,
            verify_remedies=not args.no_verify_remedies,
            fix=args.fix,
            dry_run=args.dry_run,
            no_build=args.no_build,
            project=not (args.no_project or config.no_project),
            import_timeout=first_given(
                args.import_timeout, config.import_timeout, DEFAULT_IMPORT_TIMEOUT
            ),
            use_results=not args.no_cache,
            refresh=args.refresh,
            index_max_age=0.0
            if args.refresh
            else first_given(None, config.index_max_age, DEFAULT_INDEX_MAX_AGE),
            fail_on=args.fail_on if args.fail_on is not None else config.fail_on,
            strict=bool(args.strict or config.strict),
            allow=config.allow,
            baseline=args.baseline or config.baseline,
            write_baseline=write_baseline,
        )
        options.check()
        return options

    def read_baseline(self) -> Baseline | None:
        """Read the baseline the gate compares with; None without one, or when writing one.

        Called before the scan: a missing baseline should not cost a whole scan to find out.
        """
        if self.baseline is None or self.write_baseline is not None:
            return None
        return Baseline.read(self.baseline)

    def check(self) -> None:
        """Raise :class:`InputError` for options that do not go together."""
        if self.import_timeout <= 0:
            raise InputError("--import-timeout must be a positive number of seconds")
        shared = self.shared
        if self.env is not None and (
            shared.path is not None or shared.python is not None or self.static
        ):
            raise InputError(
                "--env scans an environment as it is: give no dependency file, --python or "
                "--static",
                hint="its own interpreter is the one probed",
            )
        if shared.target is not None and not self.static:
            raise InputError("--target goes with --static", hint="a probe runs a real interpreter")
        if self.dry_run and not self.fix:
            raise InputError("--dry-run goes with --fix", hint="--fix --dry-run shows the diff")
        if self.fix and (self.static or self.offline or not self.verify_remedies or self.env):
            raise InputError(
                "--fix applies the upgrades a probe scan verified: it goes with no --static, "
                "--offline, --no-verify-remedies or --env",
                hint="--fix --dry-run shows what it would change",
            )


def first_given(flag: _N | None, configured: _N | None, default: _N) -> _N:
    """Return the flag's value, else the file's, else ``default`` (``scan`` and ``test``)."""
    if flag is not None:
        return flag
    return configured or default


def report_destinations(
    asked: Sequence[tuple[_Format, Path | None]], output: Path | None
) -> tuple[tuple[_Format, Destination], ...]:
    """Return each report format and where it goes, or raise on a usage error.

    ``asked`` is every ``--format NAME[=PATH]`` (of ``scan`` or ``test``), ``output`` is
    ``--output``. At most one format has no destination: it goes to ``--output``, else to
    stdout. Every destination is checked here, before the run: a bad one is known before any
    work is done.
    """
    bare = [choice.value for choice, path in asked if path is None]
    if len(bare) > 1:
        raise InputError(
            f"{' and '.join(bare)} have no destination: only one report can go to stdout",
            hint="give the others a file: --format NAME=PATH",
        )
    if output is not None and not bare:
        raise InputError(
            "--output is where the format without a destination goes, and every --format has one",
            hint="drop --output, or give one --format without =PATH",
        )
    destinations = tuple((choice, Destination(path or output)) for choice, path in asked)
    files = [where.path.resolve() for _, where in destinations if where.path is not None]
    for path in files:
        if files.count(path) > 1:
            raise InputError(f"two reports would be written to {path}")
    for _, where in destinations:
        where.check()
    return destinations
