"""Apply fixes: text edits written atomically, keeping every other byte of the file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from alembic_lint.atomic import RefusedWrite, rewrite
from alembic_lint.diagnostics import Applicability, Diagnostic, Edit
from alembic_lint.source import DecodeProblem, decode

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


class FixError(Exception):
    """A file that cannot be fixed safely (changed since it was read, undecodable...)."""


@dataclass(frozen=True, slots=True)
class Planned:
    path: str
    before: str  # decoded text
    after: str
    count: int  # fixes applied


def lines_of(text: str) -> list[str]:
    """Lines with their own endings (CRLF, CR, LF are each kept as they are)."""
    found = _LINE.findall(text)
    return found[:-1] if found and found[-1] == "" else found


def offset(lines: Sequence[str], line: int, column: int) -> int:
    """Character offset of a 1-based (line, column)."""
    return sum(len(x) for x in lines[: line - 1]) + column - 1


def position(lines: Sequence[str], at: int) -> tuple[int, int]:
    """The 1-based (line, column) of character offset ``at``."""
    for number, line in enumerate(lines, start=1):
        if at <= len(line) - len(line.rstrip("\r\n")) or at < len(line):
            return number, at + 1
        at -= len(line)
    return len(lines) + 1, 1


def selected(diagnostics: Sequence[Diagnostic], unsafe: bool) -> dict[str, list[Diagnostic]]:
    by_path: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.fix is None:
            continue
        if d.fix.applicability is Applicability.UNSAFE and not unsafe:
            continue
        if d.fix.applicability is Applicability.DISPLAY_ONLY:
            continue
        by_path.setdefault(d.location.path, []).append(d)
    return by_path


def unsafe_count(diagnostics: Sequence[Diagnostic]) -> int:
    """How many findings carry a fix that only ``--unsafe-fixes`` applies."""
    return sum(
        1 for d in diagnostics if d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    )


def plan(path: str, data: bytes, diagnostics: Sequence[Diagnostic]) -> Planned:
    """The file's text with the fixes of ``diagnostics`` applied (overlapping ones skipped)."""
    try:
        text = decode(data).text
    except DecodeProblem as exc:
        raise FixError(f"{path}: cannot decode: {exc.message}") from None
    lines = lines_of(text)
    edits: list[tuple[int, int, str]] = []
    count = 0
    for diagnostic in sorted(diagnostics):
        assert diagnostic.fix is not None
        spans = [_span(lines, e) for e in diagnostic.fix.edits]
        if any(_overlaps(s, e) for s in spans for e in edits):
            continue  # the next --fix run will take it
        edits.extend(spans)
        count += 1
    after = text
    for start, end, content in sorted(edits, reverse=True):
        after = after[:start] + content + after[end:]
    return Planned(path, text, after, count)


def _span(lines: Sequence[str], edit: Edit) -> tuple[int, int, str]:
    start = offset(lines, edit.start.line, edit.start.column)
    end = offset(lines, edit.end.line, edit.end.column)
    return start, end, edit.content


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return (a[0] < b[1] and b[0] < a[1]) or (a[0] == a[1] == b[0] == b[1])


def write(planned: Planned, original: bytes) -> None:
    """Atomically replace the file, refusing if it changed since it was read; keeps the
    encoding (cookie or BOM), the line endings (edits never touch them), and what
    :func:`atomic.rewrite` keeps (symlinks, owner, mode; hard-linked and read-only files
    are refused)."""
    decoded = decode(original)
    encoding = "utf-8" if decoded.encoding == "utf-8-sig" else decoded.encoding
    data = planned.after.encode(encoding)
    if decoded.bom:
        data = b"\xef\xbb\xbf" + data
    try:
        rewrite(planned.path, data, expected=original)
    except RefusedWrite as exc:
        raise FixError(f"{exc}; not fixed") from None


def unified_diff(planned: Planned, display: str) -> str:
    return "".join(
        difflib.unified_diff(
            lines_of(planned.before),
            lines_of(planned.after),
            fromfile=f"a/{display}",
            tofile=f"b/{display}",
        )
    )
