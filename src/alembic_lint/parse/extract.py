"""The LibCST walk: a parsed module -> the facts of one migration, with locators."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

from alembic_lint import positions
from alembic_lint.model import (
    REVISION_VARS,
    Binding,
    Body,
    Element,
    Function,
    Header,
    Migration,
    OpCall,
    Span,
    Status,
    normalise,
    pack_spans,
)
from alembic_lint.positions import Locator

#: A keyword argument whose value is not a literal.
NOT_LITERAL = ...

_FALSY_TESTS = {"TYPE_CHECKING", "typing.TYPE_CHECKING", "False", "0", "None"}
_TRUTHY_TESTS = {"True", "1"}
_SQL_TEXT_FUNCS = {"text", "sa.text", "sqlalchemy.text", "sql.text", "sqlalchemy.sql.text"}
_UPDOWN = ("upgrade", "downgrade")


# --------------------------------------------------------------------------- extraction


class _Unresolved(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _dotted(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def _describe(node: cst.BaseExpression) -> str:
    dotted = _dotted(node)
    if dotted is not None:
        return f"the name `{dotted}`"
    if isinstance(node, cst.Call):
        return "a function call"
    if isinstance(node, cst.BinaryOperation):
        return "a computed expression"
    if isinstance(node, cst.FormattedString):
        return "an f-string"
    return f"a {type(node).__name__} expression"


#: 1-based (line, column) of a node's start and end, from :class:`_Positions`.
Place = tuple[int, int, int, int]
PlaceOf = Callable[[cst.CSTNode], Place]


class _Positions(CodegenState):
    """Regenerates the module's code once, tracking line and column, and records where the
    wanted nodes start and end: a fraction of the cost of LibCST's PositionProvider, which
    builds a position object for every node of the tree."""

    def __init__(self, module: cst.Module, wanted: set[cst.CSTNode]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.wanted = wanted
        self.line = 1
        self.column = 0
        self.stack: list[tuple[int, int]] = []
        self.found: dict[cst.CSTNode, Place] = {}
        module._codegen(self)

    def add_indent_tokens(self) -> None:
        for token in self.indent_tokens:
            self.add_token(token)

    def add_token(self, value: str) -> None:
        if "\n" in value or "\r" in value:
            parts = _NEWLINES.split(value)
            self.line += len(parts) - 1
            self.column = len(parts[-1])
        else:
            self.column += len(value)

    def pop_trailing_newline(self) -> None:
        pass  # positions are all known by the end of the file

    def before_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            self.stack.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if node in self.wanted:
            line, column = self.stack.pop()
            self.found[node] = (line, column + 1, self.line, self.column + 1)


_NEWLINES = re.compile(r"\r\n?|\n")


def _anchor(node: cst.CSTNode) -> cst.CSTNode:
    """A node that starts where a compound statement's keyword line does (code generation
    of a statement starts with the blank lines and comments above it)."""
    if isinstance(node, cst.If | cst.While):
        return node.test
    if isinstance(node, cst.For):
        return node.target
    if isinstance(node, cst.With) and node.items:
        return node.items[0].item
    if isinstance(node, cst.FunctionDef | cst.ClassDef):
        return node.name
    if isinstance(node, cst.Try | cst.TryStar):
        return node.body
    if isinstance(node, cst.Match):
        return node.subject
    return node


class _Extractor:
    """One pass over a module; allocates a ref for every fact it records."""

    def __init__(self, module: cst.Module, positions: bool, text: str | None = None) -> None:
        self.module = module
        self.positions = positions
        self.text = text  # the source, if known: module.code regenerates it recursively
        self.wanted: set[cst.CSTNode] = set()
        self.pending: list[Callable[[PlaceOf], Span]] = []
        self.locators: list[Locator] = []
        self.statements: dict[cst.CSTNode, Locator] = {}
        _statement_locators(module.body, ("body",), self.statements)
        self.op_names: set[str] = {"op"}
        self.op_modules: set[str] = set()  # names bound to the alembic package
        self._count = 0

    # -- refs

    def ref(self, node: cst.CSTNode, locator: Locator) -> int:
        self.locators.append(locator)
        if self.positions:
            node = _anchor(node)
            self.wanted.add(node)
            self.pending.append(lambda place: Span(*place(node)))
        return self._next()

    def ref_span(
        self, compute: Callable[[PlaceOf], Span], locator: Locator, *nodes: cst.CSTNode
    ) -> int:
        self.locators.append(locator)
        if self.positions:
            self.wanted.update(nodes)
            self.pending.append(compute)
        return self._next()

    def where(self, statement: cst.CSTNode) -> Locator:
        """The ast path of a module-level (possibly nested) statement."""
        return self.statements.get(statement, ("unknown",))

    def _next(self) -> int:
        self._count += 1
        return self._count - 1

    def _spans(self) -> tuple[int, ...] | None:
        if not self.positions:
            return None
        try:
            text = self.module.code if self.text is None else self.text
            return pack_spans(positions.resolve(text, self.locators))
        except positions.NoMatch:
            found = _Positions(self.module, self.wanted).found
            return pack_spans(compute(found.__getitem__) for compute in self.pending)

    # -- module

    def migration(self, path: str, filename: str) -> Migration:
        bindings: dict[str, Binding] = {}
        defs: dict[str, cst.FunctionDef] = {}
        self._walk_module(self.module.body, bindings, defs, unconditional=True)
        if "__getattr__" in defs:
            for name in REVISION_VARS:
                if name not in bindings:
                    bindings[name] = Binding(
                        name, Status.UNRESOLVED, reason="the module defines __getattr__"
                    )
        header, message = self._header()
        functions: list[Function] = []
        ops: list[OpCall] = []
        for name in sorted(defs, key=lambda n: _def_order(n)):
            role = _role(name)
            if role is None:
                continue
            func = defs[name]
            if name in _UPDOWN:
                functions.append(self._function(name, func))
            ops.extend(self._ops(role, func))
        return Migration(
            path=path,
            filename=filename,
            **{n: bindings.get(n, Binding(n, Status.ABSENT)) for n in REVISION_VARS},  # type: ignore[arg-type]
            header=header,
            functions=tuple(functions),
            ops=tuple(ops),
            message=message,
            spans=self._spans(),
            locators=positions.encode_locators(self.locators),
        )

    def _walk_module(
        self,
        body: Sequence[cst.BaseStatement | cst.BaseSmallStatement],
        bindings: dict[str, Binding],
        defs: dict[str, cst.FunctionDef],
        *,
        unconditional: bool,
    ) -> None:
        for stmt in body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    self._small(small, bindings, unconditional)
            elif isinstance(stmt, cst.BaseSmallStatement):
                # A one-line block (`if True: revision = "a"`) holds its statements directly.
                self._small(stmt, bindings, unconditional)
            elif isinstance(stmt, cst.If) and _dotted_test(stmt.test) in _FALSY_TESTS:
                if stmt.orelse is not None:
                    self._walk_else(stmt.orelse, bindings, defs, unconditional)
            elif isinstance(stmt, cst.If) and _dotted_test(stmt.test) in _TRUTHY_TESTS:
                self._walk_module(stmt.body.body, bindings, defs, unconditional=unconditional)
            elif isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                if unconditional:
                    defs[name] = stmt
                self._rebind(name, bindings, "a function definition", stmt)
            elif isinstance(stmt, cst.ClassDef):
                self._rebind(stmt.name.value, bindings, "a class definition", stmt)
            else:
                # if/try/for/while/with/match: whatever they bind depends on running them.
                for name in _bound_names(stmt):
                    self._rebind(
                        name, bindings, f"assigned inside a `{_keyword(stmt)}` block", stmt
                    )
                if unconditional:
                    # A def under try/if is most likely the one that runs; keep it.
                    defs.update(_defined_functions(stmt))

    def _walk_else(
        self,
        orelse: cst.If | cst.Else,
        bindings: dict[str, Binding],
        defs: dict[str, cst.FunctionDef],
        unconditional: bool,
    ) -> None:
        if isinstance(orelse, cst.Else):
            self._walk_module(orelse.body.body, bindings, defs, unconditional=unconditional)
        else:
            self._walk_module([orelse], bindings, defs, unconditional=unconditional)

    def _rebind(
        self, name: str, bindings: dict[str, Binding], reason: str, node: cst.CSTNode
    ) -> None:
        if name in REVISION_VARS:
            ref = self.ref(node, (*self.where(node), "stmt"))
            bindings[name] = Binding(name, Status.UNRESOLVED, reason=reason, ref=ref)

    def _small(
        self, small: cst.BaseSmallStatement, bindings: dict[str, Binding], unconditional: bool
    ) -> None:
        if isinstance(small, cst.Assign):
            if len(small.targets) == 1 and isinstance(
                small.targets[0].target, cst.Tuple | cst.List
            ):
                self._unpack(small, small.targets[0].target, bindings)
                return
            for target in small.targets:
                if isinstance(target.target, cst.Name) and target.target.value in REVISION_VARS:
                    bindings[target.target.value] = self._binding(
                        target.target.value, small.value, small, ("value",)
                    )
                elif isinstance(target.target, cst.Tuple | cst.List):
                    for name in _names_in(target.target):
                        self._rebind(name, bindings, "tuple unpacking", small)
                elif _mentions_globals(target.target):
                    for name in REVISION_VARS:
                        self._rebind(name, bindings, "a `globals()` manipulation", small)
        elif isinstance(small, cst.AnnAssign):
            if (
                small.value is not None
                and isinstance(small.target, cst.Name)
                and small.target.value in REVISION_VARS
            ):
                bindings[small.target.value] = self._binding(
                    small.target.value, small.value, small, ("value",)
                )
        elif isinstance(small, cst.AugAssign):
            if isinstance(small.target, cst.Name):
                self._rebind(small.target.value, bindings, "an augmented assignment", small)
        elif isinstance(small, cst.Del):
            for name in _names_in(small.target):
                if name in REVISION_VARS:
                    bindings.pop(name, None)
        elif isinstance(small, cst.ImportFrom):
            self._import_from(small, bindings)
        elif isinstance(small, cst.Import):
            for alias in small.names:
                dotted = _dotted(alias.name)
                asname = _alias_name(alias)
                if dotted == "alembic.op" and asname:
                    self.op_names.add(asname)
                elif dotted is not None and dotted.split(".")[0] == "alembic" and not asname:
                    self.op_modules.add("alembic")
                bound = asname or (dotted or "").split(".")[0]
                self._rebind(bound, bindings, "an import", small)
        elif isinstance(small, cst.Expr) and _mentions_globals(small.value):
            for name in REVISION_VARS:
                self._rebind(name, bindings, "a `globals()` manipulation", small)

    def _import_from(self, small: cst.ImportFrom, bindings: dict[str, Binding]) -> None:
        module = _dotted(small.module) if small.module is not None else None
        if isinstance(small.names, cst.ImportStar):
            for name in REVISION_VARS:
                self._rebind(name, bindings, f"`from {module} import *`", small)
            return
        for alias in small.names:
            name = _dotted(alias.name) or ""
            bound = _alias_name(alias) or name
            if module == "alembic" and name == "op":
                self.op_names.add(bound)
            self._rebind(bound, bindings, f"imported from `{module or '.'}`", small)

    def _unpack(
        self, small: cst.Assign, target: cst.Tuple | cst.List, bindings: dict[str, Binding]
    ) -> None:
        # A starred target binds a list (`a, *b = 1, 2` binds b = [2]) and a nested one
        # unpacks again: both leave their names to "tuple unpacking" below.
        flat = not any(
            isinstance(el, cst.StarredElement) or isinstance(el.value, cst.Tuple | cst.List)
            for el in target.elements
        )
        names = [
            el.value.value if isinstance(el.value, cst.Name) else None for el in target.elements
        ]
        value = small.value
        if (
            flat
            and isinstance(value, cst.Tuple | cst.List)
            and len(value.elements) == len(names)
            and all(not isinstance(el, cst.StarredElement) for el in value.elements)
        ):
            for index, (name, el) in enumerate(zip(names, value.elements, strict=True)):
                if name in REVISION_VARS:
                    bindings[name] = self._binding(name, el.value, small, ("value", "elts", index))
            return
        for name in _names_in(target):
            self._rebind(name, bindings, "tuple unpacking", small)

    def _binding(
        self, name: str, value: cst.BaseExpression, stmt: cst.CSTNode, path: Locator
    ) -> Binding:
        where = (*self.where(stmt), *path)
        ref = self.ref(stmt, (*self.where(stmt), "stmt"))
        try:
            literal, element_nodes = _literal(value, top=True)
        except _Unresolved as exc:
            return Binding(name, Status.UNRESOLVED, reason=exc.reason, ref=ref)
        normalised = normalise(name, literal)
        if name != "revision" and isinstance(literal, frozenset):
            # A set iterates in hash order, which changes with PYTHONHASHSEED: take its ids
            # in source order instead, each where it first appears.
            first: dict[object, int] = {}
            for index, node in enumerate(element_nodes):
                first.setdefault(_literal(node, top=False)[0], index)
            elements = tuple(
                Element(v, self.ref(element_nodes[i], (*where, "elts", i, "expr")))
                for v, i in first.items()
            )
        elif name == "revision" or len(element_nodes) != len(normalised):
            elements = tuple(Element(v, self.ref(value, (*where, "expr"))) for v in normalised)
        else:
            container = isinstance(value, cst.Tuple | cst.List | cst.Set)
            elements = tuple(
                Element(
                    v,
                    self.ref(node, (*where, "elts", i, "expr") if container else (*where, "expr")),
                )
                for i, (v, node) in enumerate(zip(normalised, element_nodes, strict=True))
            )
        return Binding(name, Status.LITERAL, literal, elements, ref=ref)

    # -- docstring header

    def _header(self) -> tuple[Header, str]:
        body = self.module.body
        if not body or not isinstance(body[0], cst.SimpleStatementLine):
            return Header(), ""
        first = body[0].body[0] if body[0].body else None
        if not isinstance(first, cst.Expr) or not isinstance(first.value, cst.SimpleString):
            return Header(), ""
        node = first.value
        try:
            doc = node.evaluated_value
        except Exception:
            return Header(), ""
        if not isinstance(doc, str):
            return Header(), ""
        message = doc.strip().split("\n", 1)[0].strip()
        raw_lines = node.value.split("\n")
        found: dict[str, tuple[str, int]] = {}
        for index, raw in enumerate(raw_lines):
            for key in ("Revision ID:", "Revises:"):
                col = raw.find(key)
                if col == -1 or key in found or raw[:col].strip(" \t'\"rRuUbB") != "":
                    continue
                value = raw[col + len(key) :].strip()
                if index == len(raw_lines) - 1:
                    value = value.rstrip("'\"").strip()

                def span(
                    place: PlaceOf, index: int = index, col: int = col, raw: str = raw
                ) -> Span:
                    start_line, start_column, _, _ = place(node)
                    line = start_line + index
                    column = (start_column if index == 0 else 1) + col
                    return Span(line, column, line, column + len(raw.rstrip()) - col)

                tag = f"doc:{index}:{col}:{len(raw.rstrip()) - col}"
                locator = (*self.where(first), "value", tag)
                found[key] = (value, self.ref_span(span, locator, node))
        rid = found.get("Revision ID:")
        revises = found.get("Revises:")
        return (
            Header(
                revision_id=rid[0] if rid else None,
                revision_id_ref=rid[1] if rid else -1,
                revises=revises[0] if revises else None,
                revises_ref=revises[1] if revises else -1,
            ),
            message,
        )

    # -- functions

    def _function(self, name: str, func: cst.FunctionDef) -> Function:
        params = tuple(p.name.value for p in func.params.params) + tuple(
            p.name.value for p in func.params.kwonly_params
        )
        ref = self.ref_span(
            lambda place: _def_span(func, place), (*self.where(func), "def"), func.name
        )
        return Function(name, _body_kind(func), params, ref)

    def _ops(self, role: str, func: cst.FunctionDef) -> list[OpCall]:
        names = set(self.op_names)
        names.update(p.name.value for p in func.params.params if p.name.value == "op")
        collector = _OpCollector(self, role, names, self.where(func))
        collector.walk_body(func)
        return collector.calls


def _statement_locators(
    body: Sequence[cst.BaseStatement], prefix: Locator, out: dict[cst.CSTNode, Locator]
) -> None:
    """Map every statement (and small statement) to its path in CPython's ``ast``: one
    LibCST line ``a = 1; b = 2`` is two ast statements."""
    index = 0
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                out[small] = (*prefix, index)
                index += 1
            continue
        here = (*prefix, index)
        out[stmt] = here
        index += 1
        blocks: list[tuple[cst.BaseSuite, Locator]] = []
        if isinstance(stmt, cst.If):
            blocks.append((stmt.body, (*here, "body")))
            if isinstance(stmt.orelse, cst.Else):
                blocks.append((stmt.orelse.body, (*here, "orelse")))
            elif isinstance(stmt.orelse, cst.If):
                _statement_locators([stmt.orelse], (*here, "orelse"), out)
        elif isinstance(stmt, cst.For | cst.While):
            blocks.append((stmt.body, (*here, "body")))
            if stmt.orelse is not None:
                blocks.append((stmt.orelse.body, (*here, "orelse")))
        elif isinstance(stmt, cst.With):
            blocks.append((stmt.body, (*here, "body")))
        elif isinstance(stmt, cst.Try | cst.TryStar):
            blocks.append((stmt.body, (*here, "body")))
            for number, handler in enumerate(stmt.handlers):
                blocks.append((handler.body, (*here, "handlers", number, "body")))  # type: ignore[attr-defined]
            if stmt.orelse is not None:
                blocks.append((stmt.orelse.body, (*here, "orelse")))
            if stmt.finalbody is not None:
                blocks.append((stmt.finalbody.body, (*here, "finalbody")))
        for suite, where in blocks:
            if isinstance(suite, cst.SimpleStatementSuite):
                for number, small in enumerate(suite.body):
                    out[small] = (*where, number)
            elif isinstance(suite, cst.IndentedBlock):
                _statement_locators(suite.body, where, out)


def _def_span(func: cst.FunctionDef, place: PlaceOf) -> Span:
    """From the ``def`` (or ``async``) keyword to the end of the function's name."""
    line, column, end_line, end_column = place(func.name)
    before = 3 + len(getattr(func.whitespace_after_def, "value", " "))
    if func.asynchronous is not None:
        before += 5 + len(getattr(func.asynchronous.whitespace_after, "value", " "))
    return Span(line, max(column - before, 1), end_line, end_column)


def _def_order(name: str) -> tuple[int, str]:
    return (0 if name == "upgrade" else 1 if name == "downgrade" else 2, name)


def _role(name: str) -> str | None:
    for role in _UPDOWN:
        if name == role or name.startswith(role + "_"):
            return role
    return None


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
        if owner in self.op_names or (
            owner is not None and owner.endswith(".op") and owner[:-3] in self.extractor.op_modules
        ):
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
    if isinstance(value, cst.Call) and _dotted(value.func) in _SQL_TEXT_FUNCS and value.args:
        value = value.args[0].value
    if isinstance(value, cst.SimpleString | cst.ConcatenatedString):
        text = _string_value(value)
        return text if isinstance(text, str) else None
    return None


# --------------------------------------------------------------------------- helpers


def _literal(node: cst.BaseExpression, *, top: bool) -> tuple[object, list[cst.BaseExpression]]:
    """Evaluate a literal expression; returns the value and the nodes of its elements."""
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        value = _string_value(node)
        if value is None:
            raise _Unresolved("an f-string")
        return value, [node]
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return {"None": None, "True": True, "False": False}[node.value], [node]
    if isinstance(node, cst.Integer | cst.Float):
        return node.evaluated_value, [node]
    if isinstance(node, cst.Tuple | cst.List | cst.Set):
        items: list[object] = []
        nodes: list[cst.BaseExpression] = []
        for el in node.elements:
            if isinstance(el, cst.StarredElement):
                raise _Unresolved("a starred expression")
            item, _ = _literal(el.value, top=False)
            items.append(item)
            nodes.append(el.value)
        if isinstance(node, cst.Tuple):
            return tuple(items), nodes
        if isinstance(node, cst.List):
            return items, nodes
        try:
            return frozenset(items), nodes
        except TypeError:
            raise _Unresolved("a set of unhashable values") from None
    raise _Unresolved(_describe(node))


def _string_value(node: cst.SimpleString | cst.ConcatenatedString) -> str | bytes | None:
    """LibCST's ``evaluated_value`` without its recursion: an implicit concatenation nests
    one level per string, and a long SQL text can hold hundreds of them."""
    parts: list[cst.BaseString] = []
    current: cst.BaseString = node
    while isinstance(current, cst.ConcatenatedString):
        parts.append(current.left)
        current = current.right
    parts.append(current)
    values = [p.evaluated_value for p in parts if isinstance(p, cst.SimpleString)]
    if len(values) < len(parts):
        return None  # an f-string
    text = [v for v in values if isinstance(v, str)]
    if len(text) == len(values):
        return "".join(text)
    data = [v for v in values if isinstance(v, bytes)]
    return b"".join(data) if len(data) == len(values) else None


def _dotted_test(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Integer):
        return node.value
    return _dotted(node)


def _alias_name(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


def _names_in(node: cst.CSTNode) -> Iterable[str]:
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, cst.Tuple | cst.List):
        for el in node.elements:
            yield from _names_in(el.value)
    elif isinstance(node, cst.StarredElement):
        yield from _names_in(node.value)


def _scan(stmt: cst.CSTNode) -> tuple[set[str], dict[str, cst.FunctionDef]]:
    """Names a compound statement may bind at module level, and the functions it defines.

    Every Name counts (reads too), which only ever makes a value "unresolved"."""
    names: set[str] = set()
    functions: dict[str, cst.FunctionDef] = {}
    stack: list[cst.CSTNode] = [stmt]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name):
            names.add(node.value)
        elif isinstance(node, cst.FunctionDef | cst.ClassDef):
            names.add(node.name.value)
            if isinstance(node, cst.FunctionDef):
                functions[node.name.value] = node
            continue
        stack.extend(children(node))
    return names, functions


def _bound_names(stmt: cst.CSTNode) -> list[str]:
    """The revision variables a compound statement may bind, in REVISION_VARS order (not a
    set's: its order follows the hash seed, and so would the order of the refs)."""
    names = _scan(stmt)[0]
    return [name for name in REVISION_VARS if name in names]


def _defined_functions(stmt: cst.CSTNode) -> dict[str, cst.FunctionDef]:
    return _scan(stmt)[1]


def _keyword(stmt: cst.CSTNode) -> str:
    return {
        "If": "if",
        "Try": "try",
        "TryStar": "try",
        "For": "for",
        "While": "while",
        "With": "with",
        "Match": "match",
    }.get(type(stmt).__name__, type(stmt).__name__.lower())


def _mentions_globals(node: cst.CSTNode) -> bool:
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Call) and _dotted(current.func) in (
            "globals",
            "setattr",
            "vars",
        ):
            return True
        stack.extend(children(current))
    return False


#: Fields that hold only whitespace and punctuation: never worth descending into.
_SYNTAX_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "comma",
        "semicolon",
        "colon",
        "equal",
        "operator",
        "dot",
        "newline",
        "trailing_whitespace",
        "asynchronous",
        "star",
        "indent",
        "default_indent",
        "default_newline",
        "encoding",
        "has_trailing_newline",
        "whitespace",
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The child nodes of ``node`` in source order, without rebuilding anything (LibCST's
    visitors reconstruct every node they pass, which costs as much as parsing)."""
    kind = type(node)
    names = _FIELDS.get(kind)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(node)
            if f.name not in _SYNTAX_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[kind] = names
    found: list[cst.CSTNode] = []
    for name in names:
        value = getattr(node, name)
        kind = type(value)
        if kind is list or kind is tuple:
            found.extend(v for v in value if _is_node(type(v)))
        elif _is_node(kind):
            found.append(value)
    return found


_NODE_TYPES: dict[type, bool] = {}


def _is_node(kind: type) -> bool:
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


def _body_kind(func: cst.FunctionDef) -> Body:
    body = func.body
    statements: list[cst.CSTNode] = []
    if isinstance(body, cst.SimpleStatementSuite):
        statements.extend(body.body)
    else:
        for stmt in body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                statements.extend(stmt.body)
            else:
                statements.append(stmt)
    meaningful = [s for s in statements if not _is_trivial(s)]
    if not meaningful:
        return Body.EMPTY
    if isinstance(meaningful[0], cst.Raise):
        return Body.NOT_IMPLEMENTED
    return Body.CODE


def _is_trivial(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.Pass):
        return True
    if isinstance(stmt, cst.Expr):
        return isinstance(stmt.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis)
    return False
