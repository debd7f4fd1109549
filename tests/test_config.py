"""Reading [tool.readiness]: every key, where it is looked for, and errors naming file and line."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from readiness._arguments import build_parser
from readiness._defaults import DEFAULT_IMPORT_TIMEOUT, DEFAULT_INDEX_MAX_AGE
from readiness.config import Config, ConfigError, find_config, load_config
from readiness.options import ScanCommandOptions
from readiness.report import Verdict

FULL = """\
[project]
name = "app"

[tool.readiness]
fail-on = ["gil-enabled", "crashed"]
strict = true
python = "3.14t"
inputs = "requirements/prod.txt"
extras = ["fast"]
groups = ["test"]
all-extras = false
all-groups = true
no-dev = true
no-project = true
import-timeout = 30
baseline = "ci/readiness-baseline.json"

[[tool.readiness.allow]]
name = "Legacy_Ext"
version = "<3"
reason = "the maintainers port it in 3.0"
until = 2025-09-30

[[tool.readiness.allow]]
name = "other"
reason = "only loaded by the admin tool"
until = "2026-01-15"
"""


def write(folder: Path, text: str, name: str = "pyproject.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_every_key_of_tool_readiness(tmp_path: Path) -> None:
    pyproject = write(tmp_path, FULL)

    config = find_config(None, None, cwd=tmp_path)

    assert config.path == pyproject
    assert config.fail_on == frozenset({Verdict.GIL_ENABLED, Verdict.CRASHED})
    assert config.strict is True
    assert config.python == "3.14t"
    # Paths are the file's: the same wherever readiness runs from.
    assert config.inputs == tmp_path / "requirements" / "prod.txt"
    assert config.baseline == tmp_path / "ci" / "readiness-baseline.json"
    assert config.extras == ("fast",)
    assert config.groups == ("test",)
    assert (config.all_extras, config.all_groups, config.no_dev) == (False, True, True)
    assert config.no_project is True
    assert config.import_timeout == 30.0
    legacy, other = config.allow
    assert legacy.name == "legacy-ext"
    assert legacy.version == SpecifierSet("<3")
    assert legacy.until == date(2025, 9, 30)
    assert (legacy.path, legacy.line) == (pyproject, 18)
    assert other.version is None
    assert other.until == date(2026, 1, 15)
    assert other.reason == "only loaded by the admin tool"


def test_no_configuration_is_an_empty_one(tmp_path: Path) -> None:
    write(tmp_path, '[project]\nname = "app"\n')

    assert find_config(None, None, cwd=tmp_path) == Config()


def test_the_scanned_folder_comes_before_the_current_one(tmp_path: Path) -> None:
    write(tmp_path / "here", "[tool.readiness]\nstrict = true\n")
    scanned = write(tmp_path / "project", "[tool.readiness]\nno-dev = true\n")

    from_folder = find_config(None, tmp_path / "project", cwd=tmp_path / "here")
    from_file = find_config(None, scanned, cwd=tmp_path / "here")
    fallback = find_config(None, tmp_path / "elsewhere" / "reqs.txt", cwd=tmp_path / "here")

    assert from_folder.no_dev is True
    assert from_file.path == scanned
    assert fallback.strict is True


def test_a_scanned_pyproject_without_the_table_falls_back_to_the_current_folder(
    tmp_path: Path,
) -> None:
    write(tmp_path / "project", '[project]\nname = "app"\n')
    here = write(tmp_path / "here", "[tool.readiness]\nstrict = true\n")

    assert find_config(None, tmp_path / "project", cwd=tmp_path / "here").path == here


def test_config_file_with_top_level_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'fail-on = "gil-enabled, timeout"\n\n[[allow]]\nname = "x"\nreason = "r"\n',
        "readiness.toml",
    )

    config = load_config(path)

    assert config.fail_on == frozenset({Verdict.GIL_ENABLED, Verdict.TIMEOUT})
    assert [(a.name, a.line) for a in config.allow] == [("x", 3)]


def test_config_file_with_a_tool_readiness_table(tmp_path: Path) -> None:
    path = write(tmp_path, FULL, "shared.toml")

    # --config wins over the pyproject.toml of the folder.
    write(tmp_path, "[tool.readiness]\nstrict = false\n")
    config = find_config(path, tmp_path)

    assert config.path == path
    assert config.strict is True


@pytest.mark.parametrize(
    ("text", "line", "message", "hint"),
    [
        ("[tool.readiness]\nstrict = true\nfail_on = []\n", 3, "unknown key 'fail_on'", "fail-on"),
        ('[tool.readiness]\n\nstrict = "yes"\n', 3, "strict in [tool.readiness] must be", None),
        ("[tool.readiness]\nimport-timeout = -1\n", 2, "positive number", None),
        ("[tool.readiness]\nimport-timeout = true\n", 2, "not a boolean", None),
        ('[tool.readiness]\nextras = "fast"\n', 2, "an array of strings", None),
        ('[tool.readiness]\nfail-on = ["gil", "crashed"]\n', 2, "'gil' in fail-on", "gil-enabled"),
        ('[tool.readiness]\ninputs = "a"\npath = "b"\n', 3, "not both", None),
        ("[tool.readiness]\nallow = 3\n", 2, "array of tables", None),
        (
            '[tool.readiness]\n[[tool.readiness.allow]]\nname = "x"\n',
            2,
            "allow entry 1 has no 'reason'",
            "reason",
        ),
        (
            '[tool.readiness]\n[[tool.readiness.allow]]\nname = "x"\nreason = "r"\n'
            '[[tool.readiness.allow]]\nreason = "r"\nname = "y"\nversion = "1.0"\n',
            8,
            "'1.0' in allow entry 2 is not a version specifier",
            "==1.0",
        ),
        (
            '[[tool.readiness.allow]]\nname = "x"\nreason = "r"\nuntil = "30/09/2025"\n',
            4,
            "until in allow entry 1 must be a date",
            None,
        ),
        (
            '[[tool.readiness.allow]]\nname = "x"\nreason = "r"\nuntil = 2025-09-30T10:00:00\n',
            4,
            "must be a date",
            None,
        ),
        (
            '[[tool.readiness.allow]]\nname = "x"\nreason = "r"\nexpires = 2025-09-30\n',
            4,
            "unknown key 'expires' in allow entry 1",
            "until",
        ),
        ('[[tool.readiness.allow]]\nname = "-x-"\nreason = "r"\n', 2, "not a distribution", None),
        ("[tool.readiness]\nstrict = tru\n", 2, "not valid TOML", None),
    ],
)
def test_errors_name_the_file_the_key_and_the_line(
    tmp_path: Path, text: str, line: int, message: str, hint: str | None
) -> None:
    path = write(tmp_path, text)

    with pytest.raises(ConfigError, match=re.escape(message)) as caught:
        find_config(None, tmp_path)

    assert caught.value.path == path
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: ")
    if hint is not None:
        assert hint in (caught.value.hint or "")


def test_inline_allow_entries_point_at_the_allow_key(tmp_path: Path) -> None:
    write(tmp_path, '[tool.readiness]\nstrict = true\nallow = [{ name = "x" }]\n')

    with pytest.raises(ConfigError, match="no 'reason'") as caught:
        find_config(None, tmp_path)

    assert caught.value.line == 3


def test_a_missing_config_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_config(tmp_path / "nope.toml")

    assert caught.value.path == tmp_path / "nope.toml"


def test_a_relative_python_path_is_the_files_a_version_is_kept(tmp_path: Path) -> None:
    write(tmp_path / "a", '[tool.readiness]\npython = "venv/bin/python"\n')
    write(tmp_path / "b", '[tool.readiness]\npython = "python3.14t"\n')

    assert find_config(None, tmp_path / "a").python == str(tmp_path / "a" / "venv/bin/python")
    assert find_config(None, tmp_path / "b").python == "python3.14t"


def scan_args(**given: object) -> argparse.Namespace:
    """The scan options as the real parser leaves them when no flag is given, updated by
    ``given``."""
    args = build_parser().parse_args(["scan"])
    for name, value in given.items():
        assert hasattr(args, name), f"scan has no option {name}"
        setattr(args, name, value)
    return args


def merge(config: Config, args: argparse.Namespace) -> ScanCommandOptions:
    """The scan's options from ``args`` with ``config`` merged in."""
    return ScanCommandOptions.from_namespace(args, config, cache_dir=Path("cache"))


def test_the_file_fills_what_the_command_line_left_unset(tmp_path: Path) -> None:
    config = find_config(None, write(tmp_path, FULL))

    merged = merge(config, scan_args())

    assert merged.fail_on == config.fail_on
    assert merged.strict is True
    assert merged.shared.python == "3.14t"
    assert merged.shared.path == tmp_path / "requirements" / "prod.txt"
    selection = merged.shared.selection
    assert selection.extras == frozenset({"fast"})
    assert selection.groups == frozenset({"test"})
    assert (selection.all_extras, selection.all_groups, selection.no_dev) == (False, True, True)
    assert merged.import_timeout == 30.0
    assert merged.baseline == tmp_path / "ci" / "readiness-baseline.json"
    assert merged.project is False
    assert merge(Config(), scan_args()).project is True
    assert merge(Config(), scan_args(no_project=True)).project is False


def test_flags_win_over_the_file(tmp_path: Path) -> None:
    config = find_config(None, write(tmp_path, FULL))
    given = scan_args(
        fail_on=frozenset({Verdict.TIMEOUT}),
        python="/opt/py/bin/python3.14t",
        path=Path("other.txt"),
        extra=["slow"],
        import_timeout=5.0,
        baseline=Path("mine.json"),
    )

    merged = merge(config, given)

    assert merged.fail_on == frozenset({Verdict.TIMEOUT})
    assert merged.shared.python == "/opt/py/bin/python3.14t"
    assert merged.shared.path == Path("other.txt")
    assert merged.shared.selection.extras == frozenset({"slow"})
    assert merged.import_timeout == 5.0
    assert merged.baseline == Path("mine.json")
    assert given.import_timeout == 5.0  # the namespace given is left as it was


def test_env_scans_take_neither_the_files_inputs_nor_its_python(tmp_path: Path) -> None:
    config = find_config(None, write(tmp_path, FULL))

    merged = merge(config, scan_args(env=tmp_path / "venv"))

    assert merged.shared.path is None
    assert merged.shared.python is None


def test_without_a_file_the_import_timeout_has_its_default() -> None:
    assert merge(Config(), scan_args()).import_timeout == DEFAULT_IMPORT_TIMEOUT


def test_the_documented_example_is_a_valid_configuration(tmp_path: Path) -> None:
    readme = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text()
    section = readme.split("## CI gate: policy, allowlist, baseline", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]

    config = load_config(write(tmp_path, example, "readiness.toml"))

    assert config.allow[0].name == "legacy-ext"
    assert config.baseline == tmp_path / "ci" / "readiness-baseline.json"


def test_the_index_max_age_comes_from_the_file_and_refresh_asks_now(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "index-max-age = 3600\n", "readiness.toml"))

    assert merge(Config(), scan_args()).index_max_age == DEFAULT_INDEX_MAX_AGE
    assert merge(config, scan_args()).index_max_age == 3600.0
    assert merge(config, scan_args(refresh=True)).index_max_age == 0.0
