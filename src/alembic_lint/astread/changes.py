"""Where two versions of a migration's ``upgrade()`` / ``downgrade()`` first differ."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from alembic_lint.model import Span

__all__ = ["first_change"]

#: Keywords whose addition changes nothing for a database that already ran the
#: migration (they only make a re-run safe: what drop-without-if-exists asks for).
_HARMLESS = frozenset({"if_exists", "if_not_exists"})

_BLOCKS = ("body", "orelse", "finalbody")


def first_change(old: bytes, new: bytes, function: str) -> Span | None:
    """The first statement of module-level ``function`` in ``new`` that is not in ``old``
    (compared as syntax trees, so formatting, comments, docstrings and the addition of
    ``if_exists=True`` / ``if_not_exists=True`` do not count); None when the two do the same.
    A statement deleted at the end is reported at the function's last statement (or its
    ``def`` line). None also when either version does not parse."""
    try:
        before = ast.parse(old)
        after = ast.parse(new)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    old_def, new_def = _function(before, function), _function(after, function)
    if old_def is None and new_def is None:
        return None
    lines = _lines(new)
    if new_def is None:
        return None  # the function is gone: not a change of its body (nothing to point at)
    if old_def is None:
        return _span(new_def, lines, header=True)
    old_steps = list(_steps(old_def.body))
    new_steps = list(_steps(new_def.body))
    for (old_key, _), (new_key, node) in zip(old_steps, new_steps, strict=False):
        if old_key != new_key:
            return _span(node, lines, header=_is_block(node))
    if len(new_steps) > len(old_steps):
        node = new_steps[len(old_steps)][1]
        return _span(node, lines, header=_is_block(node))
    if len(new_steps) < len(old_steps):
        last = new_steps[-1][1] if new_steps else new_def
        return _span(last, lines, header=_is_block(last) or last is new_def)
    return None


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = None
    for node in tree.body:  # the last definition wins, as when the module runs
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            found = node
    return found


def _steps(body: list[ast.stmt]) -> Iterator[tuple[str, ast.stmt]]:
    """Each statement in source order, a block as its header then its statements."""
    for index, node in enumerate(body):
        if index == 0 and _is_docstring(node):
            continue
        if _is_block(node):
            yield _header_key(node), node
            for name in _BLOCKS:
                yield from _steps(getattr(node, name, []) or [])
            for handler in getattr(node, "handlers", []) or []:
                yield ast.dump(_stripped(handler, keep_body=False)), handler
                yield from _steps(handler.body)
        else:
            yield ast.dump(_stripped(node, keep_body=True)), node


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_block(node: ast.AST) -> bool:
    return isinstance(
        node,
        ast.If
        | ast.For
        | ast.AsyncFor
        | ast.While
        | ast.With
        | ast.AsyncWith
        | ast.Try
        | ast.Match,
    ) or (hasattr(ast, "TryStar") and isinstance(node, ast.TryStar))


def _header_key(node: ast.stmt) -> str:
    return ast.dump(_stripped(node, keep_body=False))


class _Strip(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        node.keywords = [k for k in node.keywords if k.arg not in _HARMLESS]
        return node


def _stripped(node: ast.AST, *, keep_body: bool) -> ast.AST:
    """A copy without harmless keywords (and, for a block header, without its blocks)."""
    import copy

    clone = copy.deepcopy(node)
    if not keep_body:
        for name in (*_BLOCKS, "handlers", "cases"):
            if hasattr(clone, name):
                setattr(clone, name, [])
    stripped: ast.AST = _Strip().visit(clone)
    return stripped


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines()


def _column(lines: list[bytes], line: int, offset: int) -> int:
    """ast counts UTF-8 bytes; positions count code points (1-based)."""
    text = lines[line - 1] if 0 < line <= len(lines) else b""
    return len(text[:offset].decode("utf-8", "replace")) + 1


def _span(node: ast.stmt | ast.excepthandler, lines: list[bytes], *, header: bool) -> Span:
    line = node.lineno
    start = _column(lines, line, node.col_offset)
    if header or node.end_lineno is None or node.end_col_offset is None:
        text = lines[line - 1] if 0 < line <= len(lines) else b""
        return Span(line, start, line, len(text.rstrip().decode("utf-8", "replace")) + 1)
    return Span(line, start, node.end_lineno, _column(lines, node.end_lineno, node.end_col_offset))
