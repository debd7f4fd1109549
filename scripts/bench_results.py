"""Benchmark the result cache: a warm pre-commit run on a 100-distribution lockfile.

Targets (issue 5): a warm run under 0.5 s; a run after changing one pin probes only that one.
The stack is 98 small generated packages and two compiled fixtures (one re-enables the GIL),
served by a package index on 127.0.0.1 and locked in a pylock.toml.

    nox -s bench                       # or: python scripts/bench_results.py --python python3.13t
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.wheelhouse import build_wheel, build_wheelhouse, inspect_target
from tests.wheelindex import serve_index

READINESS = (sys.executable, "-m", "readiness")
GENERATED = 98
COMPILED = ("ft-ready", "ft-gil")


def make_packages(python: Path, wheels: Path, projects: Path) -> list[tuple[str, str]]:
    """Build the stack's wheels into ``wheels``; return (name, version) of each."""
    target = inspect_target(python)
    stack = []
    for number in range(GENERATED):
        for version in ("1.0", "1.1") if number == 0 else ("1.0",):
            name = f"bench-{number:03d}"
            project = projects / f"{name}-{version}"
            package = project / f"bench_{number:03d}"
            package.mkdir(parents=True)
            (project / "fixture.toml").write_text(f'name = "{name}"\nversion = "{version}"\n')
            (package / "__init__.py").write_text(f"VALUE = {number}\n")
            build_wheel(python, project, wheels, target=target)
        stack.append((f"bench-{number:03d}", "1.0"))
    build_wheelhouse(python, COMPILED, wheels)
    return [*stack, *((name, "1.0") for name in COMPILED)]


def write_lock(path: Path, stack: list[tuple[str, str]], wheels: Path, index: str) -> None:
    """Write a PEP 751 lock pinning ``stack`` to the wheels the index serves."""
    lines = ['lock-version = "1.0"', 'created-by = "readiness bench"', ""]
    for name, version in stack:
        [wheel] = wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl")
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        files = index.removesuffix("/simple") + "/files"
        lines += [
            "[[packages]]",
            f'name = "{name}"',
            f'version = "{version}"',
            f'wheels = [{{ url = "{files}/{wheel.name}", hashes = {{ sha256 = "{digest}" }} }}]',
            "",
        ]
    path.write_text("\n".join(lines))


def scan(
    lock: Path, python: Path, cache: Path, env: dict[str, str]
) -> tuple[float, dict[str, Any]]:
    """Run one scan as a pre-commit hook would; return its wall time and JSON report."""
    options = ["--python", str(python), "--offline", "--format", "json", "--cache-dir", str(cache)]
    started = time.perf_counter()
    result = subprocess.run(
        [*READINESS, "scan", str(lock), *options],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"the scan failed:\n{result.stderr}")
    return seconds, json.loads(result.stdout)


def main() -> int:
    """Build the stack, time cold, warm and one-pin-changed scans, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=Path, required=True, help="a free-threaded CPython")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        wheels = root / "wheels"
        wheels.mkdir()
        stack = make_packages(args.python, wheels, root / "projects")
        with serve_index(wheels) as index:
            env = {**os.environ, "UV_INDEX_URL": index, "PIP_INDEX_URL": index}
            lock = root / "pylock.toml"
            write_lock(lock, stack, wheels, index)
            cache = root / "cache"
            cold, report = scan(lock, args.python, cache, env)
            warm_runs = [scan(lock, args.python, cache, env) for _ in range(args.repeat)]
            warm = statistics.median(seconds for seconds, _ in warm_runs)
            probed_warm = sum(not d["cached"] for d in warm_runs[-1][1]["distributions"])

            changed_stack = [("bench-000", "1.1"), *stack[1:]]
            write_lock(lock, changed_stack, wheels, index)
            changed, changed_report = scan(lock, args.python, cache, env)
            probed = [d["name"] for d in changed_report["distributions"] if not d["cached"]]

    print(f"distributions             : {len(report['distributions'])}")
    print(f"cold scan                 : {cold:6.2f} s (install and probe everything)")
    print(f"warm scan                 : {warm:6.2f} s (median of {args.repeat}; target < 0.5 s)")
    print(f"  probed in the warm scan : {probed_warm}")
    print(f"one pin changed           : {changed:6.2f} s; probed: {', '.join(probed)}")
    within = warm < 0.5 and probed == ["bench-000"] and probed_warm == 0
    print("within target" if within else "OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
