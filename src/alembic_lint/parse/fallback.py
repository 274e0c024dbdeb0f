"""Line-based recovery of the revision variables of a file LibCST cannot parse."""

from __future__ import annotations

import ast
import re

from alembic_lint.model import (
    REVISION_VARS,
    Binding,
    Element,
    Migration,
    Span,
    Status,
    SyntaxProblem,
    normalise,
    pack_spans,
)
from alembic_lint.suppressions import suppressions

# --------------------------------------------------------------------------- fallback

_FALLBACK_ASSIGN = re.compile(
    r"^(revision|down_revision|branch_labels|depends_on)\s*(?::[^=]*)?=(?!=)\s*(.*)$"
)


def _fallback(
    path: str, filename: str, text: str, message: str, line: int, column: int
) -> Migration:
    """Recover the four revision variables line by line when the file cannot be parsed.

    Only plain literals at column 0 are taken (``ast.literal_eval`` evaluates literals
    and nothing else), so one Python 2 file does not turn into false missing parents.
    """
    spans: list[Span] = [Span(line, column, line, column + 1)]
    bindings: dict[str, Binding] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FALLBACK_ASSIGN.match(lines[i])
        if not match:
            i += 1
            continue
        name, rhs = match.group(1), match.group(2)
        start = i
        value_text = _strip_comment(rhs)
        while _unbalanced(value_text) and i + 1 < len(lines):
            i += 1
            value_text += "\n" + _strip_comment(lines[i])
        i += 1
        ref = len(spans)
        spans.append(Span(start + 1, 1, i, len(lines[i - 1]) + 1))
        try:
            value = ast.literal_eval(value_text.strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            bindings[name] = Binding(name, Status.UNRESOLVED, reason="not a plain literal", ref=ref)
            continue
        elements = tuple(Element(v, ref) for v in normalise(name, value))
        bindings[name] = Binding(name, Status.LITERAL, value, elements, ref=ref)
    noqa, file_ignores = suppressions(text) if "#" in text else ((), ())
    return Migration(
        path=path,
        filename=filename,
        **{n: bindings.get(n, Binding(n, Status.ABSENT)) for n in REVISION_VARS},  # type: ignore[arg-type]
        syntax_error=SyntaxProblem(message, 0, defines_nothing="revision" not in text),
        noqa=noqa,
        file_ignores=file_ignores,
        spans=pack_spans(spans),
    )


def _strip_comment(line: str) -> str:
    # Good enough for literal revision values: ids never contain '#'.
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def _unbalanced(text: str) -> bool:
    return sum(text.count(c) for c in "([{") > sum(text.count(c) for c in ")]}")
