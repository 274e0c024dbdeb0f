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
    CONNECTION_EXECUTE,
    OPAQUE,
    UNFOLLOWED,
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


#: Expressions whose inner code may run any number of times (see flow.Walk.deferred).
_DEFERRED = frozenset({ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp})
_END_DEFERRED = ast.Pass()  # marks where one ends on the walk's stack


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
        self.in_arguments = 0  # see parse.ops._OpCollector.in_arguments
        self.deferred = 0  # see flow.Walk.deferred
        self.effects: set[int] = set()  # see parse.ops._OpCollector.effects
        why = reader.scope.escapes(function, op_names)
        if why is not None:  # see parse.ops._OpCollector
            self.inherited = True
            ref = reader.ref((*function, "def"))
            self.entry.calls.append(flow.unseen_call(entry.role, UNFOLLOWED, ref, via, ("op", why)))

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
        elif type(node) is ast.Assign and type(node.value) is ast.Name:
            if node.value.id in self.op_names:  # `o = op`: o's calls are operations too
                self.op_names.update(t.id for t in node.targets if type(t) is ast.Name)
        elif type(node) is ast.Expr:
            value = node.value
            self.effects.add(id(value.value if type(value) is ast.Await else value))
        elif isinstance(node, ast.With | ast.AsyncWith):
            batch = {}
            for item in node.items:
                self.effects.add(id(item.context_expr))
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
        stack: list[ast.AST | _Ops | None] = [root]
        while stack:
            node = stack.pop()
            if node is None:
                self.in_arguments -= 1  # the arguments of an operation are done
                continue
            if node is _END_DEFERRED:
                self.deferred -= 1
                continue
            if isinstance(node, _Ops):
                node.walk_body()
                continue
            kind = type(node)
            if kind is ast.Call:
                assert isinstance(node, ast.Call)
                helper = self.call(node)
                self.seen_calls += 1
                self.own_calls += 1
                if isinstance(helper, _Ops):
                    stack.append(helper)
                elif helper:
                    self.in_arguments += 1
                    stack.append(None)
                elif is_sqlalchemy(_dotted(node.func)):
                    continue  # sa.Column(...) holds no operations; positions.py skips it too
            elif kind is ast.Name or kind is ast.Constant:
                continue
            elif kind in _DEFERRED:
                self.deferred += 1
                stack.append(_END_DEFERRED)
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

    def call(self, node: ast.Call) -> _Ops | bool:
        """Records an operation call (True: its arguments are walked next); returns the
        walk of a helper it calls, if any."""
        func = node.func
        if type(func) is ast.Name:
            return self.helper(func.id, node)
        if not isinstance(func, ast.Attribute):
            return False
        owner = _dotted(func.value)
        batch_call = next((scope[owner] for scope in reversed(self.batch) if owner in scope), None)
        batch = batch_call is not None
        name = func.attr if batch else self.op_call_name(node)
        if name is None:
            return self.unfollowed(node, owner, func.attr)
        keywords: list[tuple[str, object]] = []
        kwargs: list[tuple[str, Expr]] = []
        star = False
        read = name in ARGUMENTS_READ
        plain: list[str] = []  # the plain names in the arguments read (see _expr)
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
                kwargs.append((keywords[-1][0], _expr(keyword.value, 1, plain)))
        # A starred argument stands for arguments nobody can see.
        args = (
            tuple(OPAQUE if isinstance(a, ast.Starred) else _expr(a, 1, plain) for a in node.args)
            if read
            else ()
        )
        reader = self.reader
        sql = _sql_text(node) if name == "execute" else None
        statement = reader.scope.executed(self) if name == "execute" and sql is None else None
        if plain:
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
        return True

    def unfollowed(self, node: ast.Call, owner: str | None, attr: str | None) -> bool:
        """See parse.ops._OpCollector.unfollowed."""
        if self.in_arguments:
            return False
        func = node.func
        if owner is None and attr is not None:
            value = func.value if isinstance(func, ast.Attribute) else None
            receiver = _dotted(value.func) if isinstance(value, ast.Call) else None
        else:
            receiver = owner
        found = self.reader.scope.unfollowed(
            self,
            _dotted(func),
            attr,
            receiver,
            bool(node.args) or any(k.arg == "bind" for k in node.keywords),
            self._hands_op(node),
            id(node) in self.effects,
        )
        if found is None:
            return False
        name, shown, why = found
        self.record_unfollowed(node, name, shown, why, attr)
        return name == CONNECTION_EXECUTE

    def _hands_op(self, node: ast.Call) -> bool:
        """See parse.ops._OpCollector._hands_op."""
        return any(self._gives_op(a) for a in node.args) or any(
            self._gives_op(k.value) for k in node.keywords
        )

    def _gives_op(self, expr: ast.expr) -> bool:
        kind = type(expr)
        if kind is ast.Name:
            return expr.id in self.op_names  # type: ignore[attr-defined]
        if kind is ast.Starred:
            return self._gives_op(expr.value)  # type: ignore[attr-defined]
        if kind is ast.List or kind is ast.Tuple or kind is ast.Set:
            return any(self._gives_op(e) for e in expr.elts)  # type: ignore[attr-defined]
        if kind is ast.Dict:
            return any(self._gives_op(v) for v in expr.values)  # type: ignore[attr-defined]
        return False

    def record_unfollowed(
        self, node: ast.Call, name: str, shown: str, why: str, attr: str | None
    ) -> None:
        reader = self.reader
        sql = statement = None
        if name == CONNECTION_EXECUTE:
            sql = _sql_text(node)
            statement = reader.scope.executed(self) if sql is None else None
        ref, guards = reader.scope.place(self, node, attr, reader.ref)
        args = (shown, why) if why else (shown,)
        self.entry.calls.append(
            flow.unseen_call(self.entry.role, name, ref, self.via, args, guards, sql, statement)
        )

    def helper(self, name: str, node: ast.Call) -> _Ops | bool:
        """See parse.ops._OpCollector.helper."""
        reader = self.reader
        scope = reader.scope
        func = self.entry.enter(scope, name, self.function)
        if func is None:
            return self.unfollowed(node, None, None)
        why = scope.decorated(
            _dotted(d.func if isinstance(d, ast.Call) else d) for d in func.decorator_list
        )
        op_names = reader.op_names_in(func)
        if self._hands_op(node):
            # `helper(op)`: the parameter it binds is `op` in the helper.
            args = func.args
            params = [a.arg for a in (*args.posonlyargs, *args.args)]
            named = {*params, *(a.arg for a in args.kwonlyargs)}
            handed: list[str | None] = []
            starred = False
            for index, arg in enumerate(node.args):
                starred = starred or type(arg) is ast.Starred
                if self._gives_op(arg):
                    direct = type(arg) is ast.Name and not starred and index < len(params)
                    handed.append(params[index] if direct else None)
            handed.extend(
                k.arg if k.arg in named and type(k.value) is ast.Name else None
                for k in node.keywords
                if self._gives_op(k.value)
            )
            op_names.update(p for p in handed if p is not None)
            if why is None and None in handed:
                why = "`op` handed to code the model does not follow"
        if why is not None:
            self.record_unfollowed(node, UNFOLLOWED, name, why, None)
        return _Ops(
            reader,
            self.entry,
            op_names,
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
