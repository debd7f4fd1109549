"""Benchmark ``readiness test``'s runner against pytest run directly on the same suite.

Target (issue 9): runner time <= 1.3 x pytest + one pytest process per GIL-enabling test
(a process that starts pytest, collects one file and runs one test).

    python scripts/bench_testrun.py --python python3.13t

The suite is generated: MODULES x TESTS small tests, and two tests that load an extension
without the Py_mod_gil slot (the compiled fixtures ft-gil and ft-lazy) on first use. pytest
and the fixtures are installed offline from a wheelhouse (pytest's wheels are downloaded
once with this interpreter's pip, from its configured index).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from _timing import turn_about

from readiness._cache import default_cache_dir
from readiness._uv import find_uv
from readiness.probe.plan import plan_probe
from readiness.probe.process import child_environment
from readiness.testrun.runner import run_suite

MODULES = 20
TESTS = 25
CULPRITS = ("ft-gil", "ft-lazy")
"""Fixture distributions whose extensions need the GIL (tests/assets/packages)."""

GIL_TESTS = """
def test_loads_ft_gil() -> None:
    import ft_gil

    assert ft_gil.answer() == 42


def test_loads_the_accelerator() -> None:
    import ft_lazy

    assert ft_lazy.accelerator() is not None
"""


def write_suite(root: Path) -> Path:
    """Write the generated suite's project into ``root``; return it."""
    tests = root / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    body = "".join(
        f"\n\ndef test_{number}() -> None:\n    assert sum(range({number} * 100)) >= 0\n"
        for number in range(TESTS)
    )
    for module in range(MODULES):
        (tests / f"test_module_{module:02}.py").write_text(f'"""Generated."""{body}')
    (tests / "test_zz_gil.py").write_text(f'"""Loads extensions on first use."""\n{GIL_TESTS}')
    return root


def build_environment(python: Path, root: Path) -> Path:
    """Create the benchmark environment once (offline, from a wheelhouse); return its python."""
    done = root / ".bench-complete"
    if not done.exists():
        uv = find_uv()
        if uv is None:
            raise SystemExit("the benchmark installs its suite's stack with uv: pip install uv")
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.wheelhouse import build_wheelhouse

        wheels = build_wheelhouse(python, CULPRITS, root.with_name(f"{root.name}-wheels"))
        download = ["download", "-q", "--only-binary=:all:", "--python-version", "3.13"]
        offline = ["--no-index", "--find-links", str(wheels)]
        target = ["--python", str(root / "bin" / "python")]
        commands = (
            [sys.executable, "-m", "pip", *download, "-d", str(wheels), "pytest"],
            [str(python), "-m", "venv", "--without-pip", str(root)],
            [str(uv), "pip", "install", *target, *offline, "pytest", *CULPRITS],
        )
        for command in commands:
            subprocess.run(command, check=True, timeout=300)
        done.write_text("")
    return root / "bin" / "python"


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when the runner misses its target."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--python", type=Path, required=True, help="a free-threaded CPython")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    bench = default_cache_dir() / "bench"
    env_python = build_environment(args.python, bench / "testrun-env")
    project = write_suite(bench / "testrun-suite")
    site = sorted(env_python.parent.parent.glob("lib/python*/site-packages"))
    owners = plan_probe(site).extension_owners
    pytest_argv = [str(env_python), "-I", "-m", "pytest", "-q", "-p", "no:cacheprovider"]

    # pytest alone gets the environment readiness test gives its children: the caller's
    # PYTHON* variables (PYTHONDONTWRITEBYTECODE would recompile every module) are not theirs.
    environ = child_environment()

    def floor() -> None:
        # pytest's own exit status is 0: the GIL-enabling tests pass when nothing watches.
        subprocess.run(
            pytest_argv, cwd=project, capture_output=True, check=True, timeout=600, env=environ
        )

    def start() -> None:
        # One more process: pytest starting, collecting one file and running one test.
        one = "tests/test_module_00.py::test_0"
        subprocess.run(
            [*pytest_argv, one],
            cwd=project,
            capture_output=True,
            check=True,
            timeout=60,
            env=environ,
        )

    run = run_suite(env_python, project, owners=owners)
    gil_tests = [result for result in run.results if result.gil is not None]
    # Timed turn about, so that the row and its anchors meet the same load.
    medians = turn_about(
        {
            "floor": floor,
            "start": start,
            "runner": lambda: run_suite(env_python, project, owners=owners),
        },
        args.repeat,
    )
    floor_s, process_s, runner_s = (medians[name] for name in ("floor", "start", "runner"))
    budget = 1.3 * floor_s + len(gil_tests) * process_s
    within = runner_s <= budget
    for label, value in (
        ("tests", f"{len(run.results)}"),
        ("gil-enabled tests", f"{len(gil_tests)}"),
        ("child processes", f"{run.processes}"),
        ("one pytest process", f"{process_s * 1000:8.1f} ms (median of {args.repeat})"),
        ("pytest alone (floor)", f"{floor_s * 1000:8.1f} ms"),
        ("readiness test", f"{runner_s * 1000:8.1f} ms  ({runner_s / floor_s:.2f} x floor)"),
        ("budget", f"{budget * 1000:8.1f} ms  (1.3 x floor + a process per gil test)"),
    ):
        print(f"{label:<21}: {value}")
    print("within target" if within else "OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
