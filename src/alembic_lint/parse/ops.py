"""Operation calls of ``upgrade()``/``downgrade()`` and the helpers they call, no recursion."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import libcst as cst

from alembic_lint import executed, flow, positions
from alembic_lint.model import (
    CONNECTION_EXECUTE,
    OPAQUE,
    UNFOLLOWED,
    CallExpr,
    Expr,
    OpCall,
)
from alembic_lint.parse.nodes import (
    _alias_name,
    _def_span,
    _dotted,
    _expr,
    _imported_names,
    _literal,
    _statement_locators,
    _string_value,
    _Unresolved,
    children,
)
from alembic_lint.positions import Locator
from alembic_lint.reading import (
    ARGUMENTS_READ,
    NOT_LITERAL,
    SQL_TEXT_FUNCS,
    from_import_dialects,
    is_context_bind,
    is_op_owner,
)

if TYPE_CHECKING:
    from alembic_lint.parse.extract import _Extractor


_OPAQUE = (cst.FunctionDef, cst.ClassDef, cst.Match)
#: Nodes that hold no other nodes worth walking (half the nodes of a function body).
_LEAVES = frozenset(
    {cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis, cst.Pass}
)
#: Statements under which an operation may have guards, or not run (see flow.guards_at).
_CONDITIONAL = frozenset({cst.If, cst.Try, cst.TryStar, cst.For, cst.While})
_END_BATCH = ("end of a `with` block",)  # a tuple: _OpCollector.run tells markers by type
_END_ARGUMENTS = ("end of an operation's arguments",)
_END_DEFERRED = ("end of a lambda or a comprehension",)
#: Expressions whose inner code may run any number of times (see flow.Walk.deferred).
_DEFERRED = frozenset({cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp})


class _OpCollector:
    """Finds operation calls in a function body (pre-order, as written), and in the
    module-level functions it calls, each where it is first called."""

    def __init__(
        self,
        extractor: _Extractor,
        entry: flow.Entry[cst.FunctionDef],
        op_names: set[str],
        function: Locator,
        func: cst.FunctionDef,
        via: tuple[str, ...],
        inherited: bool = False,
    ) -> None:
        self.extractor = extractor
        self.entry = entry
        self.op_names = op_names
        self.function = function
        self.func = func
        self.via = via
        self.inherited = inherited  # called under a condition (see flow.Walk)
        self.batch: list[dict[str, CallExpr]] = []
        self.seen_calls = 0  # every call of the function, in the order positions.py counts
        # The statement being walked (its ast path) and the calls seen in it so far: lets
        # positions.py look at one statement instead of the whole function.
        self.statement: Locator | None = None
        self.own_calls = 0
        # An `if`, `try` or `with suppress(...)` seen: only then can a call have guards.
        self.conditional = False
        # Inside an operation's arguments (how deep): calls there build its values, and
        # are not taken for code that may run operations of its own (see unfollowed).
        self.in_arguments = 0
        self.deferred = 0  # see flow.Walk.deferred
        # The calls made for their effect (see flow.ModuleScope.unfollowed), by id: those
        # that are a statement of their own (maybe awaited) or a `with` block's context.
        self.effects: set[int] = set()
        self.statements: dict[int, Locator] = {}  # by id: LibCST nodes hash in Python
        body = func.body
        if isinstance(body, cst.IndentedBlock):
            paths: dict[cst.CSTNode, Locator] = {}
            _statement_locators(body.body, (*function, "body"), paths)
            self.statements = {id(node): path for node, path in paths.items()}
        else:
            for number, small in enumerate(body.body):
                self.statements[id(small)] = (*function, "body", number)
        why = extractor.scope.escapes(function, op_names)
        if why is not None:
            # Operations may run through `op` unseen anywhere in the function: the schema
            # is unsure from its start, and what its own operations touch may not be so.
            self.inherited = True
            ref = extractor.ref_span(
                lambda place: _def_span(func, place), (*function, "def"), func.name
            )
            entry.calls.append(flow.unseen_call(entry.role, UNFOLLOWED, ref, via, ("op", why)))

    def run(self) -> None:
        # A loop over a stack of its own, not recursion: `x = 1 + 1 + ...` nests one level
        # per term (LibCST nests an implicit string concatenation too), and a few hundred
        # terms went past Python's recursion limit; helpers may call helpers as deep. Besides
        # nodes, the stack holds what to undo once a node's children are done: a
        # (statement, own_calls) tuple to restore, _END_BATCH to leave a `with` block, or
        # a collector to carry on with (a helper's, or its caller's when the helper is done).
        col = self
        statements = col.statements
        stack: list[Any] = [col.func.body]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            # `type(...) is` rather than isinstance: LibCST classes use ABCMeta, whose
            # isinstance is slow, and this runs for every node of every function body.
            kind = type(node)
            if kind is tuple:
                if node is _END_BATCH:
                    col.batch.pop()
                elif node is _END_ARGUMENTS:
                    col.in_arguments -= 1
                elif node is _END_DEFERRED:
                    col.deferred -= 1
                else:
                    col.statement, col.own_calls = node
                continue
            if kind is _OpCollector:
                col = node
                statements = col.statements
                continue
            path = statements.get(id(node))
            if path is not None or kind in _OPAQUE:
                # A nested def/class/match: its inner statements have no path of their
                # own, so calls there keep the function-wide count only.
                push((col.statement, col.own_calls))
                col.statement, col.own_calls = (None if kind in _OPAQUE else path), 0
            if kind is cst.Call:
                helper = col.call(node)
                col.seen_calls += 1
                col.own_calls += 1
                if isinstance(helper, _OpCollector):
                    # Its body runs once the arguments are evaluated: below them on the stack.
                    extend((col, helper.func.body, helper))
                elif helper:
                    col.in_arguments += 1
                    push(_END_ARGUMENTS)
                elif positions.is_sqlalchemy(_dotted(node.func)):
                    continue  # sa.Column(...) and friends hold no operations (as positions.py)
            elif kind is cst.ImportFrom:
                col.import_from(node)
            elif kind is cst.Assign and type(node.value) is cst.Name:
                if node.value.value in col.op_names:  # `o = op`: o's calls are operations too
                    col.op_names.update(
                        t.target.value for t in node.targets if type(t.target) is cst.Name
                    )
            elif kind is cst.With:
                col.effects.update(id(item.item) for item in node.items)
                col.batch.append(col.batch_targets(node))
                push(_END_BATCH)
            elif kind is cst.Expr:
                value = node.value
                col.effects.add(id(value.expression if type(value) is cst.Await else value))
            elif kind in _CONDITIONAL:
                col.conditional = True
            elif kind in _DEFERRED:
                col.deferred += 1
                push(_END_DEFERRED)
            elif kind in _LEAVES:
                continue  # no calls below: save looking for children
            kids = children(node)
            kids.reverse()
            extend(kids)

    def import_from(self, node: cst.ImportFrom) -> None:
        module = _dotted(node.module) if node.module is not None else None
        self.extractor.dialect_imports |= from_import_dialects(module, _imported_names(node))
        if (
            node.module is not None
            and _dotted(node.module) == "alembic"
            and not isinstance(node.names, cst.ImportStar)
        ):
            for alias in node.names:
                if _dotted(alias.name) == "op":
                    self.op_names.add(_alias_name(alias) or "op")

    def batch_targets(self, node: cst.With) -> dict[str, CallExpr]:
        """The names bound to ``op.batch_alter_table(...)`` calls, with those calls."""
        targets: dict[str, CallExpr] = {}
        for item in node.items:
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            if (
                self._op_call_name(call) == "batch_alter_table"
                and item.asname is not None
                and isinstance(item.asname.name, cst.Name)
            ):
                written = _expr(call)
                assert isinstance(written, CallExpr)
                targets[item.asname.name.value] = written
            func = call.func
            name = func.attr if isinstance(func, cst.Attribute) else func
            if isinstance(name, cst.Name) and name.value == "suppress":
                self.conditional = True  # contextlib.suppress: see flow._swallows
        return targets

    def _op_call_name(self, call: cst.Call) -> str | None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        owner = _dotted(func.value)
        if is_op_owner(owner, self.op_names, self.extractor.op_modules):
            return func.attr.value
        if is_context_bind(owner, func.attr.value):
            return func.attr.value
        return None

    def call(self, node: cst.Call) -> _OpCollector | bool:
        """Records an operation call (True: its arguments are walked next); returns the
        collector of a helper it calls, if any."""
        func = node.func
        if type(func) is cst.Name:
            return self.helper(func.value, node)
        if not isinstance(func, cst.Attribute):
            return False
        owner = _dotted(func.value)
        batch_call = next((scope[owner] for scope in reversed(self.batch) if owner in scope), None)
        batch = batch_call is not None
        name = func.attr.value if batch else self._op_call_name(node)
        if name is None:
            return self.unfollowed(node, owner, func.attr.value)
        keywords: list[tuple[str, object]] = []
        kwargs: list[tuple[str, Expr]] = []
        args: list[Expr] = []
        star = False
        read = name in ARGUMENTS_READ
        plain: list[str] = []  # the plain names in the arguments read (see _expr)
        for arg in node.args:
            if arg.star == "**":
                star = True
            elif arg.keyword is not None:
                try:
                    value, _ = _literal(arg.value, top=False)
                except _Unresolved:
                    value = NOT_LITERAL
                keywords.append((sys.intern(arg.keyword.value), value))
                if read:
                    kwargs.append((keywords[-1][0], _expr(arg.value, 1, plain)))
            elif read:  # a starred argument stands for arguments nobody can see
                args.append(OPAQUE if arg.star else _expr(arg.value, 1, plain))
        sql = _sql_text(node) if name == "execute" else None
        extractor = self.extractor
        statement = extractor.scope.executed(self) if name == "execute" and sql is None else None
        if plain:
            known = extractor.scope.constants(self, name)
            if known:
                args = [executed.substituted(a, known) for a in args]
                kwargs = [(k, executed.substituted(v, known)) for k, v in kwargs]
        ref, guards = extractor.scope.place(
            self, node, name, lambda locator: extractor.ref(node, locator)
        )
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
                args=tuple(args),
                kwargs=tuple(kwargs),
                batch_call=batch_call,
                statement=statement,
            )
        )
        return True

    def unfollowed(self, node: cst.Call, owner: str | None, attr: str | None) -> bool:
        """Records a call that may run what the model cannot see (see
        flow.ModuleScope.unfollowed): True for SQL run on the connection, whose arguments
        are the statement's values."""
        if self.in_arguments:
            return False
        func = node.func
        if owner is None and attr is not None:
            value = func.value if isinstance(func, cst.Attribute) else None
            receiver = _dotted(value.func) if isinstance(value, cst.Call) else None
        else:
            receiver = owner
        found = self.extractor.scope.unfollowed(
            self,
            _dotted(func),
            attr,
            receiver,
            any(
                (a.keyword is None and a.star != "**")
                or (a.keyword is not None and a.keyword.value == "bind")
                for a in node.args
            ),
            self._hands_op(node),
            id(node) in self.effects,
        )
        if found is None:
            return False
        name, shown, why = found
        self.record_unfollowed(node, name, shown, why, attr)
        return name == CONNECTION_EXECUTE

    def _hands_op(self, node: cst.Call) -> bool:
        """Whether ``op`` itself is an argument of the call, or in one (``[op]``,
        ``*[op]``, ``**{"o": op}``): the callee may run operations through it."""
        return any(self._gives_op(arg.value) for arg in node.args)

    def _gives_op(self, expr: cst.BaseExpression) -> bool:
        kind = type(expr)
        if kind is cst.Name:
            return expr.value in self.op_names  # type: ignore[attr-defined]
        if kind is cst.List or kind is cst.Tuple or kind is cst.Set or kind is cst.Dict:
            return any(self._gives_op(e.value) for e in expr.elements)  # type: ignore[attr-defined]
        return False

    def record_unfollowed(
        self, node: cst.Call, name: str, shown: str, why: str, attr: str | None
    ) -> None:
        extractor = self.extractor
        sql = statement = None
        if name == CONNECTION_EXECUTE:
            sql = _sql_text(node)
            statement = extractor.scope.executed(self) if sql is None else None
        ref, guards = extractor.scope.place(
            self, node, attr, lambda locator: extractor.ref(node, locator)
        )
        args = (shown, why) if why else (shown,)
        self.entry.calls.append(
            flow.unseen_call(self.entry.role, name, ref, self.via, args, guards, sql, statement)
        )

    def helper(self, name: str, node: cst.Call) -> _OpCollector | bool:
        """The collector of the module-level function ``name``, when this is the first call
        of it from the entry point. A decorated one, or one handed ``op`` under another
        name, may run more than its body says: the call is recorded as unfollowed too."""
        extractor = self.extractor
        scope = extractor.scope
        func = self.entry.enter(scope, name, self.function)
        if func is None:
            return self.unfollowed(node, None, None)
        why = scope.decorated(
            _dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            for d in func.decorators
        )
        op_names = extractor.op_names_in(func)
        if self._hands_op(node):
            # `helper(op)`: the parameter it binds is `op` in the helper.
            parameters = func.params
            params = [p.name.value for p in (*parameters.posonly_params, *parameters.params)]
            named = {*params, *(p.name.value for p in parameters.kwonly_params)}
            handed: list[str | None] = []
            index = 0
            starred = False
            for arg in node.args:
                starred = starred or arg.star == "*"
                gives_op = self._gives_op(arg.value)
                direct = not arg.star and type(arg.value) is cst.Name
                if arg.keyword is not None:
                    if gives_op:
                        keyword = arg.keyword.value
                        handed.append(keyword if direct and keyword in named else None)
                    continue
                if gives_op:
                    fits = direct and not starred and index < len(params)
                    handed.append(params[index] if fits else None)
                if not arg.star:
                    index += 1
            op_names.update(p for p in handed if p is not None)
            if why is None and None in handed:
                why = "`op` handed to code the model does not follow"
        if why is not None:
            self.record_unfollowed(node, UNFOLLOWED, name, why, None)
        return _OpCollector(
            extractor,
            self.entry,
            op_names,
            extractor.where(func),
            func,
            (*self.via, name),
            extractor.scope.conditional_at(self),
        )


def _sql_text(call: cst.Call) -> str | None:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    if not positional:
        sql_arg = next((a for a in call.args if a.keyword and a.keyword.value == "sqltext"), None)
        if sql_arg is None:
            return None
        positional = [sql_arg]
    value = positional[0].value
    if isinstance(value, cst.Call) and _dotted(value.func) in SQL_TEXT_FUNCS and value.args:
        value = value.args[0].value
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
        text = _string_value(value)
        return text if isinstance(text, str) else None
    return None
