"""Concise lines plus the source with the span underlined, and related places (ruff's full)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.printable import printable
from alembic_lint.reporters import Report, concise, display_path

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_RESET = "\033[0m"
_BOLD = "\033[1m"
_BLUE = "\033[34m"
_CODE_COLOR = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}


def _paint(text: str, color: str, enabled: bool) -> str:
    return f"{color}{text}{_RESET}" if enabled and text else text


def block(diagnostic: Diagnostic, report: Report) -> list[str]:
    loc = diagnostic.location
    color = report.color
    path = printable(display_path(loc.path, report.cwd))
    head = (
        f"{_paint(path, _BOLD, color)}:{loc.line}:{loc.column}: "
        f"{_paint(diagnostic.code, _BOLD + _CODE_COLOR[diagnostic.severity], color)} "
        f"{printable(diagnostic.message)}"
    )
    out = [head]
    text = report.sources.get(loc.path)
    if text is not None:
        # Python's line breaks only, as the positions count them (str.splitlines would
        # also break at a form feed and others, and show the wrong lines).
        lines = _LINE_BREAK.split(text)
        if lines and lines[-1] == "":
            lines.pop()
        last = min(max(loc.end_line, loc.line), len(lines))
        width = len(str(last))
        gutter = _paint(" " * width + " |", _BLUE, color)
        out.append(gutter)
        for number in range(loc.line, last + 1):
            source = lines[number - 1].expandtabs(1) if number - 1 < len(lines) else ""
            start = loc.column if number == loc.line else 1 + len(source) - len(source.lstrip())
            end = loc.end_column if number == loc.end_line else len(source) + 1
            source, start, end = _shown(source, start, end)
            out.append(f"{_paint(str(number).rjust(width) + ' |', _BLUE, color)} {source}")
            carets = "^" * max(end - start, 1)
            label = f" {diagnostic.code}" if number == last else ""
            marks = _paint(carets + label, _CODE_COLOR[diagnostic.severity], color)
            out.append(f"{gutter} {' ' * (start - 1)}{marks}")
        out.append(gutter)
    for related in diagnostic.related:
        where = related.location
        out.append(
            f"  = related: {printable(display_path(where.path, report.cwd))}:{where.line}:"
            f"{where.column}: {printable(related.message)}"
        )
    return out


def _shown(source: str, start: int, end: int) -> tuple[str, int, int]:
    """A source line as printed (its control characters escaped), with the columns of the
    span moved to where the escapes put it."""
    shown = printable(source)
    if shown == source:
        return source, start, end

    def column(at: int) -> int:
        before = source[: at - 1]
        return len(printable(before)) + 1 + max(0, at - 1 - len(source))

    return shown, column(start), column(end)


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    lines: list[str] = []
    for diagnostic in diagnostics:
        lines.extend(block(diagnostic, report))
        lines.append("")
    lines.append(concise.summary(diagnostics))
    return "\n".join(lines) + "\n"
