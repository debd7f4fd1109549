"""Every parser reads a hostile variation of a real file, or refuses it with a SourceError.

The variations start from the real locks in tests/assets/sources (see hostile.py). CI draws a
fixed set of examples (the ``ci`` profile); ``nox -s fuzz`` draws many more. A crash that
``nox -s fuzz`` finds becomes an ``@example`` here.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.sources.interface import Selection
from tests.sources.hostile import LOCKS, SELECTIONS, mutate, parse, read_or_refuse, splice, write

_KINDS = sorted(LOCKS)
_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _copy_beside(asset: Path, folder: Path) -> Path:
    """Copy the asset's folder (its pyproject.toml, the files it includes) into ``folder``."""
    for sibling in asset.parent.iterdir():
        if sibling.is_file():
            shutil.copy(sibling, folder / sibling.name)
    return folder / asset.name


@pytest.mark.parametrize("kind", _KINDS)
def test_every_kind_has_real_assets(kind: str) -> None:
    assert LOCKS[kind], f"no asset of kind {kind} to draw from"


@pytest.mark.parametrize("how", ["document", "text"])
@pytest.mark.parametrize("kind", _KINDS)
@_SETTINGS
@given(data=st.data(), selection=SELECTIONS)
def test_a_changed_file_is_read_or_refused(
    kind: str, data: st.DataObject, selection: Selection, how: str
) -> None:
    """Change the parsed document (values, keys, types), or splice hostile text into it."""
    asset = data.draw(st.sampled_from(LOCKS[kind]), label="asset")
    with tempfile.TemporaryDirectory() as folder:
        path = _copy_beside(asset, Path(folder))
        if how == "document" and kind != "requirements.txt":
            write(path, mutate(parse(asset), data))
        else:
            text = splice(asset.read_text(encoding="utf-8"), data)
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        if data.draw(st.booleans(), label="change pyproject too") and kind != "pyproject.toml":
            beside = path.parent / "pyproject.toml"
            if beside.is_file():
                write(beside, mutate(parse(beside), data))
        read_or_refuse(path, selection)
