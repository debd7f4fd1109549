"""Resolution by the real installers, against the local index of tests/sources/index.py."""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from readiness._uv import find_uv
from readiness.environment.installers import pick_resolver
from readiness.environment.pip import PipResolver, _why_pip_cannot
from readiness.environment.uv import UvResolver
from readiness.interpreter.inspect import inspect_interpreter
from readiness.interpreter.interface import Interpreter
from readiness.interpreter.target import synthesize_target
from readiness.model import IndexOptions, Target
from readiness.sources.interface import (
    Origin,
    Provenance,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
)
from readiness.sources.resolve import (
    KeptResolver,
    RequirementLine,
    ResolutionError,
    Resolver,
    collect_resolved,
)
from tests.sources.index import make_project

pytestmark = [pytest.mark.freethreaded, pytest.mark.usefixtures("quiet_installers")]

FILE = Path("requirements.in")


def line(text: str, number: int, **kwargs: object) -> RequirementLine:
    name = kwargs.pop("name", None)
    if name is None and "@" not in text and not text.startswith("/"):
        name = canonicalize_name(text.split(";")[0].split("<")[0].split(">")[0].split("=")[0])
    return RequirementLine(
        text=text,
        origin=Origin(FILE, line=number),
        name=name,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def uv_resolver() -> UvResolver:
    uv = find_uv()
    assert uv is not None, "the tests need uv (the `test` extra installs it)"
    return UvResolver(uv)


@pytest.fixture(scope="module")
def interpreter(freethreaded_python: Path) -> Interpreter:
    return inspect_interpreter(freethreaded_python)


@pytest.fixture(params=["uv", "pip"])
def resolver(request: pytest.FixtureRequest) -> Resolver:
    return uv_resolver() if request.param == "uv" else PipResolver()


def by_name(found: list[ResolvedDependency]) -> dict[str, ResolvedDependency]:
    assert len({dep.name for dep in found}) == len(found)
    return {dep.name: dep for dep in found}


def test_direct_and_transitive_with_chains(
    resolver: Resolver, interpreter: Interpreter, index_url: str
) -> None:
    found = by_name(
        resolver.resolve(
            [line("gamma", 1), line("speedy", 2)],
            interpreter.target(),
            IndexOptions(index_url=index_url),
        )
    )
    assert {name: str(dep.version) for name, dep in found.items()} == {
        "gamma": "1.0",
        "beta": "2.0",
        "alpha": "1.1",
        # speedy 2.0 has no free-threaded wheel: the resolver looked for the real target.
        "speedy": "1.0",
    }
    assert found["gamma"].direct
    assert found["gamma"].origin == Origin(FILE, line=1)
    assert found["speedy"].origin == Origin(FILE, line=2)
    assert not found["alpha"].direct
    assert found["alpha"].chain == ("gamma", "beta")
    assert found["alpha"].origin == Origin(FILE, line=1)
    assert found["beta"].chain == ("gamma",)
    assert all(dep.provenance is Provenance.INDEX and dep.url is None for dep in found.values())


def test_constraints_limit_versions_and_add_nothing(
    resolver: Resolver, interpreter: Interpreter, index_url: str
) -> None:
    found = by_name(
        resolver.resolve(
            [
                line("beta", 1),
                line("alpha<1.1", 2, constraint=True),
                line("gamma<9", 3, constraint=True),
            ],
            interpreter.target(),
            IndexOptions(index_url=index_url),
        )
    )
    assert {name: str(dep.version) for name, dep in found.items()} == {
        "beta": "2.0",
        "alpha": "1.0",
    }


def test_urls_and_local_paths(
    resolver: Resolver, interpreter: Interpreter, index_url: str, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "proj", "localproj", "0.3", requires=["beta"])
    editable = make_project(tmp_path / "edit", "editproj", "0.5")
    wheel = f"{index_url.removesuffix('/simple')}/files/alpha-1.0-py3-none-any.whl"
    found = by_name(
        resolver.resolve(
            [
                line(f"alpha @ {wheel}", 1, name=canonicalize_name("alpha")),
                line(f"localproj @ {project.as_uri()}", 2, name=canonicalize_name("localproj")),
                line(str(editable), 3, name=canonicalize_name("editproj"), editable=True),
            ],
            interpreter.target(),
            IndexOptions(index_url=index_url),
        )
    )
    assert found["alpha"].provenance is Provenance.URL
    assert found["alpha"].url == wheel
    assert found["alpha"].version == Version("1.0")
    assert found["localproj"].provenance is Provenance.PATH
    assert found["localproj"].version == Version("0.3")
    assert found["localproj"].origin.line == 2
    assert found["editproj"].editable
    assert found["editproj"].provenance is Provenance.PATH
    assert found["editproj"].origin.line == 3
    assert found["beta"].chain == ("localproj",)
    assert found["beta"].provenance is Provenance.INDEX


def test_vcs_reference(
    resolver: Resolver, interpreter: Interpreter, index_url: str, tmp_path: Path
) -> None:
    repository = make_project(tmp_path / "repo", "vcsproj", "0.7")
    git = ["git", "-C", str(repository), "-c", "user.name=t", "-c", "user.email=t@invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True, timeout=30)
    subprocess.run([*git, "add", "."], check=True, timeout=30)
    subprocess.run([*git, "commit", "-q", "-m", "x"], check=True, timeout=30)
    url = f"git+{repository.as_uri()}@main"
    found = by_name(
        resolver.resolve(
            [line(f"vcsproj @ {url}", 1, name=canonicalize_name("vcsproj"))],
            interpreter.target(),
            IndexOptions(index_url=index_url),
        )
    )
    assert found["vcsproj"].provenance is Provenance.VCS
    assert found["vcsproj"].url is not None
    assert found["vcsproj"].url.startswith(f"git+{repository.as_uri()}@")
    assert found["vcsproj"].requirement().startswith("vcsproj @ git+file://")


def test_unsatisfiable_names_the_line(
    resolver: Resolver, interpreter: Interpreter, index_url: str
) -> None:
    with pytest.raises(SourceError) as raised:
        resolver.resolve(
            [line("gamma", 1), line("beta", 2), line("alpha>=5", 3)],
            interpreter.target(),
            IndexOptions(index_url=index_url),
        )
    assert str(raised.value).startswith(f"{FILE}:3: {resolver.name} cannot resolve")
    assert "alpha" in str(raised.value).splitlines()[-1]


def test_synthetic_free_threaded_target(
    resolver: Resolver, interpreter: Interpreter, index_url: str
) -> None:
    if interpreter.marker_environment["platform_machine"] != "x86_64":
        pytest.skip("the index's compiled wheels are for x86_64 Linux")
    # A free-threaded 3.13 that is not run: pip is told its ABI, uv borrows it from a 3.13t.
    target = synthesize_target("3.13t", python=interpreter.executable)
    found = by_name(
        resolver.resolve([line("speedy", 1)], target, IndexOptions(index_url=index_url))
    )
    assert found["speedy"].version == Version("1.0")


def test_uv_needs_a_free_threaded_interpreter_for_a_synthetic_target(index_url: str) -> None:
    with pytest.raises(SourceError, match="free-threaded interpreter"):
        uv_resolver().resolve(
            [line("speedy", 1)], synthesize_target("3.14t"), IndexOptions(index_url=index_url)
        )


def test_pip_resolves_a_synthetic_target_with_readiness_own_pip(index_url: str) -> None:
    target = synthesize_target("3.13t", platform="linux-x86_64")
    found = by_name(
        PipResolver().resolve([line("gamma", 1)], target, IndexOptions(index_url=index_url))
    )
    assert set(found) == {"gamma", "beta", "alpha"}


def test_collect_skips_lines_whose_marker_is_false(
    interpreter: Interpreter, index_url: str
) -> None:
    lines = [
        line("gamma", 1, marker=Marker("sys_platform == 'win32'"), pinned=Version("1.0")),
        line("beta", 2),
        line("beta", 3, marker=Marker("sys_platform == 'win32'")),
    ]
    found = collect_resolved(
        lines, interpreter.target(), IndexOptions(index_url=index_url), uv_resolver()
    )
    assert {dep.name for dep in found if isinstance(dep, ResolvedDependency)} == {"beta", "alpha"}
    assert [dep for dep in found if isinstance(dep, SkippedDependency)] == [
        SkippedDependency(
            name=NormalizedName("gamma"),
            origin=Origin(FILE, line=1),
            reason='marker `sys_platform == "win32"` is false for this interpreter',
            version=Version("1.0"),
        )
    ]


def test_nothing_to_resolve_runs_nothing(interpreter: Interpreter) -> None:
    only_constraints = [line("alpha<2", 1, constraint=True)]
    assert (
        collect_resolved(only_constraints, interpreter.target(), IndexOptions(), PipResolver())
        == []
    )


def test_pick_resolver() -> None:
    assert isinstance(pick_resolver("pip"), PipResolver)
    assert isinstance(pick_resolver(), UvResolver)
    assert isinstance(pick_resolver("uv"), UvResolver)


@pytest.mark.network
def test_the_users_configured_index(
    interpreter: Interpreter, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The user's own configuration (index, certificates) decides where uv looks.
    monkeypatch.delenv("UV_NO_CONFIG")
    found = by_name(
        uv_resolver().resolve([line("six==1.17.0", 1)], interpreter.target(), IndexOptions())
    )
    assert found["six"].version == Version("1.17.0")


def test_a_target_without_its_interpreter_is_refused(index_url: str) -> None:
    target = Target(marker_environment={}, tags=[])
    with pytest.raises(SourceError, match="needs the target's interpreter"):
        PipResolver().resolve([line("alpha", 1)], target, IndexOptions(index_url=index_url))


def test_pip_says_why_it_cannot_resolve_for_a_python_it_does_not_run(index_url: str) -> None:
    # speedy 2.0 has only a GIL wheel: for 3.13t pip, wheels only, finds nothing to take.
    target = synthesize_target("3.13t", platform="linux-x86_64")
    with pytest.raises(SourceError) as raised:
        PipResolver().resolve([line("speedy>=2", 1)], target, IndexOptions(index_url=index_url))
    message = str(raised.value)
    assert message.startswith(f"{FILE}:1: pip cannot resolve")
    assert "considers wheels only (--only-binary :all:" in message
    assert raised.value.hint is not None
    assert "--installer uv" in raised.value.hint


def test_pip_says_when_it_checked_requires_python_against_its_own_python() -> None:
    # What pip 23.2 printed, resolving with --python-version 3.13 on a 3.11.7 host.
    completed = subprocess.CompletedProcess(
        ["pip"],
        1,
        stdout="Collecting modern>=1\n",
        stderr="ERROR: Package 'modern' requires a different Python: 3.11.7 not in '>=3.12'\n",
    )
    target = synthesize_target("3.13t", platform="linux-x86_64")
    why = _why_pip_cannot(completed, target, Path("/usr/bin/python3.11"))
    assert why is not None
    explanation, hint = why
    assert "against the Python it runs on (/usr/bin/python3.11, 3.11.7)" in explanation
    assert "not against the target 3.13t" in explanation
    assert "--installer uv" in hint
    # The Python pip runs is the target's version, or the target is real: nothing to explain.
    same = synthesize_target("3.11", platform="linux-x86_64")
    assert _why_pip_cannot(completed, same, Path("/usr/bin/python3.11")) is None
    real = synthesize_target("3.13t", platform="linux-x86_64")
    assert _why_pip_cannot(completed, dataclasses.replace(real, synthetic=False), Path()) is None


class Counting(Resolver):
    """The real uv resolver, counting how often it is asked."""

    def __init__(self) -> None:
        self.inner = uv_resolver()
        self.name = self.inner.name
        self.asked = 0

    def resolve(
        self, requirements: Sequence[RequirementLine], target: Target, index_options: IndexOptions
    ) -> list[ResolvedDependency]:
        self.asked += 1
        return self.inner.resolve(requirements, target, index_options)


def test_a_kept_resolution_is_used_again_until_a_line_or_the_target_changes(
    interpreter: Interpreter, index_url: str, tmp_path: Path
) -> None:
    counting = Counting()
    kept = KeptResolver(counting, tmp_path, max_age=3600)
    index = IndexOptions(index_url=index_url)
    lines = [line("gamma", 1), line("speedy", 2)]

    first = kept.resolve(lines, interpreter.target(), index)
    again = kept.resolve(lines, interpreter.target(), index)

    assert again == first
    assert {dep.name: dep.chain for dep in again}[canonicalize_name("alpha")] == ("gamma", "beta")
    assert counting.asked == 1
    # Another line, the same line elsewhere in the file, another index: resolved again.
    kept.resolve([line("gamma", 1), line("speedy<2", 2)], interpreter.target(), index)
    kept.resolve([line("gamma", 3), line("speedy", 4)], interpreter.target(), index)
    kept.resolve(lines, interpreter.target(), IndexOptions(index_url=index_url + "/"))
    assert counting.asked == 4
    # --refresh (max_age 0) asks; a local path is always resolved afresh.
    KeptResolver(counting, tmp_path, max_age=0).resolve(lines, interpreter.target(), index)
    assert counting.asked == 5
    local = make_project(tmp_path / "local", "localpkg", "1.0")
    on_disk = [line(f"localpkg @ {local.as_uri()}", 1, url=local.as_uri())]
    for _ in range(2):
        kept.resolve(on_disk, interpreter.target(), index)
    assert counting.asked == 7


def test_a_failed_resolution_is_kept_too_and_said_again_the_same(
    interpreter: Interpreter, index_url: str, tmp_path: Path
) -> None:
    counting = Counting()
    kept = KeptResolver(counting, tmp_path, max_age=3600)
    index = IndexOptions(index_url=index_url)
    lines = [line("nosuch==1.0", 1)]

    with pytest.raises(ResolutionError) as first:
        kept.resolve(lines, interpreter.target(), index)
    with pytest.raises(ResolutionError) as again:
        kept.resolve(lines, interpreter.target(), index)

    assert counting.asked == 1
    assert str(again.value) == str(first.value)
    assert (again.value.path, again.value.line, again.value.hint) == (
        first.value.path,
        first.value.line,
        first.value.hint,
    )
    # --refresh tries again.
    with pytest.raises(ResolutionError):
        KeptResolver(counting, tmp_path, max_age=0).resolve(lines, interpreter.target(), index)
    assert counting.asked == 2
