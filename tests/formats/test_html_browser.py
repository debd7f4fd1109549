"""The HTML audit report in a real headless Chromium: the script runs, the page renders."""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import zlib
from datetime import date
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from readiness.formats.html import VERDICT_COLOURS, HtmlFormat
from readiness.policy import Allowance, Policy
from readiness.report import Report
from tests.formats.test_html import Page, audit_report

WIDTH, HEIGHT = 1280, 1600

# Everything that would reach the network on its own is off: the report must need none.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def _chromium() -> Path:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").is_file() else None
    )
    if found is None:
        message = (
            "no chromium on PATH or at /usr/bin/chromium: install Debian's `chromium` package "
            "(apt-get install --no-install-recommends chromium; .ci/run does)"
        )
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(message)
        pytest.skip(message)
    return Path(found)


@pytest.fixture(scope="module")
def chromium() -> Path:
    return _chromium()


@pytest.fixture(scope="module")
def report() -> Report:
    return audit_report()


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory, report: Report) -> Path:
    allow = (Allowance(name=canonicalize_name("segv"), reason="known", until=date(2099, 1, 1)),)
    gate = Policy.from_options(None, strict=False, allow=allow).evaluate(report)
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(HtmlFormat(gate=gate).render(report), encoding="utf-8")
    return path


def _run_chromium(chromium: Path, profile: Path, page: Path, *arguments: str) -> str:
    completed = subprocess.run(
        [
            str(chromium),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            *arguments,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed.stdout


def test_the_script_runs_and_the_report_is_in_the_dom(
    chromium: Path, page_file: Path, report: Report, tmp_path: Path
) -> None:
    dom = Page(_run_chromium(chromium, tmp_path / "profile", page_file, "--dump-dom"))

    assert dom.all("table", id="distributions", **{"data-sortable": "ready"})
    (toolbar,) = dom.all("div", id="toolbar")
    assert "hidden" not in toolbar
    # Each sortable heading got its button, and the filter counted the rows.
    assert len(dom.all("button", type="button")) == 7 + 1
    assert f"{len(report.distributions)} of {len(report.distributions)} shown" in dom.all_text
    assert dom.all("section", id="summary")
    names = [attrs["data-name"] for attrs in dom.all("tbody") if "data-name" in attrs]
    assert sorted(names, key=str) == sorted((d.name for d in report.distributions), key=str)


def test_without_javascript_the_table_is_complete(
    chromium: Path, page_file: Path, report: Report, tmp_path: Path
) -> None:
    # --dump-dom itself needs scripting (--blink-settings=scriptEnabled=false dumps nothing):
    # the page without its script is what a reader with JavaScript off gets.
    text = page_file.read_text(encoding="utf-8")
    without_script = tmp_path / "report.html"
    without_script.write_text(
        text[: text.index("<script>")] + text[text.index("</script>") + len("</script>") :],
        encoding="utf-8",
    )
    dom = Page(_run_chromium(chromium, tmp_path / "profile", without_script, "--dump-dom"))

    assert not dom.all("table", **{"data-sortable": "ready"})
    (toolbar,) = dom.all("div", id="toolbar")
    assert "hidden" in toolbar
    assert len([a for a in dom.all("tbody") if "data-name" in a]) == len(report.distributions)
    assert len(dom.all("details")) == len(report.distributions)


# Played after the report's own script, as a reader would: sort by name (twice: descending),
# then filter by text and by verdict.
DRIVER = """
<script>
document.querySelector('th[data-key="name"] button').click();
document.querySelector('th[data-key="name"] button').click();
var search = document.getElementById("filter-text");
search.value = "SPEEDY._CORE";
search.dispatchEvent(new Event("input"));
var box = document.querySelector('input[data-verdict="ready"]');
box.checked = false;
box.dispatchEvent(new Event("change"));
</script>
"""


def test_clicking_a_heading_sorts_and_the_controls_filter(
    chromium: Path, page_file: Path, report: Report, tmp_path: Path
) -> None:
    text = page_file.read_text(encoding="utf-8")
    # The page's policy lets only its own script run: the driver page drops it.
    policy = re.search(r'<meta http-equiv="Content-Security-Policy"[^>]*>', text)
    assert policy is not None
    driven = tmp_path / "report.html"
    driven.write_text(
        text.replace(policy.group(0), "").replace("</body>", DRIVER + "</body>"),
        encoding="utf-8",
    )
    dom = Page(_run_chromium(chromium, tmp_path / "profile", driven, "--dump-dom"))

    rows = [attrs for attrs in dom.all("tbody") if "data-name" in attrs]
    names = [str(attrs["data-name"]) for attrs in rows]
    assert names == sorted(names, key=str.lower, reverse=True)
    (heading,) = dom.all("th", **{"data-key": "name"})
    assert heading["aria-sort"] == "descending"
    shown = [attrs["data-name"] for attrs in rows if "hidden" not in attrs]
    # Only speedy ships speedy._core (imageapp's row names pillowish's module, not speedy's).
    assert shown == ["speedy"]
    assert f"1 of {len(report.distributions)} shown" in dom.all_text


def test_the_screenshot_shows_the_chart_in_every_verdict_colour(
    chromium: Path, page_file: Path, report: Report, tmp_path: Path
) -> None:
    shot = tmp_path / "shot.png"
    _run_chromium(
        chromium,
        tmp_path / "profile",
        page_file,
        f"--screenshot={shot}",
        f"--window-size={WIDTH},{HEIGHT}",
    )

    width, height, pixels = decode_png(shot.read_bytes())

    assert (width, height) == (WIDTH, HEIGHT)
    colours = set(pixels)
    assert len(colours) > 200, "the screenshot is (nearly) blank"
    for verdict in {dist.verdict for dist in report.distributions}:
        colour = bytes.fromhex(VERDICT_COLOURS[verdict].removeprefix("#"))
        assert colour in colours, f"{verdict.value}'s colour is not on the screen"


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Return the width, the height and every pixel (RGB) of an 8-bit RGB or RGBA PNG.

    Only what Chromium writes is read: no interlacing, no palette (PNG specification,
    third edition, sections 7.3 and 9: filters None, Sub, Up, Average, Paeth).
    """
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    position, compressed = 8, []
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, interlace) == (8, 0)
            assert colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            compressed.append(body)
    raw = zlib.decompress(b"".join(compressed))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    # "Up" is most rows: add the previous row to it bytewise, all at once, in one big integer.
    low = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    previous, pixels = bytes(stride), []
    for row in range(height):
        start = row * (stride + 1)
        method, line = raw[start], raw[start + 1 : start + 1 + stride]
        if method == 0:
            current = bytes(line)
        elif method == 2:
            x, y = int.from_bytes(line, "big"), int.from_bytes(previous, "big")
            current = (((x & low) + (y & low)) ^ ((x ^ y) & high)).to_bytes(stride, "big")
        else:
            current = _unfilter(method, bytearray(line), previous, channels)
        pixels += [current[i : i + 3] for i in range(0, stride, channels)]
        previous = current
    return width, height, pixels


def _unfilter(method: int, line: bytearray, previous: bytes, bpp: int) -> bytes:
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        up = previous[i]
        if method == 1:
            line[i] = (line[i] + left) & 0xFF
        elif method == 3:
            line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
        elif method == 4:
            up_left = previous[i - bpp] if i >= bpp else 0
            estimate = left + up - up_left
            a, b, c = abs(estimate - left), abs(estimate - up), abs(estimate - up_left)
            predictor = left if a <= b and a <= c else up if b <= c else up_left
            line[i] = (line[i] + predictor) & 0xFF
        else:
            raise AssertionError(f"unknown PNG filter {method}")
    return bytes(line)
