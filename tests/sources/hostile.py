"""Hostile variations of real dependency files, for the parsers' property tests.

Every variation starts from a file a real tool wrote (``tests/assets/sources``), parses it,
and changes it the way a careless or hostile author would: a value of the wrong type, a key
gone, a huge integer, a NUL byte in a path, a name that looks like an installer option, a
marker that cannot be evaluated, nesting deeper than a decoder recurses. The text is then
written back, so the parser under test reads a real file.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from packaging import tags

from readiness.model import IndexOptions, Target
from readiness.sources.discovery import find_source
from readiness.sources.interface import Dependency, ResolvedDependency, Selection, SourceError
from readiness.sources.resolve import RequirementLine, Resolver

ASSETS = Path(__file__).parent.parent / "assets" / "sources"

LOCKS: dict[str, list[Path]] = {
    kind: sorted(ASSETS.rglob(kind)) for kind in ("uv.lock", "poetry.lock", "pdm.lock")
}
LOCKS["Pipfile.lock"] = sorted(ASSETS.rglob("Pipfile.lock"))
LOCKS["pylock.toml"] = sorted(ASSETS.rglob("pylock*.toml"))
LOCKS["pyproject.toml"] = sorted(ASSETS.rglob("pyproject.toml"))
LOCKS["requirements.txt"] = sorted(ASSETS.rglob("requirements*.txt"))


@dataclass(frozen=True)
class BigInt:
    """An integer with more digits than Python converts by default (4,300)."""

    digits: int


HOSTILE_STRINGS = [
    "",
    " ",
    "-ihttp://[::1]:8765/simple/",
    "--index-url=http://127.0.0.1:1/",
    "a\x00b",
    "./x\x00",
    "~\x00",
    "http://[::1",
    "git+https://[zz/x.git",
    "file:///tmp/x'\";rm",
    "9" * 5000,
    "1." + "9" * 5000,
    "extra == 'cli'",
    "python_version > 'abc'",
    "python_version > 'abc' and os_name == 'posix'",
    "platform_release >= '6'",
    "unknown_variable == '1'",
    "==1.0",
    ">=",
    "*",
    "^1.0",
    "~1",
    "|| 2",
    "1.0 || 2.0",
    "name[",
    "x @ ",
    "../../../../etc/passwd",
    "/dev/zero",
    "\x1b[31mred\x1b[0m",
    "\u202eevil",
    "`a|b`<script>",
    "sha256:zz",
    "dev",
    "main",
    "default",
    "cli",
]

_LEAVES = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.builds(BigInt, st.integers(min_value=4301, max_value=6000)),
)
HOSTILE_VALUES: st.SearchStrategy[Any] = st.recursive(
    _LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(
            st.sampled_from([*HOSTILE_STRINGS[:12], "name", "version"]), children, max_size=3
        ),
    ),
    max_leaves=6,
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed document, as the keys and indexes that reach it."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_places(item, (*path, index)))
    return found


def mutate(document: Any, data: st.DataObject) -> Any:
    """Change a few places of ``document`` (in place) by draws from ``data``; return it."""
    for _ in range(data.draw(st.integers(min_value=1, max_value=3), label="changes")):
        places = _places(document)
        place = data.draw(st.sampled_from(places[1:] or places), label="place")
        if not place:
            return data.draw(HOSTILE_VALUES, label="document")
        *parents, last = place
        container = document
        for key in parents:
            container = container[key]
        action = data.draw(st.sampled_from(["replace", "delete", "wrap", "add"]), label="action")
        if action == "delete":
            del container[last]
        elif action == "wrap":
            container[last] = [container[last]]
        elif action == "add" and isinstance(container[last], dict):
            key = data.draw(st.sampled_from([*HOSTILE_STRINGS[:4], "extras", "source", "git"]))
            container[last][key] = data.draw(HOSTILE_VALUES, label="added")
        else:
            container[last] = data.draw(HOSTILE_VALUES, label="value")
    return document


def _toml_value(value: Any) -> str:
    if isinstance(value, BigInt):
        return "9" * value.digits
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{json.dumps(str(key))} = {_toml_value(item)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    return json.dumps(str(value))


def to_toml(document: Any) -> str:
    """Write ``document`` as TOML, every value inline (line numbers are not kept)."""
    if not isinstance(document, dict):
        return f"value = {_toml_value(document)}\n"
    return "".join(
        f"{json.dumps(str(key))} = {_toml_value(item)}\n" for key, item in document.items()
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, BigInt):
        return "BIGINT" + str(value.digits)
    raise TypeError(type(value))


_BIGINT = re.compile(r'"BIGINT(\d+)"')


def to_json(document: Any) -> str:
    """Write ``document`` as JSON, huge integers as digits."""
    text = json.dumps(document, default=_json_default, indent=2)
    return _BIGINT.sub(lambda found: "9" * int(found.group(1)), text)


def parse(path: Path) -> Any:
    """Read a file as the document its format holds (a fresh copy: mutate changes it).

    A real asset is parsed once per run; any other file every time.
    """
    if ASSETS in path.parents:
        return copy.deepcopy(_parsed_asset(path))
    return _parsed(path)


@functools.cache
def _parsed_asset(path: Path) -> Any:
    return _parsed(path)


def _parsed(path: Path) -> Any:
    if path.name == "Pipfile.lock":
        return json.loads(path.read_text(encoding="utf-8"))
    return tomllib.loads(path.read_text(encoding="utf-8"))


def write(path: Path, document: Any) -> None:
    """Write a document in the format ``path``'s name says."""
    text = to_json(document) if path.name == "Pipfile.lock" else to_toml(document)
    path.write_text(text, encoding="utf-8", errors="surrogatepass")


TEXT_SPLICES = st.one_of(
    st.sampled_from(
        [
            "[" * 3000,
            "a = " + "[" * 3000 + "]" * 3000 + "\n",
            "a = " + "{b = " * 2000 + "1" + "}" * 2000 + "\n",
            "[" * 3000 + "]" * 3000,
            "{" + '"a":' * 1 + "[" * 3000 + "]" * 3000 + "}",
            "\x00",
            "\n-r other.txt\n",
            "\n-e ./x\x00\n",
            "\nfoo @ file:///tmp/x'\";...\n",
            "\n" + "9" * 5000 + "\n",
            "\nx==" + "9" * 5000 + "\n",
            "\n-i http://[::1\n",
        ]
    ),
    st.text(max_size=20),
)


def splice(text: str, data: st.DataObject) -> str:
    """Insert a hostile piece of text at a drawn position of ``text``."""
    position = data.draw(st.integers(min_value=0, max_value=len(text)), label="position")
    return text[:position] + data.draw(TEXT_SPLICES, label="splice") + text[position:]


class PinningResolver(Resolver):
    """A resolver that pins every named line to 1.0, so no installer runs in a property test."""

    name = "pinning"

    def resolve(
        self,
        requirements: Any,
        target: Target,
        index_options: IndexOptions,
    ) -> list[ResolvedDependency]:
        """Pin each named requirement to version 1.0 at its own line."""
        from packaging.version import Version

        lines: list[RequirementLine] = list(requirements)
        return [
            ResolvedDependency(name=line.name, origin=line.origin, version=Version("1.0"))
            for line in lines
            if line.name is not None and not line.constraint
        ]


def linux_313t() -> Target:
    """Free-threaded CPython 3.13.5 on Linux x86_64, the interpreter readiness probes."""
    platforms = ["manylinux_2_17_x86_64", "linux_x86_64"]
    return Target(
        marker_environment={
            "implementation_name": "cpython",
            "implementation_version": "3.13.5",
            "os_name": "posix",
            "platform_machine": "x86_64",
            "platform_release": "6.8.0",
            "platform_system": "Linux",
            "platform_version": "#1",
            "python_full_version": "3.13.5",
            "platform_python_implementation": "CPython",
            "python_version": "3.13",
            "sys_platform": "linux",
        },
        tags=[
            *tags.cpython_tags((3, 13), abis=["cp313t"], platforms=platforms),
            *tags.compatible_tags((3, 13), "cp313", platforms),
        ],
    )


SELECTIONS = st.builds(
    Selection,
    extras=st.frozensets(st.sampled_from(["cli", "dev", "test", "-x"]), max_size=2),
    groups=st.frozensets(st.sampled_from(["dev", "test", "docs", "-x"]), max_size=2),
    all_extras=st.booleans(),
    all_groups=st.booleans(),
    no_dev=st.booleans(),
)


def read_or_refuse(path: Path, selection: Selection) -> list[Dependency] | SourceError:
    """Read ``path`` as readiness would; return what it found or the SourceError it raised.

    Anything else escaping is the bug the property tests look for.
    """
    refused: SourceError | None = None
    try:
        source = find_source(path, selection, PinningResolver())
        found = list(source.collect(linux_313t()))
        source.index_options()
    except SourceError as error:
        refused = error
    if refused is None:
        return found
    assert str(refused), "a SourceError must say what is wrong"
    assert refused.path is not None, "a SourceError must name the file"
    return refused
