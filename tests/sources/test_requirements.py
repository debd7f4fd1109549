from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from packaging.utils import NormalizedName
from packaging.version import Version

from readiness.environment.installers import pick_resolver
from readiness.environment.pip import PipResolver
from readiness.interpreter.inspect import inspect_interpreter
from readiness.model import IndexOptions, Target
from readiness.sources.interface import (
    Dependency,
    Origin,
    ResolvedDependency,
    SkippedDependency,
    SourceError,
)
from readiness.sources.requirements import RequirementsSource
from tests.sources.conftest import RecordingResolver
from tests.sources.hostile import linux_313t
from tests.sources.outcomes import (
    LINUX_313_DEV,
    LOCKDEMO,
    WINDOWS_310_DEV,
    one_per_name,
    resolved,
    skipped,
)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def collect(path: Path, target: Target) -> list[ResolvedDependency | SkippedDependency]:
    found = one_per_name(list(RequirementsSource(path).collect(target)))
    assert all(isinstance(dep, ResolvedDependency | SkippedDependency) for dep in found)
    return found  # type: ignore[return-value]


# Files compiled by uv (tests/assets/sources/README.md).


def test_compiled_for_linux_313(linux_313t: Target) -> None:
    found = collect(LOCKDEMO / "requirements.txt", linux_313t)
    assert resolved(found) == LINUX_313_DEV
    assert skipped(found) == {}
    assert all(isinstance(dep, ResolvedDependency) and dep.direct for dep in found)


def test_compiled_for_windows_310(windows_310: Target) -> None:
    found = collect(LOCKDEMO / "requirements-win-py310.txt", windows_310)
    assert resolved(found) == WINDOWS_310_DEV


def test_universal_file_selects_by_marker_and_fork(linux_313t: Target) -> None:
    found = collect(LOCKDEMO / "requirements-universal.txt", linux_313t)
    assert resolved(found) == LINUX_313_DEV | {("click", "8.3.0")}
    # six is pinned twice under exclusive markers: 1.17.0 holds, 1.16.0 is not reported.
    assert skipped(found) == {
        "colorama": 'marker `sys_platform == "win32"` is false for this interpreter',
        "exceptiongroup": 'marker `python_full_version < "3.11"` is false for this interpreter',
        "tomli": 'marker `python_full_version < "3.11"` is false for this interpreter',
        "typing-extensions": 'marker `python_full_version < "3.13"` is false for this interpreter',
    }
    colorama = next(dep for dep in found if dep.name == "colorama")
    assert colorama.version == Version("0.4.6")


def test_universal_file_on_windows_310(windows_310: Target) -> None:
    found = collect(LOCKDEMO / "requirements-universal.txt", windows_310)
    assert resolved(found) == WINDOWS_310_DEV | {("click", "8.3.0")}
    assert skipped(found) == {}


def test_a_fully_pinned_hashed_file_needs_no_resolver(
    linux_313t: Target, recording: RecordingResolver
) -> None:
    # Hashed, with markers, six pinned twice under exclusive markers: listed as it is.
    path = LOCKDEMO / "requirements-universal.txt"
    source = RequirementsSource(path, resolver=recording)
    found = one_per_name(list(source.collect(linux_313t)))
    assert recording.calls == []
    assert found == one_per_name(list(RequirementsSource(path).collect(linux_313t)))
    # Hashed: pip's hash-checking mode refuses what the file does not pin, so it is whole.
    assert source.complete is True


def test_a_pinned_file_without_hashes_still_goes_to_the_resolver(
    linux_313t: Target, recording: RecordingResolver, tmp_path: Path
) -> None:
    # Without hashes nothing says the file lists what its pins require: the resolver adds it.
    path = tmp_path / "requirements.txt"
    path.write_text("anyio==4.11.0 --hash=sha256:00\nsix==1.16.0\n", encoding="utf-8")
    source = RequirementsSource(path, resolver=recording)
    list(source.collect(linux_313t))
    assert len(recording.calls) == 1
    assert source.complete is True


def test_continued_line_is_located_at_its_first_line(linux_313t: Target) -> None:
    path = LOCKDEMO / "requirements-universal.txt"
    lines = path.read_text().splitlines()
    found: dict[str, Dependency] = {dep.name: dep for dep in collect(path, linux_313t)}
    assert found["anyio"].origin == Origin(path=path, line=lines.index("anyio==4.11.0 \\") + 1)
    assert lines[found["anyio"].origin.line or 0].lstrip().startswith("--hash=sha256:")


# The format.


def test_extras_comments_blank_lines_and_arbitrary_equality(
    tmp_path: Path, linux_313t: Target
) -> None:
    path = write(
        tmp_path,
        "requirements.txt",
        "# a comment line\n"
        "\n"
        "Anyio[Trio, doc]==4.6.0   # a trailing comment\n"
        "   \n"
        "legacy===1.0\n"
        "Six == 1.17.0 --hash=sha256:abc --hash sha256:def\n",
    )
    found = collect(path, linux_313t)
    assert found == [
        ResolvedDependency(
            name=NormalizedName("anyio"),
            origin=Origin(path=path, line=3),
            version=Version("4.6.0"),
            extras=frozenset({"trio", "doc"}),
        ),
        ResolvedDependency(
            name=NormalizedName("legacy"),
            origin=Origin(path=path, line=5),
            version=Version("1.0"),
        ),
        ResolvedDependency(
            name=NormalizedName("six"),
            origin=Origin(path=path, line=6),
            version=Version("1.17.0"),
        ),
    ]
    assert isinstance(found[0], ResolvedDependency)
    assert found[0].requirement() == "anyio[doc,trio]==4.6.0"


def test_false_marker_is_skipped_with_its_version(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, "r.txt", 'pywin32==306 ; sys_platform == "win32"\n')
    assert collect(path, linux_313t) == [
        SkippedDependency(
            name=NormalizedName("pywin32"),
            origin=Origin(path=path, line=1),
            reason='marker `sys_platform == "win32"` is false for this interpreter',
            version=Version("306"),
        )
    ]


def test_markers_use_the_target_not_this_host(tmp_path: Path, windows_310: Target) -> None:
    path = write(tmp_path, "r.txt", "pywin32==306 ; sys_platform == 'win32'\n")
    assert resolved(collect(path, windows_310)) == {("pywin32", "306")}


def test_includes_are_relative_to_the_including_file(tmp_path: Path, linux_313t: Target) -> None:
    top = write(tmp_path, "requirements.txt", "six==1.17.0\n-r reqs/base.txt\n")
    base = write(tmp_path, "reqs/base.txt", "# base\n--requirement=more/extra.txt\nidna==3.11\n")
    extra = write(tmp_path, "reqs/more/extra.txt", "\nsniffio==1.3.1\n")
    found = {dep.name: dep.origin for dep in collect(top, linux_313t)}
    assert found == {
        "six": Origin(path=top, line=1),
        "sniffio": Origin(path=extra, line=2),
        "idna": Origin(path=base, line=3),
    }


def test_the_same_file_included_twice_is_not_a_cycle(tmp_path: Path, linux_313t: Target) -> None:
    write(tmp_path, "common.txt", "idna==3.11\n")
    write(tmp_path, "a.txt", "-r common.txt\n")
    top = write(tmp_path, "r.txt", "-r common.txt\n-r a.txt\n")
    assert resolved(collect(top, linux_313t)) == {("idna", "3.11")}


def test_include_cycle_names_the_file_and_line(tmp_path: Path, linux_313t: Target) -> None:
    top = write(tmp_path, "r.txt", "six==1.17.0\n-r other.txt\n")
    other = write(tmp_path, "other.txt", "\n\n-r r.txt\n")
    with pytest.raises(SourceError, match="cycle") as raised:
        collect(top, linux_313t)
    assert str(raised.value).startswith(f"{other}:3: ")


def test_missing_include_names_the_including_file_and_line(
    tmp_path: Path, linux_313t: Target
) -> None:
    top = write(tmp_path, "r.txt", "six==1.17.0\n\n-r missing.txt\n")
    with pytest.raises(SourceError, match="does not exist") as raised:
        collect(top, linux_313t)
    assert str(raised.value).startswith(f"{top}:3: ")
    assert "missing.txt" in str(raised.value)


def test_missing_file(tmp_path: Path, linux_313t: Target) -> None:
    with pytest.raises(SourceError, match="does not exist") as raised:
        collect(tmp_path / "nope.txt", linux_313t)
    assert raised.value.path == tmp_path / "nope.txt"


def test_unpinned_requirement(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, "r.txt", "six==1.17.0\nrequests>=2\n")
    with pytest.raises(SourceError) as raised:
        collect(path, linux_313t)
    assert str(raised.value) == (
        f"{path}:2: requirement `requests>=2` is not pinned to one version (name==version); "
        "pin it, e.g. with uv pip compile or pip-compile"
    )


@pytest.mark.parametrize("line", ["requests", "numpy==2.*", "six>=1,<2", "six~=1.17"])
def test_ranges_are_not_pins(tmp_path: Path, linux_313t: Target, line: str) -> None:
    path = write(tmp_path, "r.txt", f"{line}\n")
    with pytest.raises(SourceError, match="is not pinned to one version"):
        collect(path, linux_313t)


@pytest.mark.parametrize(
    "line",
    [
        "-e .",
        "--editable ./src",
        "pkg @ https://example.invalid/pkg-1.0.tar.gz",
        "https://example.invalid/pkg-1.0.tar.gz",
        "./vendor/pkg",
        "pkg-1.0-py3-none-any.whl",
        "-r https://example.invalid/requirements.txt",
    ],
)
def test_editables_urls_and_paths_need_a_resolver(
    tmp_path: Path, linux_313t: Target, line: str
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "vendor" / "pkg").mkdir(parents=True)
    (tmp_path / "pkg-1.0-py3-none-any.whl").write_bytes(b"")
    path = write(tmp_path, "r.txt", f"six==1.17.0\n{line}\n")
    with pytest.raises(SourceError, match="not supported") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}:2: ")


def test_the_same_pin_twice_is_one_dependency(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, "r.txt", "six==1.17.0\nSix[x]==1.17.0\nidna==3.11\n")
    found = collect(path, linux_313t)
    assert resolved(found) == {("six", "1.17.0"), ("idna", "3.11")}
    assert found[0].origin.line == 1
    assert isinstance(found[0], ResolvedDependency)
    assert found[0].extras == {"x"}


def test_conflicting_pins(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, "r.txt", "six==1.17.0\nidna==3.11\nsix==1.16.0\n")
    with pytest.raises(SourceError) as raised:
        collect(path, linux_313t)
    assert str(raised.value) == (
        f"{path}:3: `six` is pinned to 1.16.0 here but to 1.17.0 at {path}:1; keep one pin"
    )


def test_pins_under_exclusive_markers_do_not_conflict(tmp_path: Path, linux_313t: Target) -> None:
    path = write(
        tmp_path,
        "r.txt",
        "six==1.16.0 ; python_version < '3.13'\nsix==1.17.0 ; python_version >= '3.13'\n",
    )
    found = collect(path, linux_313t)
    assert resolved(found) == {("six", "1.17.0")}
    assert skipped(found) == {}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("six=1.0", "Expected"),
        ("six==1.0 ; python_version >> '3'", "Expected"),
        ("six[==1.0", "Expected"),
        ("six==1.0 --unknown-option", "not allowed after a requirement"),
        ("--frobnicate", "unknown option `--frobnicate`"),
        ("-i", "option `-i` needs a value"),
        ("--no-index=yes", "takes no value"),
        ("six==1.0 --hash='unclosed", "cannot split the options"),
    ],
)
def test_invalid_lines_name_the_line_and_what_was_expected(
    tmp_path: Path, linux_313t: Target, line: str, expected: str
) -> None:
    path = write(tmp_path, "r.txt", f"# header\n{line}\n")
    with pytest.raises(SourceError, match=expected) as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}:2: ")


def test_invalid_requirement_says_what_was_expected(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, "r.txt", "six=1.0\n")
    with pytest.raises(SourceError, match=r"expected name==version") as raised:
        collect(path, linux_313t)
    assert raised.value.line == 1
    assert isinstance(raised.value.__cause__, Exception)


def test_not_utf8(tmp_path: Path, linux_313t: Target) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"six==1.17.0\n\xff\xfe\x00garbage\n")
    with pytest.raises(SourceError, match="not UTF-8"):
        collect(path, linux_313t)


def test_utf8_bom_and_crlf(tmp_path: Path, linux_313t: Target) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfsix==1.17.0\r\nidna==3.11 \\\r\n  ; os_name == 'posix'\r\n")
    assert resolved(collect(path, linux_313t)) == {("six", "1.17.0"), ("idna", "3.11")}


def test_constraints_are_read_and_do_not_add_distributions(
    tmp_path: Path, linux_313t: Target
) -> None:
    write(tmp_path, "sub/constraints.txt", "idna<4\n")
    path = write(tmp_path, "r.txt", "-c sub/constraints.txt\nsix==1.17.0\n")
    assert resolved(collect(path, linux_313t)) == {("six", "1.17.0")}


def test_missing_constraints_file_names_the_line(tmp_path: Path, linux_313t: Target) -> None:
    path = write(tmp_path, "r.txt", "six==1.17.0\n-c nowhere.txt\n")
    with pytest.raises(SourceError, match="does not exist") as raised:
        collect(path, linux_313t)
    assert str(raised.value).startswith(f"{path}:2: ")


# Index options.


def test_index_options_from_the_file_and_its_includes(
    tmp_path: Path, linux_313t: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READINESS_TEST_TOKEN", "s3cret")
    top = write(
        tmp_path,
        "requirements.txt",
        "--index-url http://127.0.0.1:9/first/simple\n"
        "-i http://127.0.0.1:9/simple\n"
        "--extra-index-url=http://user:${READINESS_TEST_TOKEN}@127.0.0.1:9/extra\n"
        "-f wheels\n"
        "-r sub/more.txt\n"
        "six==1.17.0\n",
    )
    write(
        tmp_path,
        "sub/more.txt",
        "--extra-index-url http://user:s3cret@127.0.0.1:9/extra\n"
        "-flocal-wheels --find-links http://127.0.0.1:9/links/\n"
        "--no-index --prefer-binary --only-binary :all:\n",
    )
    source = RequirementsSource(top)
    assert source.index_options() == IndexOptions(
        index_url="http://127.0.0.1:9/simple",
        extra_index_urls=("http://user:s3cret@127.0.0.1:9/extra",),
        find_links=(
            str(tmp_path / "wheels"),
            str(tmp_path / "sub" / "local-wheels"),
            "http://127.0.0.1:9/links/",
        ),
        no_index=True,
    )
    assert resolved(source.collect(linux_313t)) == {("six", "1.17.0")}


def test_no_index_options_by_default(linux_313t: Target) -> None:
    source = RequirementsSource(LOCKDEMO / "requirements.txt")
    assert source.index_options() == IndexOptions()
    assert source.kind == "requirements"
    assert source.complete is False


def test_index_options_of_a_broken_file_raise(tmp_path: Path) -> None:
    path = write(tmp_path, "r.txt", "-r nowhere.txt\n")
    with pytest.raises(SourceError):
        RequirementsSource(path).index_options()


# Whatever the text, reading it succeeds or raises SourceError.

_LINE_PIECES = st.sampled_from(
    [
        "six==1.17.0",
        "six==1.16.0",
        "idna[x]==3.11",
        "pkg===weird",
        "-r ",
        "-r r.txt",
        "-r other.txt",
        "-c ",
        "-e ",
        "-i ",
        "-f ",
        "--no-index",
        "--hash=sha256:00",
        " ; ",
        "python_version < '3.13'",
        "extra == 'x'",
        "sys_platform == 'win32'",
        "python_version > 'x'",
        " # ",
        "\\",
        "\n",
        "${HOME}",
        "'",
        "@ https://x",
        "[",
        "]",
        "~=",
        "./",
        ".whl",
    ]
)
_TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_LINE_PIECES, st.text(max_size=8)), max_size=30).map("".join),
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS, other=_TEXTS)
@example(text="~\x00", other="")  # Path.expanduser() raised "embedded null byte" (issue 10)
def test_any_text_is_read_or_refused_with_source_error(text: str, other: str) -> None:
    target = linux_313t()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.txt"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        (Path(folder) / "other.txt").write_bytes(other.encode("utf-8", "surrogatepass"))
        source = RequirementsSource(path)
        try:
            found = list(source.collect(target))
            source.index_options()
        except SourceError:
            return
        one_per_name(found)


# With a resolver: every line of pip's syntax goes to it.


def resolved_lines(path: Path, recording: RecordingResolver, target: Target) -> list[Dependency]:
    source = RequirementsSource(path, resolver=recording)
    assert source.complete is True
    return list(source.collect(target))


def test_every_line_goes_to_the_resolver_with_its_origin(
    tmp_path: Path, linux_313t: Target, recording: RecordingResolver
) -> None:
    path = write(
        tmp_path,
        "requirements.in",
        "requests>=2\nsix==1.17.0\nattrs\npywin32 ; sys_platform == 'win32'\n-c sub/c.txt\n",
    )
    constraints = write(tmp_path, "sub/c.txt", "urllib3<2 ; python_version >= '3'\n-r more.txt\n")
    more = write(tmp_path, "sub/more.txt", "idna\n")
    found = resolved_lines(path, recording, linux_313t)
    assert [(line.text, line.origin, line.constraint) for line in recording.lines] == [
        ("requests>=2", Origin(path, 1), False),
        ("six==1.17.0", Origin(path, 2), False),
        ("attrs", Origin(path, 3), False),
        ("urllib3<2", Origin(constraints, 1), True),
        # As pip: `-r` inside a constraints file reads requirements.
        ("idna", Origin(more, 1), False),
    ]
    assert skipped(found) == {
        "pywin32": 'marker `sys_platform == "win32"` is false for this interpreter'
    }
    assert {dep.name for dep in found if isinstance(dep, ResolvedDependency)} == {
        "requests",
        "six",
        "attrs",
        "idna",
    }
    [(_, target, options)] = recording.calls
    assert target is linux_313t
    assert options == IndexOptions()


def test_urls_paths_editables_and_vcs(
    tmp_path: Path, linux_313t: Target, recording: RecordingResolver
) -> None:
    project = tmp_path / "projects" / "app"
    project.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "My_App"\nversion = "1"\n')
    (tmp_path / "wheels").mkdir()
    wheel = tmp_path / "wheels" / "alpha-1.0-py3-none-any.whl"
    wheel.write_bytes(b"")
    path = write(
        tmp_path,
        "requirements.txt",
        "-e ./projects/app\n"
        "./projects/app[cli] ; os_name == 'posix'\n"
        "wheels/alpha-1.0-py3-none-any.whl\n"
        "beta @ https://127.0.0.1:9/beta-2.0.tar.gz\n"
        "https://127.0.0.1:9/files/gamma-3.0-py3-none-any.whl#sha256=00\n"
        "git+https://127.0.0.1:9/delta.git@v1#egg=delta\n"
        "-e git+https://127.0.0.1:9/eps.git@main#egg=eps\n"
        "https://127.0.0.1:9/unnamed/archive\n",
    )
    resolved_lines(path, recording, linux_313t)
    lines = recording.lines
    assert [(line.installer_line(), line.name) for line in lines] == [
        (f"-e {project}", "my-app"),
        (f"my-app[cli] @ {project.as_uri()}", "my-app"),
        (f"alpha @ {wheel.as_uri()}", "alpha"),
        ("beta @ https://127.0.0.1:9/beta-2.0.tar.gz", "beta"),
        (
            "gamma @ https://127.0.0.1:9/files/gamma-3.0-py3-none-any.whl#sha256=00",
            "gamma",
        ),
        ("delta @ git+https://127.0.0.1:9/delta.git@v1", "delta"),
        ("-e git+https://127.0.0.1:9/eps.git@main#egg=eps", "eps"),
        ("https://127.0.0.1:9/unnamed/archive", None),
    ]
    assert [line.origin.line for line in lines] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert lines[0].editable
    assert lines[6].editable
    assert lines[1].extras == {"cli"}
    assert str(lines[1].marker) == 'os_name == "posix"'
    assert lines[5].url == "git+https://127.0.0.1:9/delta.git@v1#egg=delta"


def test_continuation_into_a_comment_line_ends_it(
    tmp_path: Path, linux_313t: Target, recording: RecordingResolver
) -> None:
    # pip's join_lines: a comment line never continues a line, and ends a continued one.
    path = write(tmp_path, "r.txt", "alpha \\\n# a comment \\\nbeta\ngamma>=1,\\\n<2\n")
    resolved_lines(path, recording, linux_313t)
    assert [(line.text, line.origin.line) for line in recording.lines] == [
        ("alpha", 1),
        ("beta", 3),
        ("gamma<2,>=1", 4),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("./not-there\n", "does not exist"),
        ("-c nowhere.txt\n", "does not exist"),
        ("-c c.txt\n", "must name its distribution"),
        ("-c e.txt\n", "cannot be a constraint"),
        ("https://127.0.0.1:9/x.whl ; python_version >> '3'\n", "not a valid marker"),
    ],
)
def test_bad_lines_with_a_resolver(
    tmp_path: Path,
    linux_313t: Target,
    recording: RecordingResolver,
    text: str,
    expected: str,
) -> None:
    write(tmp_path, "c.txt", "https://127.0.0.1:9/unnamed/archive\n")
    write(tmp_path, "e.txt", "-e .\n")
    path = write(tmp_path, "r.txt", text)
    with pytest.raises(SourceError, match=expected) as raised:
        resolved_lines(path, recording, linux_313t)
    assert raised.value.line == 1


@pytest.mark.freethreaded
@pytest.mark.usefixtures("quiet_installers")
def test_a_range_resolved_by_uv_for_the_real_interpreter(
    tmp_path: Path, freethreaded_python: Path, index_url: str
) -> None:
    path = write(
        tmp_path,
        "requirements.in",
        f"--index-url {index_url}\n# the app\ngamma>=1\n-c constraints.txt\n",
    )
    write(tmp_path, "constraints.txt", "alpha<1.1\n")
    target = inspect_interpreter(freethreaded_python).target()
    collected = list(RequirementsSource(path, pick_resolver()).collect(target))
    found: dict[str, ResolvedDependency] = {
        dep.name: dep for dep in collected if isinstance(dep, ResolvedDependency)
    }
    assert len(found) == len(collected)
    assert {name: str(dep.version) for name, dep in found.items()} == {
        "gamma": "1.0",
        "beta": "2.0",
        "alpha": "1.0",
    }
    gamma, alpha = found["gamma"], found["alpha"]
    assert gamma.origin == Origin(path, 3)
    assert alpha.chain == ("gamma", "beta")
    assert not alpha.direct


@pytest.mark.freethreaded
@pytest.mark.usefixtures("quiet_installers")
def test_unsatisfiable_line_is_named(
    tmp_path: Path, freethreaded_python: Path, index_url: str
) -> None:
    path = write(tmp_path, "requirements.in", f"-i {index_url}\ngamma\nalpha>=7\n")
    target = inspect_interpreter(freethreaded_python).target()
    with pytest.raises(SourceError) as raised:
        list(RequirementsSource(path, PipResolver()).collect(target))
    assert str(raised.value).startswith(f"{path}:3: pip cannot resolve")
