"""GitHub Actions workflow commands: ``::error file=...,line=...::message``."""

from __future__ import annotations

from collections.abc import Sequence

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.printable import printable
from alembic_lint.reporters import Report, repo_path

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """GitHub's escapes, after our own of the other control characters (an ESC sequence
    in a workflow's log reaches whoever reads it)."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def line(diagnostic: Diagnostic, report: Report) -> str:
    loc = diagnostic.location
    props = [
        ("file", repo_path(loc.path, report)),
        ("line", str(loc.line)),
        ("col", str(loc.column)),
        ("endLine", str(loc.end_line)),
        ("endColumn", str(loc.end_column)),
        ("title", f"{diagnostic.code} {diagnostic.name}"),
    ]
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in props)
    return f"::{_COMMAND[diagnostic.severity]} {rendered}::{escape_data(diagnostic.message)}"


def render(diagnostics: Sequence[Diagnostic], report: Report) -> str:
    return "".join(line(d, report) + "\n" for d in diagnostics)
