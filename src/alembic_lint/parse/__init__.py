"""The only package that imports libcst: migration source bytes -> Migration facts."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path

import libcst as cst

from alembic_lint import positions
from alembic_lint.model import Migration
from alembic_lint.parse.codegen import _Positions as _Positions
from alembic_lint.parse.edits import repoint_edit as repoint_edit
from alembic_lint.parse.extract import _Extractor as _Extractor
from alembic_lint.parse.fallback import _fallback
from alembic_lint.parse.nodes import children as children
from alembic_lint.parse.trusted import parse_module
from alembic_lint.source import DecodeProblem, decode, digest
from alembic_lint.suppressions import _MAY_SUPPRESS
from alembic_lint.suppressions import suppressions as suppressions

__all__ = ["read_migration", "repoint_edit", "resolve_spans", "spans_from_locators", "suppressions"]


def read_migration(path: str, data: bytes, *, positions: bool = False) -> Migration:
    """Extract the facts of one migration file without importing or executing it.

    With ``positions=False`` (the fast path) facts carry reference numbers but no
    spans; :func:`resolve_spans` computes them later for the files that need them.
    """
    filename = Path(path).name
    try:
        decoded = decode(data)
    except DecodeProblem as problem:
        return _fallback(path, filename, data.decode("latin-1"), problem.message, problem.line, 1)
    try:
        # LibCST reads the same cookie and BOM; handing it the bytes saves it re-encoding
        # the text (its parser works on bytes).
        module = parse_module(data if decoded.encoding.startswith("utf-8") else decoded.text)
    except cst.ParserSyntaxError as exc:
        # Python itself may accept what LibCST cannot parse (`(x): int = 1`, thousands of
        # adjacent strings): Alembic would load such a file, so read it as Python does.
        from alembic_lint.astread import read_migration_fast

        fast = read_migration_fast(path, data)
        if fast is not None:
            return fast
        message, line, column = _syntax_error_details(decoded.text, exc)
        return _fallback(path, filename, decoded.text, message, line, column)
    except RecursionError:
        return _too_deep(path, filename, decoded.text)
    try:
        migration = _Extractor(module, positions, decoded.text).migration(path, filename)
    except RecursionError:
        # LibCST parsed it, yet a walk over it still recursed too deep (e.g. a long chain of
        # attributes, or regenerating the code to place facts when ast cannot).
        return _too_deep(path, filename, decoded.text)
    migration = replace(migration, digest=digest(data))
    if _MAY_SUPPRESS.search(data):
        noqa, file_ignores = suppressions(decoded.text)
        migration = replace(migration, noqa=noqa, file_ignores=file_ignores)
    return migration


def _too_deep(path: str, filename: str, text: str) -> Migration:
    return _fallback(path, filename, text, "file is too deeply nested to parse", 1, 1)


def resolve_spans(migration: Migration, data: bytes) -> Migration:
    """Return ``migration`` with the spans of all its facts, re-reading ``data`` with positions."""
    if migration.spans is not None:
        return migration
    fast = spans_from_locators(migration, data)
    if fast is not None:
        return fast
    resolved = read_migration(migration.path, data, positions=True)
    if resolved.spans is None or not _same_source(resolved, migration):
        # The content changed between the two reads; keep the facts we linted.
        return replace(migration, spans=())
    return replace(migration, spans=resolved.spans)


def spans_from_locators(migration: Migration, data: bytes) -> Migration | None:
    """Spans from CPython's ast and the recorded locators; None when that does not work."""
    return positions.with_spans(migration, data)


def _same_source(resolved: Migration, migration: Migration) -> bool:
    """Whether both were read from the same bytes (by digest; else by their facts, which
    the engine may have pared down to the revision variables once the file was checked)."""
    if resolved.digest and migration.digest:
        return resolved.digest == migration.digest
    facts = ("revision", "down_revision", "branch_labels", "depends_on", "syntax_error")
    return all(getattr(resolved, f) == getattr(migration, f) for f in facts)


# --------------------------------------------------------------------------- syntax errors


_LIBCST_POS = re.compile(r"error at (\d+):(\d+)")


def _syntax_error_details(text: str, exc: cst.ParserSyntaxError) -> tuple[str, int, int]:
    # ast gives better messages (e.g. Python 2 print) and positions; it does not execute code.
    try:
        ast.parse(text)
    except SyntaxError as err:
        return (err.msg, err.lineno or 1, max(err.offset or 1, 1))
    except (ValueError, RecursionError, MemoryError):
        pass
    match = _LIBCST_POS.search(exc.message)
    if match:
        return ("LibCST cannot parse this file", int(match.group(1)), int(match.group(2)) + 1)
    return ("LibCST cannot parse this file", exc.raw_line, exc.raw_column + 1)
