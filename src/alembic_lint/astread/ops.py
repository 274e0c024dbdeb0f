"""The operation calls of a function body from ast, in the LibCST reader's order."""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from alembic_lint.astread.nodes import (
    _arguments,
    _Def,
    _dotted,
    _imported_names,
    _kids,
    _literal,
    _statement_paths,
    _Unresolved,
)
from alembic_lint.model import (
    OpCall,
)
from alembic_lint.positions import Locator, is_sqlalchemy
from alembic_lint.reading import (
    NOT_LITERAL,
    SQL_TEXT_FUNCS,
    from_import_dialects,
    is_op_owner,
)

if TYPE_CHECKING:
    from alembic_lint.astread import _Reader

_OPAQUE = _Def | ast.ClassDef | ast.Match  # their statements have no locator of their own


class _Ops:
    """Operation calls of one function, in LibCST's pre-order (see parse.ops._OpCollector)."""

    def __init__(self, reader: _Reader, role: str, op_names: set[str], function: Locator) -> None:
        self.reader = reader
        self.role = role
        self.op_names = op_names
        self.function = function
        self.batch: list[set[str]] = []
        self.calls: list[OpCall] = []
        self.seen_calls = 0
        self.statements: dict[ast.AST, Locator] = {}
        self.statement: Locator | None = None
        self.own_calls = 0

    def walk_body(self, func: _Def) -> list[OpCall]:
        _statement_paths(func.body, (*self.function, "body"), self.statements)
        for stmt in func.body:
            self.walk(stmt)
        return self.calls

    def walk(self, node: ast.AST) -> None:
        if not isinstance(node, ast.stmt | ast.excepthandler | ast.match_case):
            self.expression(node)
            return
        path = self.statements.get(node)
        opaque = isinstance(node, _OPAQUE)
        if path is None and not opaque:
            self.statement_parts(node)
            return
        outer = (self.statement, self.own_calls)
        self.statement, self.own_calls = (None if opaque else path), 0
        self.statement_parts(node)
        self.statement, self.own_calls = outer

    def statement_parts(self, node: ast.AST) -> None:
        batch = None
        if isinstance(node, ast.ImportFrom):
            names = _imported_names(node)
            self.reader.dialect_imports |= from_import_dialects(node.module, names)
        if isinstance(node, ast.ImportFrom) and node.module == "alembic":
            self.op_names.update(a.asname or "op" for a in node.names if a.name == "op")
        elif isinstance(node, ast.With | ast.AsyncWith):
            batch = {
                item.optional_vars.id
                for item in node.items
                if isinstance(item.context_expr, ast.Call)
                and self.op_call_name(item.context_expr) == "batch_alter_table"
                and isinstance(item.optional_vars, ast.Name)
            }
            self.batch.append(batch)
        for child in _kids(node):
            if not isinstance(child, str):
                self.walk(child)
        if batch is not None:
            self.batch.pop()

    def expression(self, root: ast.AST) -> None:
        """Below a statement only calls count (an expression holds no statement). Pre-order
        with a stack of its own: CPython accepts expressions thousands of levels deep."""
        stack = [root]
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is ast.Call:
                assert isinstance(node, ast.Call)
                self.call(node)
                self.seen_calls += 1
                self.own_calls += 1
                if is_sqlalchemy(_dotted(node.func)):
                    continue  # sa.Column(...) holds no operations; positions.py skips it too
            elif kind is ast.Name or kind is ast.Constant:
                continue
            stack.extend(reversed([c for c in _kids(node) if not isinstance(c, str)]))

    def op_call_name(self, call: ast.Call) -> str | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        owner = _dotted(func.value)
        if is_op_owner(owner, self.op_names, self.reader.op_modules):
            return func.attr
        return None

    def call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute):
            return
        owner = _dotted(func.value)
        batch = any(owner in scope for scope in self.batch)
        name = func.attr if batch else self.op_call_name(node)
        if name is None:
            return
        keywords: list[tuple[str, object]] = []
        star = False
        for keyword in node.keywords:
            if keyword.arg is None:
                star = True
                continue
            try:
                value, _ = _literal(keyword.value)
            except _Unresolved:
                value = NOT_LITERAL
            keywords.append((sys.intern(keyword.arg), value))
        locator = (
            (*self.function, "call", self.seen_calls, f"call:{name}")
            if self.statement is None
            else (*self.statement, "own", self.own_calls, f"call:{name}")
        )
        self.calls.append(
            OpCall(
                name=sys.intern(name),
                function=self.role,
                batch=batch,
                keywords=tuple(keywords),
                star_kwargs=star,
                sql=_sql_text(node) if name == "execute" else None,
                ref=self.reader.ref(locator),
            )
        )


def _sql_text(call: ast.Call) -> str | None:
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if positional:
        value = positional[0]
    else:
        sql_arg = next((k for k in call.keywords if k.arg == "sqltext"), None)
        if sql_arg is None:
            return None
        value = sql_arg.value
    if isinstance(value, ast.Call) and _dotted(value.func) in SQL_TEXT_FUNCS:
        args = _arguments(value)
        if args:
            value = args[0].value if isinstance(args[0], ast.Starred | ast.keyword) else args[0]
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None
