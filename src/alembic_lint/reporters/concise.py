"""The default text format: ``path:line:col: CODE message``, then a summary line."""

from __future__ import annotations

from collections.abc import Sequence

from alembic_lint.diagnostics import Diagnostic
from alembic_lint.printable import printable
from alembic_lint.reporters import Report, display_path
from alembic_lint.wording import plural


def line(diagnostic: Diagnostic, cwd: str) -> str:
    loc = diagnostic.location
    path = printable(display_path(loc.path, cwd))
    return f"{path}:{loc.line}:{loc.column}: {diagnostic.code} {printable(diagnostic.message)}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "All checks passed."
    files = len({d.location.path for d in diagnostics})
    return f"Found {plural(len(diagnostics), 'problem')} in {plural(files, 'migration')}."


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    lines = [line(d, report.cwd) for d in diagnostics]
    lines.append(summary(diagnostics))
    return "\n".join(lines) + "\n"
