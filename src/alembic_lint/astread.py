"""The facts of parse.read_migration from CPython's ast, without importing LibCST."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

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
    Status,
    normalise,
    pack_spans,
)
from alembic_lint.positions import Locator, is_sqlalchemy
from alembic_lint.source import DecodeProblem, decode, digest
from alembic_lint.suppressions import _MAY_SUPPRESS, suppressions

__all__ = ["read_migration_fast"]

# The LibCST reader (parse/extract.py) is the reference: every choice below mirrors it,
# and tests/test_astread.py checks the two agree field for field.

NOT_LITERAL = ...
_FALSY_TESTS = {"TYPE_CHECKING", "typing.TYPE_CHECKING", "False", "0", "None"}
_TRUTHY_TESTS = {"True", "1"}
_SQL_TEXT_FUNCS = {"text", "sa.text", "sqlalchemy.text", "sql.text", "sqlalchemy.sql.text"}
_UPDOWN = ("upgrade", "downgrade")
_Def = ast.FunctionDef | ast.AsyncFunctionDef
_OPAQUE = _Def | ast.ClassDef | ast.Match  # their statements have no locator of their own
_COMPOUND = (
    ast.If | ast.For | ast.AsyncFor | ast.While | ast.With | ast.AsyncWith | ast.Try | ast.TryStar
) | ast.Match
#: LibCST's class names where ast's differ: they show in reasons ("a UnaryOperation
#: expression", "assigned inside a `del` block").
_CST_NAMES = {
    "UnaryOp": "UnaryOperation",
    "BoolOp": "BooleanOperation",
    "Compare": "Comparison",
    "YieldFrom": "Yield",
    "Delete": "Del",
    "AsyncFor": "For",
    "AsyncWith": "With",
    "TryStar": "Try",
}
#: One string token (LibCST's SimpleString or FormattedString), not an implicit concatenation.
_ESCAPE = r"\\(?:\r\n|.)"  # a backslash escapes one character, or a CRLF line break
_ONE_STRING = re.compile(
    rf"""[rRbBuUfF]{{0,2}}(?:'''(?:[^\\']|{_ESCAPE}|'(?!''))*'''"""
    rf"""|\"\"\"(?:[^\\"]|{_ESCAPE}|"(?!""))*\"\"\""""
    rf"""|'(?:[^\\'\n]|{_ESCAPE})*'|"(?:[^\\"\n]|{_ESCAPE})*")""",
    re.DOTALL,
)


def read_migration_fast(path: str, data: bytes) -> Migration | None:
    """Facts of one migration from CPython's ast, with spans; None when ast cannot parse the
    file (the caller then uses the LibCST reader, which also handles syntax errors).

    ``spans`` is None (resolved later, as for the LibCST reader's fast path) in the rare
    file whose locators CPython's ast cannot follow: only LibCST can place those facts.
    """
    try:
        text = decode(data).text
        tree = ast.parse(text)
    except (DecodeProblem, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    try:
        migration = _Reader(tree, text).migration(path, Path(path).name)
    except RecursionError:
        return None  # a deeply nested expression: left to the LibCST reader
    migration = replace(migration, digest=digest(data))
    if _MAY_SUPPRESS.search(data):
        noqa, file_ignores = suppressions(text)
        migration = replace(migration, noqa=noqa, file_ignores=file_ignores)
    return migration


class _Unresolved(Exception):
    """Not a literal; the argument says why, in the LibCST reader's words."""


class _Reader:
    """One pass over a module; allocates a ref (and its locator) for every fact it records,
    in the order the LibCST extractor does."""

    def __init__(self, tree: ast.Module, text: str) -> None:
        self.tree = tree
        self.text = text
        self.lines = positions._NEWLINE.split(text)  # as positions.resolve splits them
        self.offsets: list[int] = []  # where each line starts in ``text``, when needed
        self.locators: list[Locator] = []
        self.statements: dict[ast.AST, Locator] = {}
        _statement_paths(tree.body, ("body",), self.statements)
        self.op_names: set[str] = {"op"}
        self.op_modules: set[str] = set()  # names bound to the alembic package
        self.bindings: dict[str, Binding] = {}
        self.defs: dict[str, _Def] = {}

    def ref(self, locator: Locator) -> int:
        self.locators.append(locator)
        return len(self.locators) - 1

    def where(self, statement: ast.AST) -> Locator:
        return self.statements.get(statement, ("unknown",))

    def migration(self, path: str, filename: str) -> Migration:
        self.walk_module(self.tree.body)
        bindings, defs = self.bindings, self.defs
        if "__getattr__" in defs:
            for name in REVISION_VARS:
                if name not in bindings:
                    reason = "the module defines __getattr__"
                    bindings[name] = Binding(name, Status.UNRESOLVED, reason=reason)
        header, message = self.header()
        functions: list[Function] = []
        ops: list[OpCall] = []
        for name in sorted(defs, key=_def_order):
            role = _role(name)
            if role is None:
                continue
            func = defs[name]
            if name in _UPDOWN:
                functions.append(self.function(name, func))
            names = set(self.op_names)
            names.update(a.arg for a in func.args.args if a.arg == "op")
            ops.extend(_Ops(self, role, names, self.where(func)).walk_body(func))
        try:  # what positions.with_spans makes of the LibCST reader's locators
            resolver = positions._Resolver(self.tree, self.lines)
            spans: tuple[int, ...] | None = pack_spans(map(resolver.span, self.locators))
        except positions.NoMatch:
            spans = None
        var = {n: bindings.get(n, Binding(n, Status.ABSENT)) for n in REVISION_VARS}
        return Migration(
            path=path,
            filename=filename,
            revision=var["revision"],
            down_revision=var["down_revision"],
            branch_labels=var["branch_labels"],
            depends_on=var["depends_on"],
            header=header,
            functions=tuple(functions),
            ops=tuple(ops),
            message=message,
            spans=spans,
            locators=positions.encode_locators(self.locators),
        )

    # -- module level

    def walk_module(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.If):
                test = self.test_text(stmt.test)
                if test in _FALSY_TESTS:
                    self.walk_module(stmt.orelse)
                    continue
                if test in _TRUTHY_TESTS:
                    self.walk_module(stmt.body)
                    continue
            if isinstance(stmt, _COMPOUND):
                # What they bind depends on running them.
                names, functions = self.scan(stmt)
                kind = type(stmt).__name__
                keyword = _CST_NAMES.get(kind, kind).lower()
                for name in REVISION_VARS:  # in this order, as the LibCST reader's
                    if name in names:
                        self.rebind(name, f"assigned inside a `{keyword}` block", stmt)
                self.defs.update(functions)
            elif isinstance(stmt, _Def):
                self.defs[stmt.name] = stmt
                self.rebind(stmt.name, "a function definition", stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.rebind(stmt.name, "a class definition", stmt)
            else:
                self.small(stmt)

    def scan(self, stmt: ast.AST) -> tuple[set[str], dict[str, _Def]]:
        """LibCST's _scan: every name in the statement, and the functions it defines (the
        first one of a name in the source wins, as there)."""
        names: set[str] = set()
        functions: dict[str, _Def] = {}
        stack: list[ast.AST | str] = [stmt]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                names.add(node)
            elif isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Constant):
                if node.value is None or node.value is True or node.value is False:
                    names.add(str(node.value))  # a Name in LibCST
            elif isinstance(node, _Def | ast.ClassDef):
                names.add(node.name)
                if isinstance(node, _Def):
                    functions[node.name] = node
            else:
                stack.extend(_kids(node))
        return names, functions

    def rebind(self, name: str, reason: str, node: ast.AST) -> None:
        if name in REVISION_VARS:
            ref = self.ref((*self.where(node), "stmt"))
            self.bindings[name] = Binding(name, Status.UNRESOLVED, reason=reason, ref=ref)

    def small(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            targets = stmt.targets
            if len(targets) == 1 and isinstance(targets[0], ast.Tuple | ast.List):
                self.unpack(stmt, targets[0])
                return
            for target in targets:
                if isinstance(target, ast.Name) and target.id in REVISION_VARS:
                    self.bindings[target.id] = self.binding(target.id, stmt.value, stmt, ("value",))
                elif isinstance(target, ast.Tuple | ast.List):
                    for name in _names_in(target):
                        self.rebind(name, "tuple unpacking", stmt)
                elif _mentions_globals(target):
                    for name in REVISION_VARS:
                        self.rebind(name, "a `globals()` manipulation", stmt)
        elif isinstance(stmt, ast.AnnAssign):
            target = stmt.target
            if (
                stmt.value is not None
                and isinstance(target, ast.Name)
                and target.id in REVISION_VARS
            ):
                self.bindings[target.id] = self.binding(target.id, stmt.value, stmt, ("value",))
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                self.rebind(stmt.target.id, "an augmented assignment", stmt)
        elif isinstance(stmt, ast.Delete):
            for target in stmt.targets:
                for name in _names_in(target):
                    if name in REVISION_VARS:
                        self.bindings.pop(name, None)
        elif isinstance(stmt, ast.ImportFrom):
            module = stmt.module  # LibCST's too leaves out the leading dots
            if stmt.names[0].name == "*":
                for name in REVISION_VARS:
                    self.rebind(name, f"`from {module} import *`", stmt)
                return
            for alias in stmt.names:
                bound = alias.asname or alias.name
                if module == "alembic" and alias.name == "op":
                    self.op_names.add(bound)
                self.rebind(bound, f"imported from `{module or '.'}`", stmt)
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                root = alias.name.split(".")[0]
                if alias.name == "alembic.op" and alias.asname:
                    self.op_names.add(alias.asname)
                elif root == "alembic" and not alias.asname:
                    self.op_modules.add("alembic")
                self.rebind(alias.asname or root, "an import", stmt)
        elif isinstance(stmt, ast.Expr) and _mentions_globals(stmt.value):
            for name in REVISION_VARS:
                self.rebind(name, "a `globals()` manipulation", stmt)

    def unpack(self, stmt: ast.Assign, target: ast.Tuple | ast.List) -> None:
        # A starred or nested target: "tuple unpacking" below, as in the LibCST reader.
        flat = not any(isinstance(el, ast.Starred | ast.Tuple | ast.List) for el in target.elts)
        names = [el.id if isinstance(el, ast.Name) else None for el in target.elts]
        value = stmt.value
        if (
            flat
            and isinstance(value, ast.Tuple | ast.List)
            and len(value.elts) == len(names)
            and not any(isinstance(el, ast.Starred) for el in value.elts)
        ):
            for index, (name, el) in enumerate(zip(names, value.elts, strict=True)):
                if name is not None and name in REVISION_VARS:
                    self.bindings[name] = self.binding(name, el, stmt, ("value", "elts", index))
            return
        for name in _names_in(target):
            self.rebind(name, "tuple unpacking", stmt)

    def binding(self, name: str, value: ast.expr, stmt: ast.stmt, path: Locator) -> Binding:
        where = (*self.where(stmt), *path)
        ref = self.ref((*self.where(stmt), "stmt"))
        try:
            literal, count = _literal(value)
        except _Unresolved as exc:
            return Binding(name, Status.UNRESOLVED, reason=exc.args[0], ref=ref)
        ids = normalise(name, literal)
        if name != "revision" and isinstance(value, ast.Set):
            # Source order, each id where it first appears (a set's order follows the hash
            # seed): the LibCST reader's choice.
            first: dict[object, int] = {}
            for index, el in enumerate(value.elts):
                first.setdefault(_literal(el)[0], index)
            elements = tuple(
                Element(v, self.ref((*where, "elts", i, "expr"))) for v, i in first.items()
            )
        elif name == "revision" or count != len(ids):
            elements = tuple(Element(v, self.ref((*where, "expr"))) for v in ids)
        elif isinstance(value, ast.Tuple | ast.List | ast.Set):
            elements = tuple(
                Element(v, self.ref((*where, "elts", i, "expr"))) for i, v in enumerate(ids)
            )
        else:
            elements = tuple(Element(v, self.ref((*where, "expr"))) for v in ids)
        return Binding(name, Status.LITERAL, literal, elements, ref=ref)

    # -- source text

    def test_text(self, node: ast.expr) -> str | None:
        """LibCST's _dotted_test: an integer's own text (`0x0` is not `0`), else the name."""
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return self.raw(node)
        return _dotted(node)

    def raw(self, node: ast.expr) -> str:
        """The node's source text, line breaks as written."""
        return self.source(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)

    def source(self, line: int, col: int, end_line: int | None, end_col: int | None) -> str:
        """The text between two ast positions (ast counts columns in UTF-8 bytes)."""
        end_line, end_col = end_line or line, end_col or 0
        start = _chars(self.lines[line - 1], col)
        end = _chars(self.lines[end_line - 1], end_col)
        if line == end_line:
            return self.lines[line - 1][start:end]
        if not self.offsets:
            self.offsets = [0, *(m.end() for m in positions._NEWLINE.finditer(self.text))]
        return self.text[self.offsets[line - 1] + start : self.offsets[end_line - 1] + end]

    # -- docstring header

    def header(self) -> tuple[Header, str]:
        body = self.tree.body
        if not body or not isinstance(body[0], ast.Expr):
            return Header(), ""
        first = body[0]
        node = first.value
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            return Header(), ""
        raw = self.raw(node)
        if not _ONE_STRING.fullmatch(raw):
            return Header(), ""  # implicit concatenation: LibCST's reader looks no further
        message = node.value.strip().split("\n", 1)[0].strip()
        raw_lines = raw.split("\n")
        found: dict[str, tuple[str | None, int]] = {}
        for index, line in enumerate(raw_lines):
            for key in ("Revision ID:", "Revises:"):
                col = line.find(key)
                if col == -1 or key in found or line[:col].strip(" \t'\"rRuUbB") != "":
                    continue
                value = line[col + len(key) :].strip()
                if index == len(raw_lines) - 1:
                    value = value.rstrip("'\"").strip()
                tag = f"doc:{index}:{col}:{len(line.rstrip()) - col}"
                found[key] = (value, self.ref((*self.where(first), "value", tag)))
        rid, rid_ref = found.get("Revision ID:", (None, -1))
        revises, revises_ref = found.get("Revises:", (None, -1))
        return Header(rid, rid_ref, revises, revises_ref), message

    # -- functions

    def function(self, name: str, func: _Def) -> Function:
        params = tuple(a.arg for a in func.args.args) + tuple(a.arg for a in func.args.kwonlyargs)
        ref = self.ref((*self.where(func), "def"))
        meaningful = [s for s in func.body if not self.is_trivial(s)]
        if not meaningful:
            body = Body.EMPTY
        elif isinstance(meaningful[0], ast.Raise):
            body = Body.NOT_IMPLEMENTED
        else:
            body = Body.CODE
        return Function(name, body, params, ref)

    def is_trivial(self, stmt: ast.stmt) -> bool:
        if isinstance(stmt, ast.Pass):
            return True
        if not isinstance(stmt, ast.Expr):
            return False
        value = stmt.value
        if isinstance(value, ast.Constant):
            return isinstance(value.value, str | bytes) or value.value is Ellipsis
        # `"a" f"{b}"` is a ConcatenatedString (trivial) in LibCST, `f"{b}"` is not.
        return isinstance(value, ast.JoinedStr) and not _ONE_STRING.fullmatch(self.raw(value))


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

    def expression(self, node: ast.AST) -> None:
        """Below a statement only calls count (an expression holds no statement)."""
        kind = type(node)
        if kind is ast.Call:
            assert isinstance(node, ast.Call)
            self.call(node)
            self.seen_calls += 1
            self.own_calls += 1
            if is_sqlalchemy(_dotted(node.func)):
                return  # sa.Column(...) holds no operations; positions.py skips it too
        elif kind is ast.Name or kind is ast.Constant:
            return
        for child in _kids(node):
            if not isinstance(child, str):
                self.expression(child)

    def op_call_name(self, call: ast.Call) -> str | None:
        func = call.func
        if not isinstance(func, ast.Attribute):
            return None
        owner = _dotted(func.value)
        if owner in self.op_names or (
            owner is not None and owner.endswith(".op") and owner[:-3] in self.reader.op_modules
        ):
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


# --------------------------------------------------------------------------- helpers


def _statement_paths(body: list[ast.stmt], prefix: Locator, out: dict[ast.AST, Locator]) -> None:
    """parse.nodes._statement_locators on ast: the blocks of if/for/while/with/try, not of
    def/class/match."""
    for index, stmt in enumerate(body):
        here = (*prefix, index)
        out[stmt] = here
        if isinstance(stmt, ast.If | ast.For | ast.AsyncFor | ast.While):
            _statement_paths(stmt.body, (*here, "body"), out)
            _statement_paths(stmt.orelse, (*here, "orelse"), out)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            _statement_paths(stmt.body, (*here, "body"), out)
        elif isinstance(stmt, ast.Try | ast.TryStar):
            _statement_paths(stmt.body, (*here, "body"), out)
            for number, handler in enumerate(stmt.handlers):
                _statement_paths(handler.body, (*here, "handlers", number, "body"), out)
            _statement_paths(stmt.orelse, (*here, "orelse"), out)
            _statement_paths(stmt.finalbody, (*here, "finalbody"), out)


def _literal(node: ast.expr) -> tuple[object, int]:
    """A literal's value and how many element nodes LibCST's _literal returns with it."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, complex):
            raise _Unresolved("a Imaginary expression")
        if value is Ellipsis:
            raise _Unresolved("a Ellipsis expression")
        return value, 1
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        items: list[object] = []
        for el in node.elts:
            if isinstance(el, ast.Starred):
                raise _Unresolved("a starred expression")
            items.append(_literal(el)[0])
        if isinstance(node, ast.Tuple):
            return tuple(items), len(items)
        if isinstance(node, ast.List):
            return items, len(items)
        try:
            return frozenset(items), len(items)
        except TypeError:
            raise _Unresolved("a set of unhashable values") from None
    raise _Unresolved(_describe(node))


def _describe(node: ast.expr) -> str:
    dotted = _dotted(node)
    if dotted is not None:
        return f"the name `{dotted}`"
    if isinstance(node, ast.Call):
        return "a function call"
    if isinstance(node, ast.BinOp):
        return "a computed expression"
    if isinstance(node, ast.JoinedStr):
        return "an f-string"
    name = type(node).__name__
    return f"a {_CST_NAMES.get(name, name)} expression"


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return None if base is None else f"{base}.{node.attr}"
    if isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool)):
        return str(node.value)  # names in LibCST
    return None


def _sql_text(call: ast.Call) -> str | None:
    positional = [a for a in call.args if not isinstance(a, ast.Starred)]
    if positional:
        value = positional[0]
    else:
        sql_arg = next((k for k in call.keywords if k.arg == "sqltext"), None)
        if sql_arg is None:
            return None
        value = sql_arg.value
    if isinstance(value, ast.Call) and _dotted(value.func) in _SQL_TEXT_FUNCS:
        args = _arguments(value)
        if args:
            value = args[0].value if isinstance(args[0], ast.Starred | ast.keyword) else args[0]
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _names_in(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for el in node.elts:
            yield from _names_in(el)
    elif isinstance(node, ast.Starred):
        yield from _names_in(node.value)


def _mentions_globals(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and _dotted(n.func) in ("globals", "setattr", "vars")
        for n in ast.walk(node)
    )


def _def_order(name: str) -> tuple[int, str]:
    return (0 if name == "upgrade" else 1 if name == "downgrade" else 2, name)


def _role(name: str) -> str | None:
    for role in _UPDOWN:
        if name == role or name.startswith(role + "_"):
            return role
    return None


def _chars(line: str, byte_offset: int) -> int:
    if line.isascii():
        return byte_offset
    return len(line.encode("utf-8")[:byte_offset].decode("utf-8", "replace"))


# --------------------------------------------------------------------------- LibCST's tree shape


def _arguments(call: ast.Call) -> list[ast.expr | ast.keyword]:
    """Arguments in source order, as LibCST keeps them (ast lists `*a` of `f(k=1, *a)` first)."""
    merged: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
    if call.args and call.keywords:
        merged.sort(key=lambda a: (a.lineno, a.col_offset))
    return merged


def _parameters(node: ast.arguments) -> list[ast.AST | str]:
    """LibCST's Parameters order: params, *arg, keyword-only, **kwarg, then positional-only;
    each one's name, annotation and default."""
    positional = [*node.posonlyargs, *node.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(node.defaults))
    defaults += node.defaults
    pairs = list(zip(positional, defaults, strict=True))
    count = len(node.posonlyargs)
    ordered = [*pairs[count:], (node.vararg, None)]
    ordered += [*zip(node.kwonlyargs, node.kw_defaults, strict=True), (node.kwarg, None)]
    out: list[ast.AST | str] = []
    for arg, default in [*ordered, *pairs[:count]]:
        if arg is not None:
            out.extend(x for x in (arg.arg, arg.annotation, default) if x is not None)
    return out


def _pairs(keys: Sequence[ast.AST | str | None], values: Sequence[ast.AST]) -> list[ast.AST | str]:
    return [x for pair in zip(keys, values, strict=True) for x in pair if x is not None]


def _some(*nodes: ast.AST | str | None) -> list[ast.AST | str]:
    return [n for n in nodes if n is not None]


#: Nodes whose children LibCST holds in another order than ast, or that hold names (a
#: Name node in LibCST, a str in ast).
_SHAPES: dict[type, Callable[[Any], list[ast.AST | str]]] = {
    ast.Attribute: lambda n: [n.value, n.attr],
    ast.keyword: lambda n: _some(n.value, n.arg),
    ast.Call: lambda n: [n.func, *_arguments(n)],
    ast.Dict: lambda n: _pairs(n.keys, n.values),
    ast.ExceptHandler: lambda n: [*n.body, *_some(n.type, n.name)],
    ast.ClassDef: lambda n: [n.name, *n.body, *n.bases, *n.keywords, *n.decorator_list],
    ast.FunctionDef: lambda n: [n.name, n.args, *n.body, *n.decorator_list, *_some(n.returns)],
    ast.AsyncFunctionDef: lambda n: _SHAPES[ast.FunctionDef](n),
    ast.arguments: _parameters,
    ast.alias: lambda n: [] if n.name == "*" else [*n.name.split("."), *_some(n.asname)],
    ast.ImportFrom: lambda n: [*(n.module.split(".") if n.module else []), *n.names],
    ast.match_case: lambda n: [n.pattern, *n.body, *_some(n.guard)],
    ast.MatchAs: lambda n: _some(n.pattern, n.name),
    ast.MatchStar: lambda n: _some(n.name),
    ast.MatchMapping: lambda n: [*_pairs(n.keys, n.patterns), *_some(n.rest)],
    ast.MatchClass: lambda n: [n.cls, *n.patterns, *_pairs(n.kwd_attrs, n.kwd_patterns)],
    ast.MatchSingleton: lambda n: [str(n.value)],
}
_FIELDS: dict[type, tuple[str, ...]] = {}


def _kids(node: ast.AST) -> list[ast.AST | str]:
    """The children of ``node`` in the order LibCST's tree holds them; a ``str`` is a name
    that is a Name node there (``a.b`` holds the name ``b``)."""
    kind = type(node)
    shape = _SHAPES.get(kind)
    if shape is not None:
        return shape(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = tuple(f for f in kind._fields if f not in ("ctx", "op", "ops"))
    out: list[ast.AST | str] = []
    for field in fields:
        value = getattr(node, field)
        if type(value) is list:
            out.extend(value)  # Global and Nonlocal hold names
        elif isinstance(value, ast.AST):
            out.append(value)
    return out
