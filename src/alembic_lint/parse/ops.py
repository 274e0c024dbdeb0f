"""The operation calls of an ``upgrade()`` / ``downgrade()`` body, walked without recursion."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import libcst as cst

from alembic_lint import positions
from alembic_lint.model import (
    OpCall,
)
from alembic_lint.parse.nodes import (
    _alias_name,
    _dotted,
    _imported_names,
    _literal,
    _statement_locators,
    _string_value,
    _Unresolved,
    children,
)
from alembic_lint.positions import Locator
from alembic_lint.reading import (
    NOT_LITERAL,
    SQL_TEXT_FUNCS,
    from_import_dialects,
    is_op_owner,
)

if TYPE_CHECKING:
    from alembic_lint.parse.extract import _Extractor


_OPAQUE = (cst.FunctionDef, cst.ClassDef, cst.Match)
#: Nodes that hold no other nodes worth walking (half the nodes of a function body).
_LEAVES = frozenset(
    {cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis, cst.Pass}
)
_END_BATCH = ("end of a `with` block",)  # a tuple: _OpCollector.walk tells markers by type


class _OpCollector:
    """Finds operation calls in a function body (pre-order, as written)."""

    def __init__(
        self, extractor: _Extractor, role: str, op_names: set[str], function: Locator
    ) -> None:
        self.extractor = extractor
        self.role = role
        self.op_names = op_names
        self.function = function
        self.batch: list[set[str]] = []
        self.calls: list[OpCall] = []
        self.seen_calls = 0  # every call of the function, in the order positions.py counts
        # The statement being walked (its ast path) and the calls seen in it so far: lets
        # positions.py look at one statement instead of the whole function.
        self.statements: dict[cst.CSTNode, Locator] = {}
        self.statement: Locator | None = None
        self.own_calls = 0

    def walk_body(self, func: cst.FunctionDef) -> None:
        body = func.body
        if isinstance(body, cst.IndentedBlock):
            _statement_locators(body.body, (*self.function, "body"), self.statements)
        else:
            for number, small in enumerate(body.body):
                self.statements[small] = (*self.function, "body", number)
        self.walk(body)

    def walk(self, root: cst.CSTNode) -> None:
        # A loop over a stack of its own, not recursion: `x = 1 + 1 + ...` nests one level
        # per term (LibCST nests an implicit string concatenation too), and a few hundred
        # terms went past Python's recursion limit. Besides nodes, the stack holds what to
        # undo once a node's children are done: a (statement, own_calls) tuple to restore,
        # or _END_BATCH to leave a `with` block.
        stack: list[Any] = [root]
        pop, push, extend = stack.pop, stack.append, stack.extend
        # Keyed by id: LibCST nodes hash in Python, and this looks up every node.
        statements = {id(node): path for node, path in self.statements.items()}
        while stack:
            node = pop()
            # `type(...) is` rather than isinstance: LibCST classes use ABCMeta, whose
            # isinstance is slow, and this runs for every node of every function body.
            kind = type(node)
            if kind is tuple:
                if node is _END_BATCH:
                    self.batch.pop()
                else:
                    self.statement, self.own_calls = node
                continue
            path = statements.get(id(node))
            if path is not None or kind in _OPAQUE:
                # A nested def/class/match: its inner statements have no path of their
                # own, so calls there keep the function-wide count only.
                push((self.statement, self.own_calls))
                self.statement, self.own_calls = (None if kind in _OPAQUE else path), 0
            if kind is cst.Call:
                self.call(node)
                self.seen_calls += 1
                self.own_calls += 1
                if positions.is_sqlalchemy(_dotted(node.func)):
                    continue  # sa.Column(...) and friends hold no operations (as in positions.py)
            elif kind is cst.ImportFrom:
                self.import_from(node)
            elif kind is cst.With:
                self.batch.append(self.batch_targets(node))
                push(_END_BATCH)
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

    def batch_targets(self, node: cst.With) -> set[str]:
        targets: set[str] = set()
        for item in node.items:
            call = item.item
            if (
                isinstance(call, cst.Call)
                and self._op_call_name(call) == "batch_alter_table"
                and item.asname is not None
                and isinstance(item.asname.name, cst.Name)
            ):
                targets.add(item.asname.name.value)
        return targets

    def _op_call_name(self, call: cst.Call) -> str | None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        owner = _dotted(func.value)
        if is_op_owner(owner, self.op_names, self.extractor.op_modules):
            return func.attr.value
        return None

    def call(self, node: cst.Call) -> None:
        func = node.func
        if not isinstance(func, cst.Attribute):
            return
        owner = _dotted(func.value)
        batch = any(owner in scope for scope in self.batch)
        name = func.attr.value if batch else self._op_call_name(node)
        if name is None:
            return
        keywords: list[tuple[str, object]] = []
        star = False
        for arg in node.args:
            if arg.star == "**":
                star = True
            elif arg.keyword is not None:
                try:
                    value, _ = _literal(arg.value, top=False)
                except _Unresolved:
                    value = NOT_LITERAL
                keywords.append((sys.intern(arg.keyword.value), value))
        sql = _sql_text(node) if name == "execute" else None
        self.calls.append(
            OpCall(
                name=sys.intern(name),
                function=self.role,
                batch=batch,
                keywords=tuple(keywords),
                star_kwargs=star,
                sql=sql,
                ref=self.extractor.ref(
                    node,
                    (*self.function, "call", self.seen_calls, f"call:{name}")
                    if self.statement is None
                    else (*self.statement, "own", self.own_calls, f"call:{name}"),
                ),
            )
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
