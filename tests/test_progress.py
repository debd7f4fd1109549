"""Progress in a log: a line per phase and per build from source, and never a silent minute."""

from __future__ import annotations

import io
import threading

from readiness._progress import PlainProgress


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_each_phase_and_each_build_says_what_and_how_long() -> None:
    log, clock = io.StringIO(), Clock()
    progress = PlainProgress(log, clock=clock)

    progress.start("installing with uv")
    progress.message("Resolved 12 packages in 3ms")
    progress.message("   Building pillow==10.4.0")
    clock.now += 41.5
    progress.message("      Built pillow==10.4.0")
    progress.message("Building wheel for cffi (pyproject.toml): started")
    clock.now += 2
    progress.message("  Created wheel for cffi: filename=cffi-2.0-cp313-cp313t-linux_x86_64.whl")
    progress.start("probing", total=3)
    progress.advance("six")
    clock.now += 0.25
    progress.finish()
    progress.finish()

    assert log.getvalue().splitlines() == [
        "installing with uv...",
        "  building pillow 10.4.0 from source...",
        "  built pillow in 41.5 s",
        "  building cffi from source...",
        "  built cffi in 2.0 s",
        "installing with uv: done in 43.5 s",
        "probing (3)...",
        "probing: done in 0.2 s",
    ]


def test_a_long_quiet_phase_says_it_is_still_at_work() -> None:
    log, clock = io.StringIO(), Clock()
    said = threading.Event()

    class Watched(io.StringIO):
        def write(self, text: str) -> int:
            if "still at work" in text:
                said.set()
            return log.write(text)

    progress = PlainProgress(Watched(), heartbeat=0.2, clock=clock)
    progress.start("installing with pip")
    clock.now += 75
    assert said.wait(5)
    progress.finish()

    lines = log.getvalue().splitlines()
    assert lines[0] == "installing with pip..."
    assert "installing with pip: still at work, 75 s" in lines
    assert lines[-1] == "installing with pip: done in 75.0 s"


def test_a_stranger_s_name_is_shown_escaped() -> None:
    log = io.StringIO()
    progress = PlainProgress(log, clock=Clock())

    progress.start("installing with uv")
    progress.message("Building evil==1.0\x1b[2J")
    progress.finish()

    assert "\x1b" not in log.getvalue()
    assert "  building evil 1.0\\x1b[2J from source..." in log.getvalue().splitlines()
