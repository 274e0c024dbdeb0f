"""Positions of facts from CPython's ``ast`` (a C parser), guided by structural locators.

The LibCST reader records, for every fact, a *locator*: a path such as
``("body", 5, "value", "elts", 1, "expr")`` (the second element of the value of the sixth
module-level statement) or ``("body", 9, "call", 3, "call:drop_index")`` (the fourth call
inside that function). Resolving them needs no second LibCST parse, which costs several
times more. Every step is checked; any surprise raises :class:`NoMatch` and the caller
falls back to LibCST.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace

from alembic_lint.model import Migration, Span, pack_spans
from alembic_lint.source import DecodeProblem, decode, digest

Locator = tuple[object, ...]

_NEWLINE = re.compile(r"\r\n?|\n")


class NoMatch(Exception):
    """A locator does not lead where it should (the caller falls back to LibCST)."""


#: The span of a fact whose position was not asked for (see with_spans).
UNASKED = Span(0, 0, 0, 0)


def resolve(
    text: str,
    locators: Sequence[Locator],
    skip: Collection[int] = (),
    tree: ast.Module | None = None,
) -> tuple[Span, ...]:
    """The span of each locator; those of the refs in ``skip`` are :data:`UNASKED`.
    ``tree``: CPython's tree of ``text``, when the caller has it."""
    if tree is None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise NoMatch(str(exc)) from None
    lines = _NEWLINE.split(text)
    resolver = _Resolver(tree, lines)
    return tuple(
        UNASKED if ref in skip else resolver.span(locator) for ref, locator in enumerate(locators)
    )


class _Resolver:
    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.tree = tree
        self.lines = lines
        self.calls: dict[int, list[ast.Call]] = {}

    def column(self, line: int, byte_offset: int) -> int:
        """ast counts UTF-8 bytes; we count code points (1-based)."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_offset + 1
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1

    def span(self, locator: Locator) -> Span:
        if not locator:
            raise NoMatch("empty locator")
        *path, tag = locator
        node = self.walk(path)
        kind = str(tag)
        if kind == "stmt":
            if not isinstance(node, ast.stmt):
                raise NoMatch("not a statement")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                return self.name_span(node)
            if _compound(node):  # just its first line, not the whole block
                line = node.lineno
                start = self.column(line, node.col_offset)
                return Span(line, start, line, len(self.lines[line - 1].rstrip()) + 1)
            return self.full(node)
        if kind == "expr" or kind.startswith("call:"):
            if not isinstance(node, ast.expr):
                raise NoMatch("not an expression")
            if kind.startswith("call:"):
                func = node.func if isinstance(node, ast.Call) else None
                if not isinstance(func, ast.Attribute) or func.attr != kind[5:]:
                    raise NoMatch(f"not a call of {kind[5:]}")
            return self.full(node)
        if kind == "def":
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                raise NoMatch("not a function")
            return self.name_span(node)
        if kind.startswith("doc:"):
            # "doc:<line index in the literal>:<column in that line>:<length>"
            _, index, col, length = kind.split(":")
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
                raise NoMatch("not a docstring")
            line = node.lineno + int(index)
            start = (self.column(node.lineno, node.col_offset) if int(index) == 0 else 1) + int(col)
            return Span(line, start, line, start + int(length))
        raise NoMatch(f"unknown tag {kind!r}")

    def full(self, node: ast.stmt | ast.expr) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            node.lineno,
            self.column(node.lineno, node.col_offset),
            end_line,
            self.column(end_line, end_col),
        )

    def name_span(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> Span:
        """From the ``def``/``class`` keyword to the end of the name."""
        line = node.lineno
        text = self.lines[line - 1]
        start = self.column(line, node.col_offset)
        found = re.compile(rf"\b{re.escape(node.name)}\b").search(text, start - 1)
        if found is None:
            raise NoMatch("name not on the def line")
        return Span(line, start, line, found.end() + 1)

    def walk(self, path: Sequence[object]) -> object:
        node: object = self.tree
        steps = iter(path)
        for step in steps:
            if isinstance(step, int):
                if not isinstance(node, list) or not 0 <= step < len(node):
                    raise NoMatch("index out of range")
                node = node[step]
            elif step == "own":
                index = next(steps)
                if not isinstance(node, ast.stmt) or not isinstance(index, int) or index < 0:
                    raise NoMatch("own calls of a non-statement")
                # Lazily: the operation is nearly always the statement's first call.
                own = _calls(list(ast.iter_child_nodes(node)), nested_statements=False)
                found = next(itertools.islice(own, index, None), None)
                if found is None:
                    raise NoMatch("call index out of range")
                node = found
            elif step == "call":
                index = next(steps)
                if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    raise NoMatch("calls of a non-function")
                calls = self.calls.get(id(node))
                if calls is None:
                    calls = self.calls[id(node)] = list(_calls(node.body, nested_statements=True))
                if not isinstance(index, int) or not 0 <= index < len(calls):
                    raise NoMatch("call index out of range")
                node = calls[index]
            elif isinstance(step, str):
                if not hasattr(node, step):
                    raise NoMatch(f"no {step}")
                node = getattr(node, step)
            else:
                raise NoMatch("bad step")
        return node


def _compound(node: ast.stmt) -> bool:
    return isinstance(
        node,
        ast.If
        | ast.For
        | ast.AsyncFor
        | ast.While
        | ast.With
        | ast.AsyncWith
        | ast.Try
        | ast.TryStar
        | ast.Match,
    )


#: Calls on these modules build schema objects (``sa.Column(...)``), never operations: the
#: LibCST walker does not look inside them, so neither does the call count here.
SQLALCHEMY_ROOTS = ("sa", "sqlalchemy")


def is_sqlalchemy(dotted: str | None) -> bool:
    return dotted is not None and dotted.split(".", 1)[0] in SQLALCHEMY_ROOTS and "." in dotted


def _dotted(node: ast.expr) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _calls(roots: Sequence[ast.AST], *, nested_statements: bool) -> Iterator[ast.Call]:
    """Calls in pre-order, children in field order: the order the LibCST walker counts.

    Without ``nested_statements``, statements below the roots are not entered (the calls
    of one statement, not of the blocks it holds)."""
    stack: list[ast.AST] = list(reversed(roots))
    while stack:
        node = stack.pop()
        if not nested_statements and isinstance(node, ast.stmt):
            continue
        if isinstance(node, ast.Call):
            yield node
            if is_sqlalchemy(_dotted(node.func)):
                continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def with_spans(
    migration: Migration,
    data: bytes,
    skip: Collection[int] = (),
    tree: ast.Module | None = None,
) -> Migration | None:
    """``migration`` with spans resolved from its locators, or None if they do not fit
    ``data`` (then LibCST has to parse the file again). The refs in ``skip`` get no
    position (:data:`UNASKED`): only for facts nothing will point at. ``tree``: CPython's
    tree of ``data``, when the caller has it (parse.read_with_tree)."""
    if not migration.locators or migration.syntax_error is not None:
        return None
    if migration.digest != digest(data):
        return None  # other bytes than the facts came from: LibCST re-reads them
    try:
        text = decode(data).text
        spans = resolve(text, decode_locators(migration.locators), skip, tree)
    except (NoMatch, DecodeProblem):
        return None
    return replace(migration, spans=pack_spans(spans))


def encode_locators(locators: Sequence[Locator]) -> str:
    """One line per locator, steps separated by ``/`` (names never contain either)."""
    return "\n".join("/".join(str(step) for step in locator) for locator in locators)


def decode_locators(text: str) -> list[Locator]:
    if not text:
        return []
    return [
        tuple(int(step) if step.isdigit() else step for step in line.split("/"))
        for line in text.split("\n")
    ]
