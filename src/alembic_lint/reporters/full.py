"""Concise lines plus the source with the span underlined, and related places (ruff's full)."""

from __future__ import annotations

from collections.abc import Sequence

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.reporters import Report, concise, display_path

_RESET = "\033[0m"
_BOLD = "\033[1m"
_BLUE = "\033[34m"
_CODE_COLOR = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}


def _paint(text: str, color: str, enabled: bool) -> str:
    return f"{color}{text}{_RESET}" if enabled and text else text


def block(diagnostic: Diagnostic, report: Report) -> list[str]:
    loc = diagnostic.location
    color = report.color
    path = display_path(loc.path, report.cwd)
    head = (
        f"{_paint(path, _BOLD, color)}:{loc.line}:{loc.column}: "
        f"{_paint(diagnostic.code, _BOLD + _CODE_COLOR[diagnostic.severity], color)} "
        f"{diagnostic.message}"
    )
    out = [head]
    text = report.sources.get(loc.path)
    if text is not None:
        lines = text.splitlines()
        last = min(max(loc.end_line, loc.line), len(lines))
        width = len(str(last))
        gutter = _paint(" " * width + " |", _BLUE, color)
        out.append(gutter)
        for number in range(loc.line, last + 1):
            source = lines[number - 1].expandtabs(1) if number - 1 < len(lines) else ""
            out.append(f"{_paint(str(number).rjust(width) + ' |', _BLUE, color)} {source}")
            start = loc.column if number == loc.line else 1 + len(source) - len(source.lstrip())
            end = loc.end_column if number == loc.end_line else len(source) + 1
            carets = "^" * max(end - start, 1)
            label = f" {diagnostic.code}" if number == last else ""
            marks = _paint(carets + label, _CODE_COLOR[diagnostic.severity], color)
            out.append(f"{gutter} {' ' * (start - 1)}{marks}")
        out.append(gutter)
    for related in diagnostic.related:
        where = related.location
        out.append(
            f"  = related: {display_path(where.path, report.cwd)}:{where.line}:{where.column}: "
            f"{related.message}"
        )
    return out


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    lines: list[str] = []
    for diagnostic in diagnostics:
        lines.extend(block(diagnostic, report))
        lines.append("")
    lines.append(concise.summary(diagnostics))
    return "\n".join(lines) + "\n"
