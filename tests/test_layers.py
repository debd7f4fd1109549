"""The pipeline's layers: no stage imports a later one, and the stages share a ground floor.

Sources come first, then the interpreter, the environment (installers and resolvers), the
probe and the evidence. Each stage imports only the ground floor (readiness's private
modules and the shared model) and the stages before it that it really uses.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import readiness

PACKAGE = Path(readiness.__file__).parent

# What each stage may import besides the ground floor and itself.
ALLOWED = {
    "sources": frozenset(),
    "interpreter": frozenset(),
    "probe": frozenset(),
    "evidence": frozenset(),
    "environment": frozenset({"sources", "interpreter", "installer_requirements"}),
}

# Below every stage: modules any stage may import. The command line's own modules are not.
GROUND = frozenset({"__init__", "model", "_cache", "_documents", "_errors", "_lock"})
GROUND |= {"_process", "_records", "_state", "_stream", "_uv", "_defaults", "_metadata"}


def imported(stage: str) -> dict[str, set[str]]:
    """Return, per readiness module a stage imports from outside itself, who imports it."""
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "readiness" and parts[1:2] != [stage]:
                    top = parts[1] if len(parts) > 1 else "__init__"
                    found.setdefault(top, set()).add(path.name)
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_a_stage_imports_only_the_ground_floor_and_the_stages_before_it(stage: str) -> None:
    outside = {
        module: sorted(importers)
        for module, importers in imported(stage).items()
        if module not in GROUND and module not in ALLOWED[stage]
    }
    assert outside == {}


def test_the_ground_floor_imports_no_stage() -> None:
    stages = set(ALLOWED) | {"formats", "policy", "report", "scan", "session", "_cli"}
    for name in sorted(GROUND - {"__init__"}):
        tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
        modules = [
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        ]
        assert [m for m in modules if m.split(".")[1:2] and m.split(".")[1] in stages] == [], name
