r"""Control characters shown, not obeyed, wherever a stranger's text reaches a reader.

A package's exception text, a lock's names and an index's pages are written by strangers.
Sent raw to a terminal, an ANSI escape recolours or rewrites the screen, a NUL, a carriage
return or a backspace hides what came before, and a bidirectional override (U+202E) shows a
name reversed ("Trojan Source", CVE-2021-42574); in a Markdown or HTML report they hide text
from the reviewer. Each is shown as its Python escape (``\x1b``, ``\u202e``) instead.
"""

from __future__ import annotations

import unicodedata

SHOWN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
"""The Unicode general categories shown escaped: controls (C0, DEL, C1), format characters
(the bidirectional controls, zero-width characters), lone surrogates (a file name that is not
UTF-8, decoded with ``surrogateescape``), and the line and paragraph separators."""

KEPT = frozenset("\t\n")
"""The controls a report may hold as they are: a reason may span lines."""


def escape_controls(text: str) -> str:
    """Return ``text`` with every control, format and lone surrogate character escaped."""
    if text.isprintable():  # the common case, answered in C
        return text
    return "".join(_shown(char) for char in text)


def _shown(char: str) -> str:
    if char in KEPT or unicodedata.category(char) not in SHOWN_CATEGORIES:
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
