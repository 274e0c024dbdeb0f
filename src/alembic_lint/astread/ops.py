"""The operation calls of a function body from ast, in the LibCST reader's order."""

from __future__ import annotations

import ast
import sys
from typing import TYPE_CHECKING

from alembic_lint import executed, flow
from alembic_lint.astread.nodes import (
    _arguments,
    _Def,
    _dotted,
    _expr,
    _imported_names,
    _kids,
    _literal,
    _statement_paths,
    _Unresolved,
)
from alembic_lint.model import (
    OPAQUE,
    CallExpr,
    Expr,
    OpCall,
)
from alembic_lint.positions import Locator, is_sqlalchemy
from alembic_lint.reading import (
    ARGUMENTS_READ,
    NOT_LITERAL,
    SQL_TEXT_FUNCS,
    from_import_dialects,
    is_context_bind,
    is_op_owner,
)

if TYPE_CHECKING:
    from alembic_lint.astread import _Reader

_OPAQUE = _Def | ast.ClassDef | ast.Match  # their statements have no locator of their own
#: Statements under which an operation may have guards, or not run (see flow.guards_at).
_CONDITIONAL = (ast.If, ast.Try, ast.TryStar, ast.For, ast.AsyncFor, ast.While)


class _Ops:
    """Operation calls of one function, in LibCST's pre-order (see parse.ops._OpCollector),
    and of the module-level functions it calls."""

    def __init__(
        self,
        reader: _Reader,
        entry: flow.Entry[_Def],
        op_names: set[str],
        function: Locator,
        func: _Def,
        via: tuple[str, ...],
        inherited: bool = False,
    ) -> None:
        self.reader = reader
        self.entry = entry
        self.op_names = op_names
        self.function = function
        self.func = func
        self.via = via
        self.inherited = inherited  # called under a condition (see flow.Walk)
        self.batch: list[dict[str, CallExpr]] = []
        self.seen_calls = 0
        self.statements: dict[ast.AST, Locator] = {}
        self.statement: Locator | None = None
        self.own_calls = 0
        self.conditional = False  # see parse.ops._OpCollector.conditional

    def walk_body(self) -> None:
        _statement_paths(self.func.body, (*self.function, "body"), self.statements)
        for stmt in self.func.body:
            self.walk(stmt)

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
        batch: dict[str, CallExpr] | None = None
        if isinstance(node, ast.ImportFrom):
            names = _imported_names(node)
            self.reader.dialect_imports |= from_import_dialects(node.module, names)
        if isinstance(node, ast.ImportFrom) and node.module == "alembic":
            self.op_names.update(a.asname or "op" for a in node.names if a.name == "op")
        elif isinstance(node, ast.With | ast.AsyncWith):
            batch = {}
            for item in node.items:
                call = item.context_expr
                if not isinstance(call, ast.Call):
                    continue
                if self.op_call_name(call) == "batch_alter_table" and isinstance(
                    item.optional_vars, ast.Name
                ):
                    written = _expr(call)
                    assert isinstance(written, CallExpr)
                    batch[item.optional_vars.id] = written
                func = call.func
                if (func.attr if isinstance(func, ast.Attribute) else _dotted(func)) == "suppress":
                    self.conditional = True
            self.batch.append(batch)
        elif isinstance(node, _CONDITIONAL):
            self.conditional = True
        for child in _kids(node):
            if not isinstance(child, str):
                self.walk(child)
        if batch is not None:
            self.batch.pop()

    def expression(self, root: ast.AST) -> None:
        """Below a statement only calls count (an expression holds no statement). Pre-order
        with a stack of its own: CPython accepts expressions thousands of levels deep. A
        helper's body is walked once its call's arguments are (as it runs)."""
        stack: list[ast.AST | _Ops] = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, _Ops):
                node.walk_body()
                continue
            kind = type(node)
            if kind is ast.Call:
                assert isinstance(node, ast.Call)
                helper = self.call(node)
                self.seen_calls += 1
                self.own_calls += 1
                if helper is not None:
                    stack.append(helper)
                elif is_sqlalchemy(_dotted(node.func)):
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
        if is_context_bind(owner, func.attr):
            return func.attr
        return None

    def call(self, node: ast.Call) -> _Ops | None:
        func = node.func
        if type(func) is ast.Name:
            return self.helper(func.id)
        if not isinstance(func, ast.Attribute):
            return None
        owner = _dotted(func.value)
        batch_call = next((scope[owner] for scope in reversed(self.batch) if owner in scope), None)
        batch = batch_call is not None
        name = func.attr if batch else self.op_call_name(node)
        if name is None:
            return None
        keywords: list[tuple[str, object]] = []
        kwargs: list[tuple[str, Expr]] = []
        star = False
        read = name in ARGUMENTS_READ
        for keyword in node.keywords:
            if keyword.arg is None:
                star = True
                continue
            try:
                value, _ = _literal(keyword.value)
            except _Unresolved:
                value = NOT_LITERAL
            keywords.append((sys.intern(keyword.arg), value))
            if read:
                kwargs.append((keywords[-1][0], _expr(keyword.value, 1)))
        # A starred argument stands for arguments nobody can see.
        args = (
            tuple(OPAQUE if isinstance(a, ast.Starred) else _expr(a, 1) for a in node.args)
            if read
            else ()
        )
        reader = self.reader
        sql = _sql_text(node) if name == "execute" else None
        statement = reader.scope.executed(self) if name == "execute" and sql is None else None
        if read and executed.plain_names((*args, *(v for _, v in kwargs))):
            known = reader.scope.constants(self, name)
            if known:
                args = tuple(executed.substituted(a, known) for a in args)
                kwargs = [(k, executed.substituted(v, known)) for k, v in kwargs]
        ref, guards = reader.scope.place(self, node, name, reader.ref)
        self.entry.calls.append(
            OpCall(
                name=sys.intern(name),
                function=self.entry.role,
                batch=batch,
                keywords=tuple(keywords),
                star_kwargs=star,
                sql=sql,
                ref=ref,
                via=self.via,
                guards=guards,
                args=args,
                kwargs=tuple(kwargs),
                batch_call=batch_call,
                statement=statement,
            )
        )
        return None

    def helper(self, name: str) -> _Ops | None:
        """See parse.ops._OpCollector.helper."""
        reader = self.reader
        func = self.entry.enter(reader.scope, name, self.function)
        if func is None:
            return None
        return _Ops(
            reader,
            self.entry,
            reader.op_names_in(func),
            reader.where(func),
            func,
            (*self.via, name),
            reader.scope.conditional_at(self),
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
