"""Metadata folders found and read as importlib.metadata finds and reads them."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from readiness._metadata import MetadataFolder, metadata_folders


@pytest.mark.parametrize(
    "metadata",
    [
        "Metadata-Version: 2.1\nName: ft-ready\nVersion: 1.0\n\nName: not-this\n",
        "Metadata-Version: 2.4\r\nname: Ft_Ready\r\nversion: 2.0.post1\r\n\r\nbody\r\n",
        "Name: first\nName: second\nVersion: 1.0\nVersion: 2.0\n",
        "Metadata-Version: 2.1\nSummary: a: colon\nName:   spaced  \nVersion:1.0\n",
        "Metadata-Version: 2.1\nVersion: 1.0\n",
        "Metadata-Version: 2.1\nDescription: one\n  Name: folded into it\nName: real\n",
        "",
        "Name: x\nClassifier: Programming Language :: Python :: Free Threading :: 2 - Beta\n"
        "Version: 1.0\nclassifier:   Typing :: Typed  \n\nClassifier: in the body\n",
        "Name: x\r\nVersion: 1.0\r\nClassifier: License :: OSI Approved\r\n",
        "Name: x\nRequires-Dist: six>=1.16\n"
        "requires-dist:  typing-extensions ; python_version<'3.12'\nVersion: 1.0\n"
        "\nRequires-Dist: not-this\n",
    ],
    ids=[
        "body",
        "crlf",
        "repeated",
        "spacing",
        "no-name",
        "continued",
        "empty",
        "classifiers",
        "crlf-classifier",
        "requires",
    ],
)
def test_headers_are_read_as_importlib_reads_them(tmp_path: Path, metadata: str) -> None:
    folder = tmp_path / "x-1.0.dist-info"
    folder.mkdir()
    (folder / "METADATA").write_bytes(metadata.encode())
    dist = importlib.metadata.PathDistribution(folder)

    headers = MetadataFolder(folder, canonicalize_name("x")).headers()

    assert (headers.name, headers.version) == (dist.metadata["Name"], dist.version)
    assert headers.classifiers == tuple(
        value.strip() for value in dist.metadata.get_all("Classifier") or []
    )
    assert headers.requires == tuple(value.strip() for value in dist.requires or [])


def test_folders_are_found_as_importlib_finds_them(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in [
        first / "Six-1.16.0.dist-info",
        first / "zope.interface-6.0.dist-info",
        first / "typing_extensions-4.12.2.DIST-INFO",
        first / "legacy_thing-0.1-py3.11.egg-info",
        second / "six-1.17.0.dist-info",
        second / "six.py",
    ]:
        folder.mkdir(parents=True)
    (first / "old-1.0.egg-info").write_text("Metadata-Version: 1.0\nName: old\n")
    paths = [first, tmp_path / "absent", second]

    def importlib_finds(name: str | None = None) -> list[Path]:
        found = importlib.metadata.distributions(path=[str(p) for p in paths], name=name)
        return sorted(Path(str(d._path)) for d in found)  # type: ignore[attr-defined]

    assert sorted(f.path for f in metadata_folders(paths)) == importlib_finds()
    for name in ["six", "zope-interface", "Typing.Extensions", "legacy-thing", "old", "absent"]:
        assert [f.path for f in metadata_folders(paths, {canonicalize_name(name)})] == sorted(
            importlib_finds(name)
        ), name
    # The first of a name is the one Python imports: the earlier path's.
    six = [f.path for f in metadata_folders(paths) if f.name == "six"]
    assert six == [first / "Six-1.16.0.dist-info", second / "six-1.17.0.dist-info"]
