"""The plain console writes what rich writes where there are no styles, without rich."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.errors import MarkupError
from rich.markup import escape, render

from readiness._console import (
    STRIPPED_CONTROLS,
    PlainConsole,
    escape_markup,
    escape_message,
    open_console,
    plain_text,
)

# Text with what markup is made of, often: brackets, backslashes, tag names, slashes.
markup_text = st.lists(
    st.sampled_from([*"[]\\/=@# ab", "[bold]", "[/]", "[/bold]", "\\[", "[x=1]", "\t", "é"]),
    max_size=20,
).map("".join)
strange_text = st.text(st.characters(codec="utf-8"), max_size=40)


def _rich_plain(markup: str) -> str:
    return render(markup, emoji=False).plain


def _printed_by_rich(*objects: str, **options: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, highlight=False, soft_wrap=True, emoji=False)
    assert not console.is_terminal
    console.print(*objects, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def _printed_plain(*objects: str, **options: object) -> str:
    buffer = io.StringIO()
    PlainConsole(buffer).print(*objects, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


@given(st.lists(st.sampled_from(["[bold]", "[/]", "\\", "[", "]", "x", "[/x]"]), max_size=12))
def test_markup_reads_as_rich_reads_it(pieces: list[str]) -> None:
    markup = "".join(pieces)
    try:
        expected = _rich_plain(markup)
    except MarkupError:  # a closing tag that closes nothing: our messages have none
        return
    assert plain_text(markup) == expected


@given(markup_text)
def test_markup_drawn_from_its_characters_reads_as_rich_reads_it(markup: str) -> None:
    try:
        expected = _rich_plain(markup)
    except MarkupError:
        return
    assert plain_text(markup) == expected


@given(strange_text | markup_text)
def test_escaped_text_is_escaped_as_rich_escapes_it_and_shown_as_it_was(text: str) -> None:
    assert escape_markup(text) == escape(text)
    # rich drops a few controls from what it prints (the console does too) and shows a
    # trailing backslash doubled, as its escape leaves it.
    shown = plain_text(escape_markup(text)).translate(STRIPPED_CONTROLS)
    assert shown == _rich_plain(escape(text))


@given(markup_text)
def test_a_message_is_printed_as_rich_prints_it(text: str) -> None:
    message = f"[bold yellow]warning:[/] {escape_message(text)}\a\r"
    assert _printed_plain(message) == _printed_by_rich(message)
    assert _printed_plain(text, markup=False, end="") == _printed_by_rich(
        text, markup=False, end=""
    )


def test_a_message_keeps_a_stranger_s_brackets_and_shows_controls() -> None:
    stranger = "pkg [extra] \\ \x1b[31m"
    message = f"[bold red]error:[/] {escape_message(stranger)}"

    assert _printed_plain(message) == "error: pkg [extra] \\ \\x1b[31m\n"


@pytest.mark.parametrize(
    ("environment", "terminal", "plain"),
    [
        ({}, False, True),
        ({}, True, False),
        ({"FORCE_COLOR": "1"}, False, False),
        ({"FORCE_COLOR": ""}, True, True),
        ({"TTY_COMPATIBLE": "1", "FORCE_COLOR": ""}, False, False),
        ({"TTY_COMPATIBLE": "0"}, True, True),
    ],
)
def test_the_console_is_plain_where_rich_would_show_no_styles(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], terminal: bool, plain: bool
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    stream = io.StringIO()
    monkeypatch.setattr(stream, "isatty", lambda: terminal)
    monkeypatch.setattr(sys, "stderr", stream)

    console = open_console()

    assert isinstance(console, PlainConsole) is plain
    assert console.is_terminal is not plain


def test_a_plain_console_falls_silent_when_its_reader_goes_away() -> None:
    # The reader of a pipe exits first: the run ends as if nothing happened (exit 0).
    program = (
        "import sys\n"
        "from readiness._console import open_console\n"
        "console = open_console()\n"
        "for n in range(20000):\n"
        "    console.print(f'line {n}')\n"
        "print('done', file=sys.__stdout__)\n"
    )
    environment = {key: value for key, value in os.environ.items() if key != "FORCE_COLOR"}
    with subprocess.Popen(
        [sys.executable, "-c", program],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    ) as child:
        assert child.stderr is not None
        assert child.stdout is not None
        child.stderr.read(10)
        child.stderr.close()
        output = child.stdout.read()
        assert child.wait(timeout=60) == 0
    assert output == b"done\n"
