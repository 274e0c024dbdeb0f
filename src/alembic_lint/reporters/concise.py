"""The default text format: ``path:line:col: CODE message``, then a summary line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from alembic_lint.diagnostics import Diagnostic
from alembic_lint.printable import printable
from alembic_lint.reporters import Report, display_path
from alembic_lint.wording import plural


def line(diagnostic: Diagnostic, cwd: str) -> str:
    return _line(diagnostic, cwd, {}, {})


def _line(diagnostic: Diagnostic, cwd: str, paths: dict[str, str], messages: dict[str, str]) -> str:
    """One finding's line; ``paths`` and ``messages`` keep the printable form of each one
    already shown (a history's findings repeat a few dozen messages thousands of times)."""
    loc = diagnostic.location
    path = paths.get(loc.path)
    if path is None:
        path = paths[loc.path] = printable(display_path(loc.path, cwd))
    message = messages.get(diagnostic.message)
    if message is None:
        message = messages[diagnostic.message] = printable(diagnostic.message)
    return f"{path}:{loc.line}:{loc.column}: {diagnostic.code} {message}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    if not diagnostics:
        return "All checks passed."
    files = len({d.location.path for d in diagnostics})
    return f"Found {plural(len(diagnostics), 'problem')} in {plural(files, 'migration')}."


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    return "".join(chunks(diagnostics, report))


def chunks(diagnostics: Sequence[Diagnostic], report: Report, size: int = 1000) -> Iterator[str]:
    """The report in pieces of ``size`` lines: a history of thousands of files has tens
    of thousands of findings, whose text held at once (with its encoded copy) was a
    seventh of a cold run's peak memory."""
    paths: dict[str, str] = {}
    messages: dict[str, str] = {}
    for start in range(0, len(diagnostics), size):
        piece = [_line(d, report.cwd, paths, messages) for d in diagnostics[start : start + size]]
        yield "\n".join(piece) + "\n"
    yield summary(diagnostics) + "\n"
