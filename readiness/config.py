"""The project's configuration: ``[tool.readiness]`` in pyproject.toml, or ``--config FILE``.

It holds the gate's policy (``fail-on``, ``strict``, the allowlist, the baseline) and defaults
for the scan's options; a flag given on the command line wins over the file (the merge is
:meth:`readiness.options.ScanCommandOptions.from_namespace`). ``readiness test`` reads the keys
whose meaning is the same for it (the interpreter, the selection, the index's age) and its own
gate and run in the ``[tool.readiness.test]`` sub-table, as pytest keeps its options in
``[tool.pytest.ini_options]`` (the merge is
:meth:`readiness.testrun.command.TestCommandOptions.from_namespace`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidName, canonicalize_name

from readiness._documents import read_toml
from readiness._errors import InputError
from readiness.interpreter.discover import is_version_request
from readiness.policy import Allowance
from readiness.report import Verdict

if TYPE_CHECKING:
    from readiness.testrun.model import CaseVerdict

PROJECT_FILE = "pyproject.toml"
"""The file whose ``[tool.readiness]`` table is read when no ``--config`` is given."""


class ConfigError(InputError):
    """Raised when the configuration is not valid TOML, has an unknown key or a wrong type."""


@dataclass(frozen=True)
class TestConfig:
    """What ``[tool.readiness.test]`` says for ``readiness test``; None wherever it says nothing.

    A sub-table, not keys shared with ``scan``: its ``fail-on`` and ``strict`` name the
    verdicts of tests, not of distributions.
    """

    __test__ = False  # a name pytest would otherwise collect as a test class

    fail_on: frozenset[CaseVerdict] | None = None
    """``fail-on``: the test verdicts that fail the run."""

    strict: bool | None = None
    """``strict``: a test that fails on its own fails the run too."""

    threads: int | None = None
    """``threads``: run each test that passed alone again in this many threads."""

    test_timeout: float | None = None
    """``test-timeout``: seconds one test may take."""


@dataclass(frozen=True)
class Config:
    """What the configuration file says; None wherever it says nothing."""

    path: Path | None = None
    """The file read; None when there was none."""

    fail_on: frozenset[Verdict] | None = None
    """``fail-on``: the verdicts that fail the gate."""

    strict: bool | None = None
    """``strict``: inconclusive results fail too."""

    python: str | None = None
    """``python``: the interpreter, a version (``3.14t``) or a path (relative to the file)."""

    inputs: Path | None = None
    """``inputs`` or ``path``: the dependency file or folder, relative to the file."""

    extras: tuple[str, ...] | None = None
    """``extras``: extras to include."""

    groups: tuple[str, ...] | None = None
    """``groups``: dependency groups to include."""

    all_extras: bool | None = None
    """``all-extras``: include every extra."""

    all_groups: bool | None = None
    """``all-groups``: include every dependency group."""

    no_dev: bool | None = None
    """``no-dev``: leave out the development group."""

    no_project: bool | None = None
    """``no-project``: do not build and probe the project in the scanned file's folder."""

    import_timeout: float | None = None
    """``import-timeout``: seconds one import may take."""

    index_max_age: float | None = None
    """``index-max-age``: seconds the index's evidence is used again without asking."""

    allow: tuple[Allowance, ...] = ()
    """``[[tool.readiness.allow]]``: the allowlist."""

    baseline: Path | None = None
    """``baseline``: the baseline file, relative to the file."""

    test: TestConfig = TestConfig()
    """``[tool.readiness.test]``: what ``readiness test`` alone reads."""


def find_config(explicit: Path | None, scanned: Path | None, *, cwd: Path | None = None) -> Config:
    """Return the configuration for a scan.

    ``explicit`` (``--config``) is read when given. Otherwise the first ``pyproject.toml``
    with a ``[tool.readiness]`` table, in the folder scanned (``scanned`` itself, or the folder
    of the file ``scanned``), then in the current folder; ``Config()`` when there is none.
    """
    if explicit is not None:
        return load_config(explicit)
    here = cwd if cwd is not None else Path.cwd()
    folders = [here]
    if scanned is not None:
        folders.insert(0, scanned if scanned.is_dir() else scanned.parent)
    for folder in dict.fromkeys(folder.absolute() for folder in folders):
        pyproject = folder / PROJECT_FILE
        if not pyproject.is_file():
            continue
        text, document = _read(pyproject)
        tool = document.get("tool")
        if isinstance(tool, dict) and "readiness" in tool:
            return _config_from(tool["readiness"], pyproject, text, root="tool.readiness")
    return Config()


def load_config(path: Path) -> Config:
    """Read ``--config FILE``: the keys under ``[tool.readiness]``, else at the top level."""
    text, document = _read(path)
    tool = document.get("tool")
    if isinstance(tool, dict) and "readiness" in tool:
        return _config_from(tool["readiness"], path, text, root="tool.readiness")
    return _config_from(document, path, text, root="")


def _read(path: Path) -> tuple[str, dict[str, Any]]:
    return read_toml(path, what="the configuration", error=ConfigError)


class _Table:
    """One table of the file, with the means to name a key's line in errors."""

    def __init__(
        self, path: Path, text: str, table: str, occurrence: int = 0, title: str | None = None
    ) -> None:
        self.path = path
        self.text = text
        self.table = table
        self.occurrence = occurrence
        self.title = title or (f"[{table}]" if table else "the configuration")

    def error(self, key: str | None, message: str, hint: str | None = None) -> ConfigError:
        line = _key_line(self.text, self.table, key, self.occurrence) if key else None
        return ConfigError(message, path=self.path, line=line, hint=hint)


def _config_from(data: object, path: Path, text: str, *, root: str) -> Config:
    table = _Table(path, text, root)
    if not isinstance(data, dict):
        raise table.error(None, f"{table.title} must be a table")
    if "inputs" in data and "path" in data:
        # Checked before the values: the second key is named, whatever its value.
        _check_keys(data, table, _KEYS)
        raise table.error("path", "give the dependency file as `inputs` or `path`, not both")
    return Config(path=path, **_parse_keys(data, table, _KEYS))


def _parse_keys(data: dict[str, Any], table: _Table, keys: Mapping[str, _Key]) -> dict[str, Any]:
    """Return each Config field the table fills, parsed; raise for a key not in ``keys``."""
    _check_keys(data, table, keys)
    values: dict[str, Any] = {}
    for key, value in data.items():
        field_name, parse = keys[key]
        values[field_name] = parse(value, table, key)
    return values


def _check_keys(data: dict[str, Any], table: _Table, keys: Mapping[str, _Key]) -> None:
    for key in data:
        if key not in keys:
            import difflib  # only for a misspelt key: not on every run's path

            close = difflib.get_close_matches(key, keys, n=1)
            raise table.error(
                key,
                f"unknown key {key!r} in {table.title}",
                hint=f"did you mean {close[0]!r}?"
                if close
                else f"the keys are: {', '.join(sorted(keys))}",
            )


def _want(table: _Table, key: str, value: object, expected: str) -> ConfigError:
    return table.error(key, f"{key} in {table.title} must be {expected}, not {_kind(value)}")


def _kind(value: object) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _boolean(value: object, table: _Table, key: str) -> bool:
    if not isinstance(value, bool):
        raise _want(table, key, value, "true or false")
    return value


def _string(value: object, table: _Table, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _want(table, key, value, "a non-empty string")
    return value.strip()


def _strings(value: object, table: _Table, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _want(table, key, value, "an array of strings")
    return tuple(value)


def _fail_on(value: object, table: _Table, key: str) -> frozenset[Verdict]:
    return frozenset(map(Verdict, _verdict_names(value, table, key, [v.value for v in Verdict])))


def _test_fail_on(value: object, table: _Table, key: str) -> frozenset[CaseVerdict]:
    # Imported here: only a configuration with a [tool.readiness.test] table needs it.
    from readiness.testrun.model import CaseVerdict

    known = [verdict.value for verdict in CaseVerdict]
    return frozenset(map(CaseVerdict, _verdict_names(value, table, key, known)))


def _verdict_names(value: object, table: _Table, key: str, known: list[str]) -> list[str]:
    """Return the verdicts ``value`` names, each one of ``known``."""
    # The same comma-separated string --fail-on takes is accepted beside an array.
    names = [part.strip() for part in value.split(",")] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise _want(table, key, value, "an array of verdicts")
    unknown = [name for name in names if name and name not in known]
    if unknown:
        raise table.error(
            key,
            f"{unknown[0]!r} in {key} is not a verdict",
            hint=f"the verdicts are: {', '.join(known)}",
        )
    return [name for name in names if name]


def _relative_path(value: object, table: _Table, key: str) -> Path:
    # A path in the file means the same wherever readiness is run from: the file's folder.
    return table.path.parent / _string(value, table, key)


def _inputs(value: object, table: _Table, key: str) -> Path:
    if isinstance(value, list):
        if len(value) != 1:
            raise table.error(key, f"{key} names one dependency file or folder, not {len(value)}")
        value = value[0]
    return _relative_path(value, table, key)


def _python(value: object, table: _Table, key: str) -> str:
    request = _string(value, table, key)
    # A version (3.14t) or a command on PATH stays as it is; a relative path is the file's.
    if is_version_request(request) or "/" not in request or Path(request).is_absolute():
        return request
    return str(table.path.parent / request)


def _timeout(value: object, table: _Table, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _want(table, key, value, "a positive number of seconds")
    return float(value)


def _threads(value: object, table: _Table, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _want(table, key, value, "a whole number of threads, 1 or more")
    return value


def _test_table(value: object, parent: _Table, key: str) -> TestConfig:
    if not isinstance(value, dict):
        raise _want(parent, key, value, "a table ([tool.readiness.test])")
    table = _Table(parent.path, parent.text, f"{parent.table}.{key}" if parent.table else key)
    return TestConfig(**_parse_keys(value, table, _TEST_KEYS))


_Parse = Callable[[object, _Table, str], Any]

_Key = tuple[str, _Parse]
"""The Config field a key fills, and how its value is parsed."""

_TEST_KEYS: Mapping[str, _Key] = {
    "fail-on": ("fail_on", _test_fail_on),
    "strict": ("strict", _boolean),
    "threads": ("threads", _threads),
    "test-timeout": ("test_timeout", _timeout),
}
"""Every key ``[tool.readiness.test]`` may hold: the TestConfig field and its parser."""

_KEYS: Mapping[str, _Key] = {
    "fail-on": ("fail_on", _fail_on),
    "strict": ("strict", _boolean),
    "python": ("python", _python),
    "inputs": ("inputs", _inputs),
    "path": ("inputs", _inputs),
    "extras": ("extras", _strings),
    "groups": ("groups", _strings),
    "all-extras": ("all_extras", _boolean),
    "all-groups": ("all_groups", _boolean),
    "no-dev": ("no_dev", _boolean),
    "no-project": ("no_project", _boolean),
    "import-timeout": ("import_timeout", _timeout),
    "index-max-age": ("index_max_age", _timeout),
    "allow": ("allow", lambda value, table, key: _allowlist(value, table)),
    "baseline": ("baseline", _relative_path),
    "test": ("test", _test_table),
}
"""Every key the table may hold: the Config field it fills and how it is parsed."""

_ALLOW_KEYS = ("name", "version", "reason", "until")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _allowlist(value: object, parent: _Table) -> tuple[Allowance, ...]:
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        raise _want(parent, "allow", value, "an array of tables ([[tool.readiness.allow]])")
    allow_table = f"{parent.table}.allow" if parent.table else "allow"
    return tuple(
        _allowance(
            entry,
            _Table(parent.path, parent.text, allow_table, index, f"allow entry {index + 1}"),
            parent,
        )
        for index, entry in enumerate(value)
    )


def _allowance(entry: dict[str, Any], table: _Table, parent: _Table) -> Allowance:
    line = _key_line(table.text, table.table, None, table.occurrence) or _key_line(
        parent.text, parent.table, "allow", 0
    )
    where = table.title
    for key in entry:
        if key not in _ALLOW_KEYS:
            raise table.error(
                key,
                f"unknown key {key!r} in {where}",
                hint=f"an allow entry has {', '.join(_ALLOW_KEYS)}",
            )
    for required in ("name", "reason"):
        if required not in entry:
            raise ConfigError(
                f"{where} has no {required!r}",
                path=table.path,
                line=line,
                hint="every allow entry needs the distribution's name and the reason the team "
                "accepts it",
            )
    raw_name = _string(entry["name"], table, "name")
    try:
        name = canonicalize_name(raw_name, validate=True)
    except InvalidName as e:
        raise table.error("name", f"{raw_name!r} in {where} is not a distribution name") from e
    version = None
    if "version" in entry:
        spec = _string(entry["version"], table, "version")
        try:
            version = SpecifierSet(spec)
        except InvalidSpecifier as e:
            raise table.error(
                "version",
                f"{spec!r} in {where} is not a version specifier",
                hint=f'write a PEP 440 specifier such as "<3" or "=={spec}"',
            ) from e
    return Allowance(
        name=name,
        reason=_string(entry["reason"], table, "reason"),
        version=version,
        until=_until(entry["until"], table) if "until" in entry else None,
        path=table.path,
        line=line,
    )


def _until(value: object, table: _Table) -> date:
    # TOML has a date type (`until = 2025-06-30`); a quoted "2025-06-30" is accepted as well.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as e:
            raise table.error("until", f"until {value!r} is not a date: {e}") from e
    raise _want(table, "until", value, "a date (YYYY-MM-DD)")


# A table header, `[a.b]` or `[[a.b]]`, with an optional comment after it.
_HEADER = re.compile(r"""^\s*(\[\[?)\s*([A-Za-z0-9_.\-"' ]+?)\s*\]\]?\s*(?:#.*)?$""")


def _key_line(text: str, table: str, key: str | None, occurrence: int = 0) -> int | None:
    """Return the 1-based line of ``key`` in ``table``; None when it cannot be told.

    In an array of tables the ``occurrence``-th table is searched; without ``key``, the line is
    that table's header. tomllib reports no positions for values (docs.python.org, tomllib),
    so the text is scanned: keys written as dotted keys or in inline tables are not found.
    """
    key_pattern = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""") if key is not None else None
    current = ""
    seen = 0 if table == "" else -1
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = ".".join(part.strip().strip("\"'") for part in header[2].split("."))
            if current == table:
                seen += 1
                if key_pattern is None and seen == occurrence:
                    return number
            continue
        if key_pattern and current == table and seen == occurrence and key_pattern.match(line):
            return number
    return None
