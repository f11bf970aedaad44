"""Text from a file made safe to show: control characters written as escapes, never raw.

An import echoes what it read (a header it did not know, a cell it could not use) into its
message and row errors, which a terminal prints and a database stores. Raw control characters
there rewrite the terminal (``ESC[2J`` clears it), NUL cannot be stored in a PostgreSQL text
column at all, and bidirectional overrides make a message read differently from what it says.
So every message and row error is passed through :func:`printable` before it is stored or shown:
C0 and C1 controls and DEL become ``\\xNN``, the bidirectional controls and lone surrogates
``\\uNNNN``; everything else, accents and scripts included, is kept as it is.
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; the bidirectional marks, embeddings, overrides and isolates;
# lone surrogates (a file decoded with surrogateescape, or a broken upload).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character escaped (see the module docstring)."""
    return _UNSAFE.sub(_escape, text)


def printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(text)
