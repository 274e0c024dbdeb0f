"""alembic-lint's findings and places as LSP objects (positions in the client's units)."""

from __future__ import annotations

import os
from functools import cache

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from alembic_lint.diagnostics import Diagnostic, Location, Related, Severity
from alembic_lint.fixes import index
from alembic_lint.rules import registry
from alembic_lint.server.state import State
from alembic_lint.server.units import Lines

SOURCE = "alembic-lint"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}


@cache
def rule_urls() -> dict[str, str]:
    return {rule.code: rule.url() for rule in registry()}


def uri_of(path: str) -> str:
    uri = from_fs_path(path)
    return uri if uri is not None else "file://" + path


def path_of(uri: str) -> str | None:
    """The file a ``file:`` URI names (None for other schemes: nothing of ours), or None
    when it names none: no path, a relative one (it would be taken from the server's
    working directory), a NUL byte or text no file name can hold (the calls that look it
    up would raise)."""
    if uri[:5].lower() != "file:":
        return None
    path = to_fs_path(uri)
    if not path or not os.path.isabs(path) or "\0" in path:
        return None
    try:
        os.fsencode(path)
    except UnicodeError:
        return None
    return path


class Placer:
    """Converts places for one answer, reading each file's text at most once (and not at
    all for ASCII files, whose code-point columns are already the client's units)."""

    def __init__(self, state: State, encoding: str, uris: dict[str, str] | None = None) -> None:
        self.state = state
        self.encoding = encoding
        self.uris = uris or {}
        self._lines: dict[str, Lines] = {}

    def lines(self, path: str) -> Lines:
        lines = self._lines.get(path)
        if lines is None:
            lines = self._lines[path] = Lines(self.state.text(path), self.encoding)
        return lines

    def position(self, path: str, line: int, column: int) -> types.Position:
        if self.state.is_ascii(path):
            return types.Position(max(line - 1, 0), max(column - 1, 0))
        return types.Position(*self.lines(path).to_client(line, column))

    def range(self, location: Location) -> types.Range:
        path = location.path
        return types.Range(
            self.position(path, location.line, location.column),
            self.position(path, location.end_line, location.end_column),
        )

    def offsets(self, path: str, text: str, start: int, end: int) -> types.Range:
        """The range of character offsets ``start``..``end`` of ``text`` (the file's text)."""
        where = index(text)
        first, last = where.position(start), where.position(end)
        return types.Range(self.position(path, *first), self.position(path, *last))

    def uri(self, path: str) -> str:
        return self.uris.get(path) or uri_of(path)

    def location(self, location: Location) -> types.Location:
        return types.Location(self.uri(location.path), self.range(location))

    def diagnostic(self, finding: Diagnostic, extra: list[Related]) -> types.Diagnostic:
        related = [
            types.DiagnosticRelatedInformation(self.location(r.location), r.message)
            for r in (*finding.related, *extra)
        ]
        url = rule_urls().get(finding.code)
        return types.Diagnostic(
            range=self.range(finding.location),
            message=finding.message,
            severity=_SEVERITY[finding.severity],
            code=finding.code,
            code_description=types.CodeDescription(href=url) if url else None,
            source=SOURCE,
            related_information=related or None,
        )


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (an empty range touching the other counts)."""
    a_start, a_end = (a.start.line, a.start.character), (a.end.line, a.end.character)
    b_start, b_end = (b.start.line, b.start.character), (b.end.line, b.end.character)
    return a_start <= b_end and b_start <= a_end
