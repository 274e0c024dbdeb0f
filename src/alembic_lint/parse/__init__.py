"""The only package that imports libcst: migration source bytes -> Migration facts."""

from __future__ import annotations

import ast
import io
from dataclasses import astuple, replace
from pathlib import Path

import libcst as cst

from alembic_lint import cpython, inputs, positions
from alembic_lint.model import Migration
from alembic_lint.parse.codegen import _Positions as _Positions
from alembic_lint.parse.edits import repoint_edit as repoint_edit
from alembic_lint.parse.extract import _Extractor as _Extractor
from alembic_lint.parse.fallback import _fallback
from alembic_lint.parse.nodes import children as children
from alembic_lint.parse.trusted import parse_module
from alembic_lint.source import Decoded, DecodeProblem, decode, digest
from alembic_lint.suppressions import _MAY_SUPPRESS
from alembic_lint.suppressions import suppressions as suppressions

__all__ = [
    "read_migration",
    "read_with_libcst",
    "read_with_tree",
    "repoint_edit",
    "resolve_spans",
    "spans_from_locators",
    "suppressions",
    "unsafe_for_libcst",
]


#: Files deeper than this (levels of CPython's tree; real migrations have about ten) are
#: read from CPython's tree: LibCST's time grows with the square of the depth, and its
#: native parser overflows the stack on deep enough input.
LIBCST_MAX_DEPTH = 100
#: Files larger than this (about twice the largest real migrations) are read from CPython's
#: tree too: LibCST needs about 5 s and 900 MB per MB of source, CPython's ast a seventh.
LIBCST_MAX_BYTES = 512 * 1024


def read_migration(path: str, data: bytes, *, positions: bool = False) -> Migration:
    """Extract the facts of one migration file without importing or executing it.

    With ``positions=False`` (the fast path) facts carry reference numbers but no
    spans; :func:`resolve_spans` computes them later for the files that need them.
    """
    return read_with_tree(path, data, positions=positions)[0]


def read_with_tree(
    path: str, data: bytes, *, positions: bool = False
) -> tuple[Migration, ast.Module | None]:
    """:func:`read_migration`, and CPython's tree of the file (None when it has none), which
    the caller may use to place facts rather than parse the file again.

    CPython judges first, as Alembic's import would: a file it refuses is a syntax problem
    with its message. A file it accepts that is too deep or too large for LibCST to read
    safely and quickly is read from CPython's tree (the same facts: tests/test_astread.py).
    """
    filename = Path(path).name
    if len(data) > inputs.MAX_MIGRATION_BYTES:
        # Bytes from a reader that does not bound them (a git object, an editor's buffer):
        # as a file on disk that large, not analysed.
        from alembic_lint import recover

        limit = inputs.MAX_MIGRATION_BYTES
        problem = inputs.TooLarge(path, len(data), limit, head=lambda: io.BytesIO(data))
        return recover.oversized(path, problem), None
    try:
        decoded = decode(data)
    except DecodeProblem as problem:
        text = data.decode("latin-1")
        return _fallback(path, filename, text, problem.message, problem.line, 1), None
    tree = cpython.parse(data, path)
    if isinstance(tree, cpython.Rejected):
        return _fallback(path, filename, decoded.text, *astuple(tree)), None
    if len(data) > LIBCST_MAX_BYTES or cpython.deeper_than(tree, LIBCST_MAX_DEPTH):
        return _read_tree(path, data, decoded.text, tree), tree
    try:
        return _read_with_libcst(data, decoded, path, positions, tree), tree
    except (cst.ParserSyntaxError, RecursionError):
        # LibCST refuses what CPython accepts (`(x): int = 1`, thousands of adjacent
        # strings), or a walk over its tree recursed too deep: Alembic would load such a
        # file, so read it as Python does.
        return _read_tree(path, data, decoded.text, tree), tree


def unsafe_for_libcst(path: str, data: bytes) -> str | None:
    """Why LibCST must not parse ``data`` (to edit it), or None when it may."""
    if len(data) > LIBCST_MAX_BYTES:  # before compiling: an editor's buffer is unbounded
        return f"larger than {LIBCST_MAX_BYTES // 1024} KB"
    tree = cpython.parse(data, path)
    if isinstance(tree, cpython.Rejected):
        return f"Python cannot compile it ({tree.message}, line {tree.line})"
    if cpython.deeper_than(tree, LIBCST_MAX_DEPTH):
        return f"nested more than {LIBCST_MAX_DEPTH} levels deep"
    return None


def read_with_libcst(path: str, data: bytes, *, positions: bool = False) -> Migration:
    """The LibCST reader alone (the reference the ast reader is held to), for a file that
    decodes; raises what LibCST raises."""
    return _read_with_libcst(data, decode(data), path, positions)


def _read_with_libcst(
    data: bytes, decoded: Decoded, path: str, positions: bool, tree: ast.Module | None = None
) -> Migration:
    # LibCST reads the same cookie and BOM; handing it the bytes saves it re-encoding the
    # text (its parser works on bytes).
    module = parse_module(data if decoded.encoding.startswith("utf-8") else decoded.text)
    filename = Path(path).name
    migration = _Extractor(module, positions, decoded.text, tree).migration(path, filename)
    migration = replace(migration, digest=digest(data))
    if _MAY_SUPPRESS.search(data):
        noqa, file_ignores = suppressions(decoded.text)
        migration = replace(migration, noqa=noqa, file_ignores=file_ignores)
    return migration


def _read_tree(path: str, data: bytes, text: str, tree: ast.Module) -> Migration:
    from alembic_lint.astread import read_tree

    migration = read_tree(path, data, text, tree)
    if migration is None:  # not expected: the ast reader does not recurse on expressions
        message = "file is too deeply nested for alembic-lint to analyse"
        return _fallback(path, Path(path).name, text, message, 1, 1)
    return migration


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
