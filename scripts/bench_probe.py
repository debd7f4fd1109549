"""Benchmark the probe against its floor: one interpreter importing the same modules once.

Target (issue 8): probe time <= 1.2 x floor, plus one interpreter start per child beyond the
first (the probe restarts after a crash, or after each culprit where ``-v`` cannot be used).

    nox -s bench                      # or: python scripts/bench_probe.py --python python3.13t
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from _timing import turn_about

from readiness._cache import default_cache_dir
from readiness._uv import find_uv
from readiness.probe.plan import plan_probe
from readiness.probe.process import child_environment
from readiness.probe.runner import run_probe

# Real distributions from the index, pure or with free-threaded wheels: 30 with their
# dependencies. Pinned, so every run measures the same stack.
STACK = (
    "anyio==4.6.2",
    "attrs==24.2.0",
    "certifi==2024.8.30",
    "charset-normalizer==3.4.0",
    "click==8.1.7",
    "docutils==0.21.2",
    "idna==3.10",
    "iniconfig==2.0.0",
    "jinja2==3.1.4",
    "markdown-it-py==3.0.0",
    "markupsafe==3.0.2",
    "mdurl==0.1.2",
    "more-itertools==10.5.0",
    "packaging==24.2",
    "platformdirs==4.3.6",
    "pluggy==1.5.0",
    "pygments==2.18.0",
    "pytest==8.3.3",
    "python-dateutil==2.9.0.post0",
    "pytz==2024.2",
    "pyyaml==6.0.2",
    "requests==2.32.3",
    "rich==13.9.4",
    "six==1.16.0",
    "sniffio==1.3.1",
    "sortedcontainers==2.4.0",
    "tabulate==0.9.0",
    "typing-extensions==4.12.2",
    "urllib3==2.2.3",
    "wcwidth==0.2.13",
)
CULPRITS = ("ft-gil", "ft-gil-two")
"""Fixture distributions that re-enable the GIL, compiled here (tests/assets/packages)."""

FLOOR_SCRIPT = """
import importlib, json, sys
for name in json.load(sys.stdin):
    try:
        importlib.import_module(name)
    except BaseException:
        pass
"""


def build_environment(python: Path, root: Path) -> Path:
    """Create the benchmark environment once; return its interpreter."""
    env_python = root / "bin" / "python"
    if (root / ".bench-complete").exists():
        return env_python
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.wheelhouse import build_wheelhouse

    wheels = build_wheelhouse(python, list(CULPRITS), root.with_name(root.name + "-wheels"))
    uv = find_uv()
    if uv is None:
        raise SystemExit("the benchmark installs its stack with uv: pip install uv")
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(root)], check=True)
    subprocess.run(
        [str(uv), "pip", "install", "--python", str(env_python), *STACK],
        check=True,
        timeout=900,
    )
    local = ["--no-deps", "--find-links", str(wheels)]
    subprocess.run(
        [str(uv), "pip", "install", "--python", str(env_python), *local, *CULPRITS],
        check=True,
        timeout=300,
    )
    (root / ".bench-complete").write_text("")
    return env_python


def site_packages(env_python: Path) -> list[Path]:
    """Return the environment's purelib and platlib."""
    out = subprocess.run(
        [
            str(env_python),
            "-I",
            "-c",
            "import json, sysconfig; p = sysconfig.get_paths();"
            "print(json.dumps(sorted({p['purelib'], p['platlib']})))",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return [Path(path) for path in json.loads(out)]


def main() -> int:
    """Run the benchmark and print its figures; exit 1 when the probe misses its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=Path, required=True, help="a free-threaded CPython")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    env_python = build_environment(args.python, default_cache_dir() / "bench" / "probe-env")
    plan = plan_probe(site_packages(env_python))
    modules = [step.module for step in plan.steps]
    distributions = {step.distribution for step in plan.steps}

    # The anchors get the environment the probe gives its children: the caller's PYTHON*
    # variables (PYTHONDONTWRITEBYTECODE would recompile every module) are not theirs.
    environ = child_environment()

    def floor() -> None:
        subprocess.run(
            [str(env_python), "-I", "-c", FLOOR_SCRIPT],
            input=json.dumps(modules),
            text=True,
            capture_output=True,
            check=True,
            timeout=600,
            env=environ,
        )

    def start() -> None:
        subprocess.run([str(env_python), "-I", "-c", "pass"], check=True, timeout=60, env=environ)

    observations = run_probe(env_python, plan)
    culprits = {
        plan.extension_owners.get(module, o.step.distribution)
        for o in observations
        for module in o.gil_modules
    }
    processes = max(o.process for o in observations)
    # Timed turn about, so that the row and its anchor meet the same load.
    medians = turn_about(
        {
            "floor": floor,
            "start": start,
            "probe": lambda: run_probe(env_python, plan),
            # The same plan in two children at once, whatever its size: what sharing gains.
            "shared": lambda: run_probe(env_python, plan, processes=2),
        },
        args.repeat,
    )
    floor_s, start_s, probe_s, shared_s = (
        medians[name] for name in ("floor", "start", "probe", "shared")
    )
    # Issue 8: the probe phase at or under 1.2 x its floor, plus a start for each child the
    # probe needed beyond the first.
    budget = 1.2 * floor_s + (processes - 1) * start_s

    print(f"distributions probed : {len(distributions)}")
    print(f"modules imported     : {len(modules)}")
    print(f"culprits found       : {len(culprits)} ({', '.join(sorted(culprits))})")
    print(f"child processes      : {processes}")
    print(f"interpreter start    : {start_s * 1000:8.1f} ms (median of {args.repeat})")
    print(f"floor (one import)   : {floor_s * 1000:8.1f} ms")
    print(f"probe                : {probe_s * 1000:8.1f} ms  ({probe_s / floor_s:.2f} x floor)")
    print(f"probe, 2 processes   : {shared_s * 1000:8.1f} ms  ({shared_s / probe_s:.2f} x probe)")
    print(
        f"budget               : {budget * 1000:8.1f} ms  (1.2 x floor + a start per extra child)"
    )
    print("within target" if probe_s <= budget else "OVER TARGET")
    return 0 if probe_s <= budget else 1


if __name__ == "__main__":
    sys.exit(main())
