"""A distribution's own switch to its pure-Python implementation, and its proof.

Some distributions that ship compiled speedups read an environment variable at import that
makes them use their pure-Python implementation instead (multidict's
``MULTIDICT_NO_EXTENSIONS``). Where no release keeps the GIL off, that switch does, at some
cost in speed. The switches are a small reviewed table (``data/workarounds.toml``, each entry
with where the distribution reads or documents it); a switch is advised only once the probe
has imported the distribution with it set and seen the GIL stay off.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from readiness._documents import read_toml
from readiness._errors import InputError
from readiness.environment.interface import ProbeEnvironment
from readiness.evidence.tracker import shipped_data_file
from readiness.probe.interface import ImportStatus, ModuleKind, ProbeError
from readiness.sources._tomlfile import LineLocator


class ProbeTimedOut(Exception):
    """An import with the switch set hung or was ended from outside: it proves nothing."""


WORKAROUNDS_FILE = "workarounds.toml"
"""The table of switches shipped with readiness (``data/`` in a checkout)."""


@dataclass(frozen=True)
class Workaround:
    """One distribution's documented switch to its pure-Python implementation."""

    environment: tuple[tuple[str, str], ...]
    """The variables to set, with their values."""

    source: str
    """Where the distribution reads or documents the switch."""

    def setting(self) -> str:
        """Return the switch as a user sets it: ``MULTIDICT_NO_EXTENSIONS=1``."""
        return " ".join(f"{name}={value}" for name, value in self.environment)


def load_workarounds(path: Path | None = None) -> dict[NormalizedName, Workaround]:
    """Read the table of switches (default: the shipped one).

    Raises :class:`InputError` naming the file and line for a malformed entry.
    """
    table_file = path if path is not None else shipped_data_file(WORKAROUNDS_FILE)
    text, document = read_toml(table_file, what="the table of workarounds")
    found: dict[NormalizedName, Workaround] = {}
    for name, entry in document.items():
        environment = entry.get("environment") if isinstance(entry, dict) else None
        source = entry.get("source") if isinstance(entry, dict) else None
        if (
            not isinstance(environment, dict)
            or not environment
            or not all(isinstance(v, str) for v in environment.values())
            or any(key.upper().startswith("PYTHON") for key in environment)
            or not isinstance(source, str)
            or not source
        ):
            raise InputError(
                f"{name}: a workaround needs an `environment` table of strings (no PYTHON* "
                "variable) and a `source`",
                path=table_file,
                line=_line_of(text, name),
            )
        found[canonicalize_name(name)] = Workaround(tuple(sorted(environment.items())), source)
    return found


def _line_of(text: str, name: str) -> int | None:
    """Return the line of ``name``'s entry: its ``[name]`` table, else its ``name = {...}``.

    Found by the locator that finds a pyproject.toml's tables and keys for the sources.
    """
    locate = LineLocator(text)
    table = rf"""^\s*\[\s*["']?{re.escape(name)}["']?\s*\]"""
    index = locate.header(table)
    if locate.lines and re.match(table, locate.lines[index]):
        return index + 1
    return locate.key(name, 0)


def proves(
    workaround: Workaround,
    name: NormalizedName,
    environment: ProbeEnvironment,
    *,
    import_timeout: float,
) -> bool:
    """Return whether ``name``'s top-level modules import with the switch set and the GIL off.

    The distribution, installed in ``environment``, is imported as a program imports it (its
    top-level modules, not its compiled modules one by one, which the switch is there to
    avoid), by the probe's clean child with the switch's variables added. Raises
    :class:`ProbeTimedOut` when an import hung or was ended from outside: that says nothing
    lasting of the switch.
    """
    # Imported here: a run whose outcomes are kept proves nothing, and loads none of it.
    from readiness.probe.plan import plan_probe
    from readiness.probe.runner import run_probe

    plan = plan_probe(environment.site_packages, [name])
    steps = tuple(step for step in plan.steps if step.kind is ModuleKind.TOP_LEVEL)
    if not steps:
        return False
    try:
        observations = run_probe(
            environment.python,
            dataclasses.replace(plan, steps=steps),
            import_timeout=import_timeout,
            environment=dict(workaround.environment),
        )
    except ProbeError:
        return False
    if any(o.from_outside or o.status is ImportStatus.TIMEOUT for o in observations):
        raise ProbeTimedOut
    return all(
        observation.status is ImportStatus.OK
        and observation.gil_enabled_after is False
        and not observation.gil_modules
        for observation in observations
    )
