"""Put user text into generated Python source so that it stays text: escaped for the
string literal or comment it lands in, never able to end it and become code."""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata

__all__ = ["PlacementError", "place"]

_STRING = re.compile(r"(?P<prefix>[A-Za-z]*)(?P<quote>'''|\"\"\"|'|\")")
#: Characters that are safe, unescaped, in every kind of literal and in a comment.
_TROUBLE = re.compile(r"[\\'\"{}]")


class PlacementError(Exception):
    """The text cannot be placed safely where the template puts it (a one-line reason)."""


def place(source: str, marker: str, text: str) -> str:
    """``source`` with each ``marker`` replaced by ``text``, escaped for where it stands:
    in a plain string literal the result's value holds exactly ``text``; in a comment,
    line breaks and other control characters are written as escapes. A marker in code, or
    in a raw, bytes or f-string where ``text`` would need escaping, raises
    :class:`PlacementError`."""
    parts = source.split(marker)
    if len(parts) == 1:
        return source
    try:
        contexts = _contexts(source, marker)
    except (tokenize.TokenError, SyntaxError):
        if not _needs_care(text):
            return text.join(parts)
        raise PlacementError("the template does not render as Python") from None
    if len(contexts) != len(parts) - 1:
        raise PlacementError("the template does not render as Python")
    out = [parts[0]]
    for context, part in zip(contexts, parts[1:], strict=True):
        out.append(_escaped(text, context))
        out.append(part)
    return "".join(out)


def _contexts(source: str, marker: str) -> list[str]:
    """For each marker, in order: ``#`` (comment), the literal's prefix and quote
    (``'``, ``\"\"\"``, ``f'``...), or ``code``."""
    found: list[str] = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        count = token.string.count(marker)
        if not count:
            continue
        if token.type == tokenize.COMMENT:
            context = "#"
        elif token.type == tokenize.STRING:
            match = _STRING.match(token.string)
            context = match.group("prefix").lower() + match.group("quote") if match else "code"
        elif tokenize.tok_name[token.type] == "FSTRING_MIDDLE":  # Python 3.12+
            context = "f'"
        else:
            context = "code"
        found.extend([context] * count)
    return found


def _escaped(text: str, context: str) -> str:
    if context == "#":
        return "".join(_escape(c) if _is_control(c) and c != "\t" else c for c in text)
    if context == "code":
        raise PlacementError("the template puts it outside a string or comment")
    prefix, quote = context.rstrip("'\""), context.lstrip("abfrtuABFRTU")
    if prefix not in ("", "u"):
        if _needs_care(text) or ("b" in prefix and not text.isascii()):
            kind = {"r": "raw string", "b": "bytes literal", "f": "f-string"}.get(
                prefix[0], "prefixed string"
            )
            raise PlacementError(f"the template puts it in a {kind}, where it needs escaping")
        return text
    triple = len(quote) == 3
    out = []
    for c in text:
        if c == "\\" or c == quote[0]:
            out.append("\\" + c)
        elif c == "\n" and triple:
            out.append(c)
        elif _is_control(c) and c != "\t":
            out.append(_escape(c))
        else:
            out.append(c)
    return "".join(out)


def _needs_care(text: str) -> bool:
    return bool(_TROUBLE.search(text)) or any(_is_control(c) for c in text)


def _is_control(c: str) -> bool:
    # control characters (\r would become \n, \0 is refused in source), lone surrogates
    # (not encodable) and the Unicode line and paragraph separators
    return unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp")


def _escape(c: str) -> str:
    return c.encode("unicode_escape").decode("ascii")
