from __future__ import annotations

import os
import shutil
from collections import defaultdict
from pathlib import Path, PurePosixPath

import pytest
from packaging.utils import NormalizedName, canonicalize_name

from readiness._metadata import MetadataFolder, metadata_folders
from readiness.probe import plan as plan_module
from readiness.probe.interface import ModuleKind, ModuleName, ProbePlan
from readiness.probe.plan import (
    ReadMetadata,
    dependency_order,
    modules_of,
    plan_probe,
    plan_probe_reading,
)
from tests.probe.conftest import ProbeVenv

pytestmark = pytest.mark.freethreaded

EXT = ".cpython-313t-x86_64-linux-gnu.so"


def _n(name: str) -> NormalizedName:
    return canonicalize_name(name)


def _by_distribution(plan: ProbePlan, kind: ModuleKind) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for step in plan.steps:
        if step.kind is kind:
            found[step.distribution].append(step.module)
    return dict(found)


@pytest.fixture(scope="module")
def plan(probe_venv: ProbeVenv) -> ProbePlan:
    return plan_probe(probe_venv.site_packages)


def test_top_level_modules_come_from_record(plan: ProbePlan) -> None:
    assert _by_distribution(plan, ModuleKind.TOP_LEVEL) == {
        "ft-exit": ["ft_exit"],
        "ft-flood": ["ft_flood"],
        "ft-gil": ["ft_gil"],
        "ft-gil-two": ["ft_gil_two"],
        "ft-hang": ["ft_hang"],
        "ft-lazy": ["ft_lazy"],
        "ft-ready": ["ft_ready"],
        # An implicit namespace package (ftns) and a pkgutil-style one (ftpkg) are looked
        # through; __main__, a folder that is no identifier, .pyi, .pth, bin/ are left out.
        "ft-layout": ["ftns.alpha", "ftns.beta", "ftpkg.gamma"],
        "ft-pure-importer": ["ft_pure_importer"],
        "ft-segfault": ["ft_segfault"],
        # Top-level extension modules (single-phase init) are top-level modules.
        "ft-single-gil": ["ft_single_gil"],
        "ft-single-ok": ["ft_single_ok"],
    }


def test_every_extension_module_is_a_step_unless_top_level(plan: ProbePlan) -> None:
    assert _by_distribution(plan, ModuleKind.EXTENSION) == {
        "ft-flood": ["ft_flood._noise"],
        "ft-gil": ["ft_gil._core"],
        "ft-gil-two": ["ft_gil_two._impl"],
        "ft-hang": ["ft_hang._stall"],
        "ft-lazy": ["ft_lazy._accel"],
        "ft-ready": ["ft_ready._core"],
        # A plain shared library in a package is tried (and recorded as not a module);
        # vendored libraries in ft_layout.libs/ are not.
        "ft-layout": ["ftns.alpha._speed", "ftns.alpha.libplain"],
        "ft-segfault": ["ft_segfault._crash"],
    }


def test_extension_owners_cover_every_compiled_module(plan: ProbePlan) -> None:
    assert plan.extension_owners == {
        "ft_flood._noise": "ft-flood",
        "ft_gil._core": "ft-gil",
        "ft_gil_two._impl": "ft-gil-two",
        "ft_hang._stall": "ft-hang",
        "ft_lazy._accel": "ft-lazy",
        "ft_ready._core": "ft-ready",
        "ft_segfault._crash": "ft-segfault",
        "ft_single_gil": "ft-single-gil",
        "ft_single_ok": "ft-single-ok",
        "ftns.alpha._speed": "ft-layout",
        "ftns.alpha.libplain": "ft-layout",
    }


def test_top_level_steps_come_first_dependencies_before_dependents(plan: ProbePlan) -> None:
    kinds = [step.kind for step in plan.steps]
    first_extension = kinds.index(ModuleKind.EXTENSION)
    assert all(kind is ModuleKind.TOP_LEVEL for kind in kinds[:first_extension])
    assert all(kind is ModuleKind.EXTENSION for kind in kinds[first_extension:])

    order = list(dict.fromkeys(step.distribution for step in plan.steps))
    assert order.index(_n("ft-gil")) < order.index(_n("ft-pure-importer"))
    assert order.index(_n("ft-ready")) < order.index(_n("ft-layout"))
    extension_order = list(
        dict.fromkeys(step.distribution for step in plan.steps if step.kind is ModuleKind.EXTENSION)
    )
    assert extension_order == [dist for dist in order if dist in set(extension_order)]


def test_plan_is_deterministic(probe_venv: ProbeVenv, plan: ProbePlan) -> None:
    assert plan_probe(probe_venv.site_packages) == plan


def test_selected_distributions_only_but_ownership_of_all(probe_venv: ProbeVenv) -> None:
    plan = plan_probe(probe_venv.site_packages, [_n("ft-pure-importer"), _n("ft-lazy")])

    assert [(step.module, step.kind) for step in plan.steps] == [
        ("ft_lazy", ModuleKind.TOP_LEVEL),
        ("ft_pure_importer", ModuleKind.TOP_LEVEL),
        ("ft_lazy._accel", ModuleKind.EXTENSION),
    ]
    assert plan.extension_owners[ModuleName("ft_gil._core")] == "ft-gil"


@pytest.mark.parametrize(
    ("paths", "top_level", "extensions"),
    [
        (["six.py"], ["six"], []),
        (["pkg/__init__.py", "pkg/sub/__init__.py", "pkg/mod.py"], ["pkg"], []),
        # protobuf: google/ is an implicit namespace package.
        (
            ["google/protobuf/__init__.py", f"google/_upb/_message{EXT}"],
            ["google._upb._message", "google.protobuf"],
            ["google._upb._message"],
        ),
        # Pillow: the compiled module is a submodule, its vendored libraries are no modules.
        (
            ["PIL/__init__.py", f"PIL/_imaging{EXT}", "pillow.libs/libjpeg-1a2b.so.62.4.0"],
            ["PIL"],
            ["PIL._imaging"],
        ),
        # numpy-style vendored folder even with an importable-looking name inside.
        (["numpy.libs/libopenblas.so", "numpy/__init__.py"], ["numpy"], []),
        # A package whose __init__ is compiled (Cython) is that package.
        ([f"fast/__init__{EXT}"], ["fast"], ["fast"]),
        (["speed.abi3.so", "win.cp313t-win_amd64.pyd", "plain.so"], None, None),
        (
            [
                "../../bin/tool",
                "x-1.0.dist-info/RECORD",
                "x-1.0.data/purelib/y.py",
                "pkg/__pycache__/mod.cpython-313.pyc",
                "pkg/__main__.py",
                "libfoo.so.1",
                "pkg/.dylibs/libz.so",
                "__editable___x_1_0_finder.py",
                "x.pth",
                "pkg/py.typed",
                "pkg/mod.pyi",
            ],
            [],
            [],
        ),
    ],
)
def test_modules_of_record_paths(
    paths: list[str], top_level: list[str] | None, extensions: list[str] | None
) -> None:
    found_top, found_extensions = modules_of(PurePosixPath(path) for path in paths)
    if top_level is None:
        assert found_top == found_extensions == ("plain", "speed", "win")
    else:
        assert list(found_top) == top_level
        assert list(found_extensions) == extensions


def test_dependency_order_puts_dependencies_first_and_breaks_cycles() -> None:
    requires = {
        _n("app"): {_n("lib"), _n("absent")},
        _n("lib"): {_n("core")},
        _n("core"): set(),
        _n("cycle-a"): {_n("cycle-b")},
        _n("cycle-b"): {_n("cycle-a"), _n("core")},
        _n("self"): {_n("self")},
    }
    order = dependency_order(requires)

    assert order == ["core", "lib", "app", "cycle-b", "cycle-a", "self"]
    assert dependency_order(dict(reversed(requires.items()))) == order


def _dist_info(site: Path, name: str, *, requires: list[str], files: list[str] | None) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    metadata = [f"Name: {name}", "Version: 1.0", *(f"Requires-Dist: {r}" for r in requires)]
    (info / "METADATA").write_text("Metadata-Version: 2.1\n" + "\n".join(metadata) + "\n")
    if files is not None:
        (info / "RECORD").write_text("".join(f"{path},,\n" for path in files))
        for path in files:  # installed, as RECORD says
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            (site / path).touch()
    else:
        (info / "top_level.txt").write_text(f"{name.replace('-', '_')}\n")


def test_cycles_and_distributions_without_record(tmp_path: Path) -> None:
    _dist_info(tmp_path, "alpha", requires=["beta; extra == 'x'"], files=["alpha.py"])
    _dist_info(tmp_path, "beta", requires=["alpha>=1", "not a requirement!"], files=["beta.py"])
    _dist_info(tmp_path, "gamma", requires=["alpha"], files=None)

    plan = plan_probe([tmp_path])

    assert [step.module for step in plan.steps] == ["beta", "alpha", "gamma"]
    assert plan.extension_owners == {}


def test_a_plan_reads_again_only_what_was_installed_again(
    probe_venv: ProbeVenv, plan: ProbePlan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site_packages = tmp_path / "site"
    shutil.copytree(probe_venv.site_packages[0], site_packages)
    first, read = plan_probe_reading([site_packages], None, ReadMetadata({}))
    assert first == plan
    assert len(read.distributions) == len(plan.files_digests)
    reads: list[str] = []
    reading = plan_module._read_distribution

    def counted(folder: MetadataFolder) -> object:
        reads.append(str(folder.name))
        return reading(folder)

    monkeypatch.setattr(plan_module, "_read_distribution", counted)

    again, kept = plan_probe_reading([site_packages], None, read)
    assert again == plan
    assert reads == []
    assert kept == read
    # ft-gil installed again: its RECORD is rewritten (a later modification time).
    [record] = site_packages.glob("ft_gil-*.dist-info/RECORD")
    os.utime(record, ns=(record.stat().st_atime_ns, record.stat().st_mtime_ns + 10**9))
    changed, _ = plan_probe_reading([site_packages], None, kept)
    assert changed == plan
    assert reads == ["ft-gil"]


def test_a_wheels_metadata_is_read_as_importlib_reads_it(
    probe_venv: ProbeVenv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The folders of wheels are read without importlib.metadata, others with it: either
    # way, what the plan learns is what importlib.metadata says.
    site = tmp_path / "site"
    comma = site / "comma-1.0.dist-info"
    comma.mkdir(parents=True)
    (comma / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: Comma\nVersion: 1.0\n"
        "Requires-Dist: six ; extra == 'x'\nRequires-Dist: ft-ready>=1\n\nbody\n"
    )
    (comma / "RECORD").write_text(
        '"comma/a,b.py",sha256=x,1\ncomma/__init__.py,,\ncomma/_core.cpython-313t.so,,\n'
        "comma/_gone.cpython-313t.so,,\ncomma-1.0.dist-info/RECORD,,\n"
    )
    (site / "comma").mkdir()
    for present in ["a,b.py", "__init__.py", "_core.cpython-313t.so"]:
        (site / "comma" / present).write_text("")
    legacy = site / "legacy-1.0.dist-info"  # requirements in requires.txt, as eggs have
    legacy.mkdir()
    (legacy / "METADATA").write_text("Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n")
    (legacy / "RECORD").write_text("legacy.py,,\n")
    (legacy / "requires.txt").write_text("six\n")
    egg = site / "egg-1.0-py3.13.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: egg\nVersion: 1.0\n")
    (egg / "installed-files.txt").write_text("../egg/__init__.py\n")
    nameless = site / "nameless-1.0.dist-info"
    nameless.mkdir()
    (nameless / "METADATA").write_text("Metadata-Version: 2.1\nVersion: 1.0\n")
    (nameless / "RECORD").write_text("nameless.py,,\n")

    folders = list(metadata_folders([*probe_venv.site_packages, site]))
    wheels = [f for f in folders if f.path.parent != site or f.name in ("comma", "nameless")]
    by_importlib = plan_module._read_with_importlib
    asked: list[str] = []

    def counted(folder: Path) -> object:
        asked.append(folder.name)
        return by_importlib(folder)

    monkeypatch.setattr(plan_module, "_read_with_importlib", counted)
    for folder in folders:
        if folder.name != "comma":  # its RECORD lists a file not there (see below)
            assert plan_module._read_distribution(folder) == by_importlib(folder.path)
    assert sorted(asked) == sorted([legacy.name, egg.name])
    assert len(wheels) == len(folders) - 2 >= 6
    comma_read = plan_module._read_distribution(next(f for f in folders if f.name == "comma"))
    assert comma_read is not None
    assert comma_read.requires == frozenset({"six", "ft-ready"})
    # RECORD lists _gone, not there: not planned (importlib.metadata leaves it out from 3.12).
    assert comma_read.extensions == ("comma._core",)
    assert comma_read.top_level == ("comma",)
