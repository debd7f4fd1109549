"""A distribution's switch to pure Python, advised only once the probe proved it.

ft-switch loads a compiled module that re-enables the GIL, unless FT_SWITCH_NO_EXTENSIONS is
set at import, as multidict does with MULTIDICT_NO_EXTENSIONS.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from readiness._errors import InputError
from readiness._state import Progress
from readiness.environment.interface import ProbeEnvironment
from readiness.environment.venv import existing_environment
from readiness.evidence.interface import Evidence
from readiness.interpreter.inspect import inspect_interpreter
from readiness.remedies.verify import RemedyVerifier
from readiness.remedies.workarounds import Workaround, load_workarounds, proves
from readiness.report import DistributionReport, Verdict
from tests.environment.conftest import uv_installer
from tests.probe.conftest import make_venv
from tests.wheelhouse import build_wheelhouse

SWITCH = Workaround((("FT_SWITCH_NO_EXTENSIONS", "1"),), "ft_switch/__init__.py")
NAME = canonicalize_name("ft-switch")


def test_the_shipped_table_names_a_switch_and_its_source_for_each() -> None:
    table = load_workarounds()

    assert table[canonicalize_name("multidict")].setting() == "MULTIDICT_NO_EXTENSIONS=1"
    for workaround in table.values():
        assert workaround.environment
        assert not any(name.startswith("PYTHON") for name, _ in workaround.environment)
        assert ".py" in workaround.source


@pytest.mark.parametrize(
    "entry",
    [
        'environment = { PYTHON_GIL = "0" }\nsource = "x.py"\n',
        'environment = { X = 1 }\nsource = "x.py"\n',
        'environment = { X = "1" }\n',
        'environment = "X=1"\nsource = "x.py"\n',
    ],
    ids=["python-variable", "not-a-string", "no-source", "not-a-table"],
)
def test_a_malformed_entry_names_the_file_and_line(tmp_path: Path, entry: str) -> None:
    table = tmp_path / "workarounds.toml"
    table.write_text(f'[good]\nenvironment = {{ A = "1" }}\nsource = "a.py"\n\n[bad]\n{entry}')

    with pytest.raises(InputError) as raised:
        load_workarounds(table)

    assert str(raised.value).startswith(f"{table}:5: bad:")


def test_a_malformed_inline_entry_names_its_line(tmp_path: Path) -> None:
    table = tmp_path / "workarounds.toml"
    table.write_text(
        '# The switches.\nbad = { environment = "X=1", source = "x.py" }\n\n'
        '[good]\nenvironment = { A = "1" }\nsource = "a.py"\n'
    )

    with pytest.raises(InputError) as raised:
        load_workarounds(table)

    assert str(raised.value).startswith(f"{table}:2: bad:")


@pytest.fixture(scope="module")
def environment(
    freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory
) -> ProbeEnvironment:
    folder = tmp_path_factory.mktemp("workarounds")
    wheels = build_wheelhouse(freethreaded_python, ["ft-switch", "ft-gil"], folder / "wheels")
    venv = make_venv(freethreaded_python, folder / "venv", wheels, ["ft-switch", "ft-gil"])
    return existing_environment(venv.python.parent.parent)


@pytest.mark.freethreaded
def test_a_switch_is_proven_only_where_it_keeps_the_gil_off(
    environment: ProbeEnvironment,
) -> None:
    wrong = Workaround((("FT_SWITCH_NO_SUCH_THING", "1"),), "nowhere.py")
    ft_gil = canonicalize_name("ft-gil")

    assert proves(SWITCH, NAME, environment, import_timeout=60)
    assert not proves(wrong, NAME, environment, import_timeout=60)
    # ft-gil has no switch: its own variable changes nothing.
    assert not proves(SWITCH, ft_gil, environment, import_timeout=60)


@pytest.mark.freethreaded
def test_a_proven_switch_is_the_remedy_and_is_kept(
    freethreaded_python: Path, environment: ProbeEnvironment, tmp_path: Path
) -> None:
    interpreter = inspect_interpreter(freethreaded_python, cache_dir=tmp_path)
    verifier = RemedyVerifier(
        interpreter,
        uv_installer(),
        tmp_path,
        scanned=environment,
        workarounds={NAME: SWITCH},
    )
    blocker = DistributionReport(
        name=NAME,
        version=Version("1.0"),
        verdict=Verdict.GIL_ENABLED,
        direct=True,
        origin=None,
        evidence=Evidence(tracker=None, index=None),
    )

    [first] = verifier.verify_all([blocker], Progress())
    # The package is gone: a second verification that imported it would fail to prove it.
    copy = tmp_path / "ft_switch"
    package = next(path for path in environment.site_packages if (path / "ft_switch").is_dir())
    shutil.move(package / "ft_switch", copy)
    try:
        [again] = verifier.verify_all([blocker], Progress())
    finally:
        shutil.move(copy, package / "ft_switch")

    assert first.evidence is not None
    assert first.evidence.remedy is not None
    remedy = first.evidence.remedy
    assert remedy.workaround == "FT_SWITCH_NO_EXTENSIONS=1"
    assert "workaround: set FT_SWITCH_NO_EXTENSIONS=1" in remedy.text
    assert "verified, the GIL stays off on cp313t" in remedy.text
    assert remedy.upgrade_to is None
    assert again == first
