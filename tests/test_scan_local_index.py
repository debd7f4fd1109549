"""Evidence and install from one real index on 127.0.0.1, as from a private mirror."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_scan_cli import readiness
from tests.wheelhouse import build_wheelhouse
from tests.wheelindex import serve_index


@pytest.fixture(scope="module")
def index_url(freethreaded_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An index with the compiled fixtures, and ft-old: 1.0 for the GIL build only, 1.1 for
    the free-threaded one (1.0's wheel would never be installed, so any content serves)."""
    folder = build_wheelhouse(
        freethreaded_python, ["ft-ready", "ft-gil"], tmp_path_factory.mktemp("index")
    )
    [ready] = folder.glob("ft_ready-1.0-*.whl")
    tag = ready.name.removeprefix("ft_ready-1.0-")  # cp313-cp313t-linux_x86_64.whl
    shutil.copy(ready, folder / f"ft_old-1.0-{tag.replace('t-', '-', 1)}")
    shutil.copy(ready, folder / f"ft_old-1.1-{tag}")
    with serve_index(folder) as url:
        yield url


@pytest.mark.freethreaded
def test_evidence_and_remedies_from_the_same_index(
    freethreaded_python: Path, index_url: str, tmp_path: Path
) -> None:
    reqs = tmp_path / "requirements.txt"
    reqs.write_text(f"--index-url {index_url}\nft-ready==1.0\nft-gil==1.0\nft-old==1.0\n")

    result = readiness(
        "scan",
        reqs,
        "--python",
        freethreaded_python,
        "--format",
        "json",
        "--cache-dir",
        tmp_path / "cache",
        # The evidence's own reading: ft-old 1.1 is ft-ready's wheel renamed, which no
        # installer takes for ft-old (tests/remedies proves upgrades with real releases).
        "--no-verify-remedies",
    )

    assert result.returncode == 1, result.stderr
    by_name = {d["name"]: d for d in json.loads(result.stdout)["distributions"]}
    assert {name: d["verdict"] for name, d in by_name.items()} == {
        "ft-ready": "ready",
        "ft-gil": "gil-enabled",
        "ft-old": "not-installable",
    }
    abi = json.loads(result.stdout)["interpreter"]["abi"]
    # A free-threaded wheel that re-enables the GIL: said plainly.
    assert by_name["ft-gil"]["evidence"]["index"]["wheel"] == "free-threaded-wheel"
    assert by_name["ft-gil"]["disagreements"] == [
        f"the index has {abi} wheels for 1.0, yet its extension re-enabled the GIL"
    ]
    # No wheel for this interpreter and no sdist: named with that reason, and the remedy.
    old = by_name["ft-old"]
    assert old["evidence"]["index"]["wheel"] == "no-free-threaded-wheel"
    assert "ft-old" in old["reason"]
    assert (
        old["remedy"]["text"] == f"upgrade ft-old 1.0 -> 1.1, the first release with {abi} wheels"
    )
    assert by_name["ft-ready"]["evidence"]["index"]["wheel"] == "free-threaded-wheel"
    assert by_name["ft-ready"]["evidence"]["tracked"] is False
    assert by_name["ft-ready"]["remedy"] is None
