"""Benchmark what a user waits for: the command line, warm and cold scans, one changed pin.

Every row is printed beside its anchor, measured in the same run on the same machine (a row
against ``python -c pass`` timed turn about with it, a changed pin beside its own anchor: the
machine's speed drifts over the run by more than a row's margin):

- ``python -c pass`` of the Python readiness runs on: ``--version`` and ``scan --help`` within
  5 x, a warm re-run (nothing changed) within 20 x, for 27 and 100 distributions locked as a
  hashed requirements file, a pylock.toml, a uv.lock and a poetry.lock;
- the warm re-run starts no process (checked with ``strace -f`` where it is installed) and
  asks the index nothing;
- 500 distributions warm: within 2 x the 100-distribution warm run;
- one pin changed in the 100-distribution lock, to a new version ``--repeat`` times: only that
  distribution is probed again, in at most the warm time plus uv's install of it plus its
  import (medians);
- the cold install phase: within 1.5 x uv's own time for the same work (the same wheels,
  the same fresh uv cache, from the same index);
- the peak resident memory of readiness and of its largest child during a cold scan of 100;
- two sdists that take seconds each to fail, beside a wheel: the install phase within 0.85 x
  uv's own time for the batch and then each line alone (readiness tries them side by side).

The stack is generated: small pure-Python wheels plus two compiled fixtures (one re-enables
the GIL), served by a package index on 127.0.0.1 (``tests/wheelindex.py``).

    nox -s bench        # or: python scripts/bench_scan.py --python python3.13t
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _timing import median_seconds, turn_about

from tests.environment.conftest import make_sdist
from tests.wheelhouse import build_wheel, build_wheelhouse, inspect_target
from tests.wheelindex import serve_index

READINESS = (sys.executable, "-m", "readiness")
COMPILED = ("ft-ready", "ft-gil")
KINDS = ("requirements", "pylock", "uv.lock", "poetry.lock")
LOCK_FILES = {
    "requirements": "requirements.txt",
    "pylock": "pylock.toml",
    "uv.lock": "uv.lock",
    "poetry.lock": "poetry.lock",
}

Stack = list[tuple[str, str]]

SLOW_SDISTS = ("slow-a", "slow-b")
SLOW_BUILD = 4.0
"""Seconds the build of each slow sdist takes before it fails, as a long compile would."""
SLOW_BACKEND = """
import time


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    time.sleep({seconds})
    raise RuntimeError("this build needs the GIL")
"""


@dataclass(frozen=True)
class Row:
    """One figure beside its anchor."""

    what: str
    seconds: float
    anchor: float
    limit: float
    anchor_name: str

    @property
    def ratio(self) -> float:
        """The figure over its anchor."""
        return self.seconds / self.anchor

    @property
    def within(self) -> bool:
        """True when the figure is within its target."""
        return self.ratio <= self.limit

    def line(self) -> str:
        """Return the row as printed."""
        mark = "ok" if self.within else "OVER"
        return (
            f"{self.what:<44} {self.seconds:7.3f} s  {self.anchor_name} {self.anchor:7.3f} s"
            f"  x{self.ratio:5.2f} (target x{self.limit:g})  {mark}"
        )


def user_environment(env: dict[str, str] | None = None) -> dict[str, str]:
    """Return ``env`` (default: this one) as a user's shell has it: bytecode is cached.

    A sandbox may set PYTHONDONTWRITEBYTECODE; an installed readiness has its .pyc files
    (installers compile them), so a run that compiled every module would measure the sandbox.
    """
    found = dict(os.environ if env is None else env)
    found.pop("PYTHONDONTWRITEBYTECODE", None)
    return found


def run(argv: Sequence[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to the end, its output captured; exit if it fails as no scan may."""
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=1800, env=user_environment(env), check=False
    )
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv[:4])}... failed ({result.returncode}):\n{result.stderr}")
    return result


def python_pass() -> None:
    """Run ``python -c pass`` with the Python readiness runs on: every row's anchor."""
    run([sys.executable, "-c", "pass"])


# -- The stack and its locks ------------------------------------------------------------------


def changed_versions(changes: int) -> list[str]:
    """Return the new versions bench-000's pin changes to, one after the other: 1.1, 1.2..."""
    return [f"1.{number}" for number in range(1, changes + 1)]


def make_wheels(python: Path, wheels: Path, projects: Path, count: int, changes: int) -> Stack:
    """Build ``count`` distributions' wheels, bench-000 also at ``changes`` new versions.

    Return the stack, every pin at 1.0.
    """
    target = inspect_target(python)
    stack: Stack = []
    for number in range(count - len(COMPILED)):
        name = f"bench-{number:03d}"
        for version in ["1.0", *changed_versions(changes)] if number == 0 else ["1.0"]:
            project = projects / f"{name}-{version}"
            package = project / f"bench_{number:03d}"
            package.mkdir(parents=True)
            (project / "fixture.toml").write_text(f'name = "{name}"\nversion = "{version}"\n')
            (package / "__init__.py").write_text(f"VALUE = {number}\n")
            build_wheel(python, project, wheels, target=target)
        stack.append((name, "1.0"))
    build_wheelhouse(python, COMPILED, wheels)
    return [*stack, *((name, "1.0") for name in COMPILED)]


def wheel_of(wheels: Path, name: str, version: str) -> tuple[Path, str]:
    """Return the wheel of ``name`` ``version`` and its sha256."""
    [wheel] = wheels.glob(f"{name.replace('-', '_')}-{version}-*.whl")
    return wheel, hashlib.sha256(wheel.read_bytes()).hexdigest()


def write_input(kind: str, folder: Path, stack: Stack, wheels: Path, index: str) -> Path:
    """Write ``stack`` locked as ``kind`` in ``folder`` (with a pyproject where it needs one)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = index.removesuffix("/simple") + "/files"
    pinned = [(name, version, *wheel_of(wheels, name, version)) for name, version in stack]
    lines: list[str] = []
    if kind == "requirements":
        lines = [f"{name}=={version} --hash=sha256:{digest}" for name, version, _, digest in pinned]
    elif kind == "pylock":
        lines = ['lock-version = "1.0"', 'created-by = "readiness bench"', ""]
        for name, version, wheel, digest in pinned:
            url = f"{files}/{wheel.name}"
            lines += [
                "[[packages]]",
                f'name = "{name}"',
                f'version = "{version}"',
                f'wheels = [{{ url = "{url}", hashes = {{ sha256 = "{digest}" }} }}]',
                "",
            ]
    elif kind == "uv.lock":
        _write_pyproject(folder, stack)
        lines = ["version = 1", "revision = 3", 'requires-python = ">=3.10"', ""]
        lines += ["[[package]]", 'name = "bench"', 'version = "0.1.0"']
        lines += ['source = { virtual = "." }', "dependencies = ["]
        lines += [f'    {{ name = "{name}" }},' for name, _ in stack]
        lines += ["]", ""]
        for name, version, wheel, digest in pinned:
            url = f"{files}/{wheel.name}"
            lines += [
                "[[package]]",
                f'name = "{name}"',
                f'version = "{version}"',
                f'source = {{ registry = "{index}" }}',
                f'wheels = [{{ url = "{url}", hash = "sha256:{digest}" }}]',
                "",
            ]
    elif kind == "poetry.lock":
        _write_pyproject(folder, stack, poetry_index=index)
        for name, version, wheel, digest in pinned:
            lines += [
                "[[package]]",
                f'name = "{name}"',
                f'version = "{version}"',
                'description = ""',
                "optional = false",
                'python-versions = "*"',
                f'files = [{{file = "{wheel.name}", hash = "sha256:{digest}"}}]',
                "",
                "[package.source]",
                'type = "legacy"',
                f'url = "{index}"',
                'reference = "bench"',
                "",
            ]
        lines += ["[metadata]", 'lock-version = "2.0"', 'python-versions = "^3.10"']
        lines += ['content-hash = "0"']
    path = folder / LOCK_FILES[kind]
    path.write_text("\n".join(lines) + "\n")
    return path


def _write_pyproject(folder: Path, stack: Stack, *, poetry_index: str | None = None) -> None:
    if poetry_index is None:
        names = ", ".join(f'"{name}"' for name, _ in stack)
        text = f'[project]\nname = "bench"\nversion = "0.1.0"\ndependencies = [{names}]\n'
    else:
        text = '[tool.poetry]\nname = "bench"\nversion = "0.1.0"\npackage-mode = false\n\n'
        text += '[tool.poetry.dependencies]\npython = "^3.10"\n'
        text += "".join(f'{name} = "*"\n' for name, _ in stack)
        text += f'\n[[tool.poetry.source]]\nname = "bench"\nurl = "{poetry_index}"\n'
    (folder / "pyproject.toml").write_text(text)


# -- Scans ------------------------------------------------------------------------------------


class Scanner:
    """Runs ``readiness scan`` on one input as a pre-commit hook would."""

    def __init__(self, python: Path, cache: Path, env: dict[str, str]) -> None:
        self.python = python
        self.cache = cache
        self.env = env

    def argv(self, path: Path) -> list[str]:
        """Return the command line of a JSON scan of ``path``."""
        options = ["--python", str(self.python), "--format", "json", "--cache-dir", str(self.cache)]
        return [*READINESS, "scan", str(path), *options]

    def scan(self, path: Path) -> dict[str, Any]:
        """Scan ``path``; return the JSON report."""
        report: dict[str, Any] = json.loads(run(self.argv(path), self.env).stdout)
        return report

    def started_processes(self, path: Path) -> list[str]:
        """Return the programs a scan of ``path`` starts besides itself (needs strace)."""
        strace = shutil.which("strace")
        if strace is None:
            return ["(strace not installed: not checked)"]
        with tempfile.NamedTemporaryFile(suffix=".strace") as trace:
            argv = [strace, "-f", "-qq", "-e", "trace=execve", "-o", trace.name, *self.argv(path)]
            run(argv, self.env)
            lines = Path(trace.name).read_text().splitlines()
        programs = [line.split('"')[1] for line in lines if "execve(" in line and '"' in line]
        return programs[1:]  # the first is readiness itself


def peak_memory(argv: Sequence[str], env: dict[str, str]) -> tuple[int, int]:
    """Run ``argv``; return the peak resident set (KiB) of it and of its largest descendant."""
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=user_environment(env)
    )
    own = children = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal own, children
        while not done.is_set():
            for pid, rss in _tree_rss(process.pid):
                if pid == process.pid:
                    own = max(own, rss)
                else:
                    children = max(children, rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.communicate(timeout=1800)
    done.set()
    sampler.join()
    return own, children


def _tree_rss(root: int) -> list[tuple[int, int]]:
    """Return (pid, resident KiB) of ``root`` and every process below it (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry.name)] = int(fields[1])
        found = [line for line in status.splitlines() if line.startswith("VmRSS:")]
        rss[int(entry.name)] = int(found[0].split()[1]) if found else 0
    tree = {root}
    grew = True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        grew = bool(below)
        tree |= below
    return [(pid, rss.get(pid, 0)) for pid in tree]


def uv_install_seconds(
    python: Path, wheels: list[Path], scratch: Path, env: dict[str, str]
) -> float:
    """Return uv's own time to install ``wheels`` into a new environment, fresh uv cache."""
    names = [f"{w.name.split('-')[0].replace('_', '-')}=={w.name.split('-')[1]}" for w in wheels]
    return uv_seconds(python, scratch, env, names)


def uv_seconds(python: Path, scratch: Path, env: dict[str, str], *installs: list[str]) -> float:
    """Return uv's own time for ``installs``, one after the other, into a new environment.

    Each is the arguments of one ``uv pip install``; uv's cache starts empty.
    """
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    venv = scratch / "venv"
    uv_env = {**env, "UV_CACHE_DIR": str(scratch / "uv-cache")}
    run([uv, "venv", "--quiet", "--python", str(python), str(venv)], uv_env)
    started = time.perf_counter()
    for arguments in installs:
        run(
            [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), *arguments],
            uv_env,
        )
    return time.perf_counter() - started


# -- The benchmark ----------------------------------------------------------------------------


@dataclass
class Bench:
    """What every measurement shares, and what they found."""

    python: Path
    repeat: int
    root: Path
    wheels: Path
    index: str
    env: dict[str, str]
    asked: list[str]
    rows: list[Row]
    notes: list[str]
    failures: list[str]

    def median(self, action: Callable[[], object]) -> float:
        """Return the median wall time of ``action``."""
        return median_seconds(action, self.repeat)

    def warm(self, kind: str, stack: Stack) -> tuple[Scanner, Path]:
        """Scan ``stack`` locked as ``kind`` cold, then warm; add the warm row.

        Return the scanner and the locked file, to scan again.
        """
        size = len(stack)
        path = write_input(kind, self.root / f"{kind}-{size}", stack, self.wheels, self.index)
        scanner = Scanner(self.python, self.root / f"cache-{kind}-{size}", self.env)
        started = time.perf_counter()
        report = scanner.scan(path)
        cold = time.perf_counter() - started
        before = len(self.asked)
        # Timed turn about with its anchor: the machine's speed drifts over the minutes the
        # benchmark takes by more than the margin.
        timed = turn_about({"warm": lambda: scanner.scan(path), "pass": python_pass}, self.repeat)
        warm = timed["warm"]
        requests = len(self.asked) - before
        what = f"warm re-run, {size} distributions, {kind}"
        self.rows.append(Row(what, warm, timed["pass"], 20, "python -c pass"))
        started_processes = scanner.started_processes(path)
        install = report["timings"].get("install", 0.0)
        self.notes.append(
            f"{kind}, {size}: cold {cold:.1f} s (install {install:.1f} s); warm: {requests} "
            f"index requests, processes started: {started_processes or 'none'}"
        )
        checked = not started_processes or "strace" not in started_processes[0]
        if requests or (started_processes and checked):
            self.failures.append(f"warm {kind} {size}: {requests} requests, {started_processes}")
        return scanner, path

    def changed_pin(self, scanner: Scanner, path: Path, stack: Stack) -> None:
        """Change bench-000's pin to a new version, ``repeat`` times: only it may be probed again.

        Each change is timed beside its own anchor, measured right after it (the machine's
        load drifts more than the margin): the warm re-run of the changed lock, uv's install
        of the new version into a new environment, and its import there. Medians compared.
        """
        seconds, anchors, phases = [], [], []
        for version in changed_versions(self.repeat):
            changed = [("bench-000", version), *stack[1:]]
            write_input("pylock", path.parent, changed, self.wheels, self.index)
            started = time.perf_counter()
            report = scanner.scan(path)
            seconds.append(time.perf_counter() - started)
            probed = [d["name"] for d in report["distributions"] if not d["cached"]]
            if probed != ["bench-000"]:
                self.failures.append(f"one pin changed to {version} probed {probed}")
            phases.append(report["timings"])
            warm = self.median(lambda: scanner.scan(path))
            wheel = wheel_of(self.wheels, "bench-000", version)[0]
            scratch = self.root / f"uv-one-{version}"
            uv_one = uv_install_seconds(self.python, [wheel], scratch, self.env)
            importing = [str(scratch / "venv" / "bin" / "python"), "-c", "import bench_000"]
            anchors.append(warm + uv_one + self.median(partial(run, importing)))
        self.rows.append(
            Row(
                f"one pin changed, {len(stack)} distributions",
                statistics.median(seconds),
                statistics.median(anchors),
                1,
                "warm+uv+import",
            )
        )
        spent = ", ".join(
            f"{phase} {statistics.median(p[phase] for p in phases):.2f}" for phase in phases[0]
        )
        self.notes.append(
            f"one pin changed ({len(seconds)} new versions, medians): probed again bench-000 "
            f"alone each time; seconds: {spent}"
        )

    def cold_install(self, path: Path, stack: Stack) -> None:
        """Compare a cold scan's install phase with uv's own install of the same wheels."""
        cold_env = {**self.env, "UV_CACHE_DIR": str(self.root / "uv-cache-cold")}
        report = Scanner(self.python, self.root / "cold-cache", cold_env).scan(path)
        wheels = [wheel_of(self.wheels, name, version)[0] for name, version in stack]
        uv_s = uv_install_seconds(self.python, wheels, self.root / "uv-all", self.env)
        what = f"cold scan, install phase, {len(stack)} distributions"
        self.rows.append(Row(what, report["timings"]["install"], uv_s, 1.5, "uv pip install"))
        memory_env = {**self.env, "UV_CACHE_DIR": str(self.root / "uv-cache-memory")}
        argv = Scanner(self.python, self.root / "memory-cache", memory_env).argv(path)
        own, child = peak_memory(argv, memory_env)
        self.notes.append(
            f"peak resident memory, cold scan of {len(stack)}: readiness {own / 1024:.0f} MiB, "
            f"largest child {child / 1024:.0f} MiB"
        )

    def slow_refusals(self) -> None:
        """Add the row of two sdists that take SLOW_BUILD s each to fail, beside a wheel.

        A cold scan's install phase beside uv's own time for the same work done as readiness
        did it before it tried lines side by side: the batch, then each line alone.
        """
        folder = self.root / "slow-sdists"
        folder.mkdir()
        for name in SLOW_SDISTS:
            make_sdist(folder, name, "1.0", backend=SLOW_BACKEND.format(seconds=SLOW_BUILD))
        lines = ["bench-000==1.0", *(f"{name}==1.0" for name in SLOW_SDISTS)]
        path = self.root / "slow" / "requirements.txt"
        path.parent.mkdir()
        path.write_text("\n".join([f"--find-links {folder}", *lines]) + "\n")
        report = Scanner(self.python, self.root / "cache-slow", self.env).scan(path)
        refused = sorted(d["name"] for d in report["distributions"] if d["install_log"])
        installs = [[*lines, "--find-links", str(folder)]]
        installs += [[line, "--find-links", str(folder)] for line in lines]
        uv_s = uv_seconds(self.python, self.root / "uv-slow", self.env, *installs)
        what = f"two slow sdists refused, install phase ({os.cpu_count()} cores)"
        self.rows.append(Row(what, report["timings"]["install"], uv_s, 0.85, "uv one by one"))
        if refused != list(SLOW_SDISTS):
            self.failures.append(f"two slow sdists: refused {refused}")


def stack_of(full: Stack, size: int) -> Stack:
    """Return ``size`` distributions of ``full``: generated ones and both compiled fixtures."""
    return full[: size - len(COMPILED)] + full[-len(COMPILED) :]


def main() -> int:
    """Build the stacks, measure every row, print each beside its anchor; 1 when one misses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=Path, required=True, help="a free-threaded CPython")
    parser.add_argument("--repeat", type=int, default=5, help="runs per median (default 5)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[27, 100])
    parser.add_argument("--large", type=int, default=500, help="the large warm stack (0: none)")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=KINDS)
    args = parser.parse_args()

    pass_s = median_seconds(python_pass, args.repeat * 2)
    rows = [
        Row(what, timed["row"], timed["pass"], 5, "python -c pass")
        for what, argv in (
            ("readiness --version", ["--version"]),
            ("readiness scan --help", ["scan", "--help"]),
        )
        for timed in [
            turn_about({"row": partial(run, [*READINESS, *argv]), "pass": python_pass}, args.repeat)
        ]
    ]
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as scratch:
        root = Path(scratch)
        wheels = root / "wheels"
        wheels.mkdir()
        full = make_wheels(
            args.python, wheels, root / "projects", max([*args.sizes, args.large]), args.repeat
        )
        asked: list[str] = []
        with serve_index(wheels, asked) as index:
            env = {**os.environ, "UV_INDEX_URL": index, "PIP_INDEX_URL": index}
            env["UV_CACHE_DIR"] = str(root / "uv-cache")
            bench = Bench(args.python, args.repeat, root, wheels, index, env, asked, rows, [], [])
            largest: tuple[Scanner, Path] | None = None
            for size in sorted(set(args.sizes)):
                for kind in args.kinds:
                    scanner, path = bench.warm(kind, stack_of(full, size))
                    if size == max(args.sizes) and kind == "pylock":
                        largest = scanner, path
                        bench.changed_pin(scanner, path, stack_of(full, size))
                        bench.cold_install(path, stack_of(full, size))
            bench.slow_refusals()
            if args.large:
                path = write_input(
                    "pylock", root / "large", stack_of(full, args.large), wheels, index
                )
                scanner = Scanner(args.python, root / "cache-large", env)
                scanner.scan(path)
                # Timed turn about with the warm run of the largest stack above, its anchor.
                anchor = largest or (scanner, path)
                timed = turn_about(
                    {
                        "large": lambda: scanner.scan(path),
                        "anchor": partial(anchor[0].scan, anchor[1]),
                    },
                    args.repeat,
                )
                what = f"warm re-run, {args.large} distributions, pylock"
                rows.append(
                    Row(what, timed["large"], timed["anchor"], 2, f"warm of {max(args.sizes)}")
                )

    print(f"python -c pass: {pass_s:.3f} s ({sys.executable})")
    for row in rows:
        print(row.line())
    for note in bench.notes:
        print(f"  {note}")
    for failure in bench.failures:
        print(f"  MISSED: {failure}")
    within = all(row.within for row in rows) and not bench.failures
    print("within target" if within else "OVER TARGET")
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
