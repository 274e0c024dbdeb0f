"""CPython's verdict on a file (the one Alembic's import meets) and its tree, before LibCST.

Alembic imports every migration, so a file CPython refuses to compile breaks the history,
whatever LibCST makes of it: LibCST accepts 201 nested parentheses, which CPython refuses
("too many nested parentheses"), and crashes the process (a native stack overflow) at
about 2,000. CPython's parser also bounds nesting (about 3,000 levels), but LibCST's time
grows with the square of the depth (a 2,900-term ``1+1+...`` takes it seconds), so a
file that is deep or large yet valid is read from this tree instead (see
parse.read_migration). Compiling is about a tenth of LibCST's parse, and executes nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rejected:
    """Why CPython refuses the file, and where (1-based)."""

    message: str
    line: int = 1
    column: int = 1


def parse(data: bytes, path: str) -> ast.Module | Rejected:
    """The tree of ``data`` as CPython builds it when importing ``path`` (the bytes, so the
    coding cookie and BOM are read as import reads them), or why it cannot."""
    try:
        tree = compile(data, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as err:  # IndentationError and TabError too
        return Rejected(err.msg, err.lineno or 1, max(err.offset or 1, 1))
    except RecursionError:
        # CPython counts the frames of its caller against the depth it allows the tree, so
        # the verdict near the limit would depend on who asks (a pool worker, a warm run):
        # it is asked again from a fresh stack, the same for every caller.
        return _from_fresh_stack(data, path)
    except (MemoryError, ValueError) as err:
        return Rejected(_import_error(data, path, err))
    assert isinstance(tree, ast.Module)
    return tree


def _from_fresh_stack(data: bytes, path: str) -> ast.Module | Rejected:
    import threading

    result: list[ast.Module | Rejected] = []

    def run() -> None:
        try:
            tree = compile(data, path, "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
            assert isinstance(tree, ast.Module)
            result.append(tree)
        except (RecursionError, MemoryError, ValueError, SyntaxError) as err:
            result.append(Rejected(_import_error(data, path, err)))

    thread = threading.Thread(target=run, name="alembic-lint-compile")
    thread.start()
    thread.join()
    return result[0] if result else Rejected("RecursionError: too deeply nested to compile")


def _import_error(data: bytes, path: str, err: Exception) -> str:
    """What the import says (it compiles to code, whose errors name compilation rather than
    the ast); CPython's parser raises MemoryError without a message when it runs out of
    stack on deep nesting."""
    try:
        compile(data, path, "exec", dont_inherit=True)
    except (RecursionError, MemoryError, ValueError, SyntaxError) as again:
        err = again
    name = type(err).__name__
    text = str(err) or "Python's parser ran out of stack (the code is nested too deeply)"
    return f"{name}: {text}"


def deeper_than(tree: ast.AST, limit: int) -> bool:
    """Whether the tree has more than ``limit`` levels: one breadth-first pass, no
    recursion, that stops as soon as it knows. A node on one line of ``w`` bytes holds at
    most about ``2 w`` levels (each level of an expression takes a character of its own,
    an operator, a dot, a bracket, a keyword, bar a few wrappers such as ``keyword``), so a
    node that short for the levels left is not entered: most of a file's nodes."""
    level: list[ast.AST] = [tree]
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        room = (limit - depth) // 3  # a third of the levels left, for that margin
        below: list[object] = []
        for node in level:
            for name in node._fields:
                value = getattr(node, name)
                if type(value) is list:
                    below += value
                elif isinstance(value, ast.AST):
                    below.append(value)
        level = []
        for child in below:
            if not isinstance(child, ast.AST) or not child._fields:
                continue  # a name, a constant's value, a context or an operator: a leaf
            end = getattr(child, "end_col_offset", None)
            if end is not None:
                line, end_line, start = child.lineno, child.end_lineno, child.col_offset  # type: ignore[attr-defined]
                if line == end_line and end - start < room:
                    continue
            level.append(child)
    return False
