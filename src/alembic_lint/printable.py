"""Text a repository brings, made safe to print: control characters become escapes.

A revision id, a file name, a docstring or a config value can hold a line break (then
``\\n::error file=...::`` is a GitHub Actions workflow command of its own when a report is
printed in a workflow), an ESC sequence (a terminal obeys it), or a bidirectional control
that shows text in another order than it has. Every human-readable line alembic-lint
prints passes such text through :func:`printable`; machine formats (JSON, SARIF, GitLab)
have their own quoting.
"""

from __future__ import annotations

import re

#: C0 controls, DEL, C1 controls, the Arabic letter mark, LRM/RLM, the line and paragraph
#: separators, the bidirectional embeddings, overrides and isolates, and lone surrogates
#: (the bytes of a file name that is not UTF-8, which no UTF-8 output can hold).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that did not decode (os.fsdecode's escape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every unsafe character written as a Python-style escape (``\\n``,
    ``\\x1b``, ``\\u202e``); other text, backslashes included, unchanged."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)
