"""The facts of parse.read_migration from CPython's ast, without importing LibCST."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from alembic_lint import flow, inputs, positions
from alembic_lint.astread.nodes import (
    _COMPOUND,
    _CST_NAMES,
    _ONE_STRING,
    _chars,
    _Def,
    _dotted,
    _imported_names,
    _kids,
    _literal,
    _mentions_globals,
    _names_in,
    _small_binds,
    _statement_paths,
    _Unresolved,
)
from alembic_lint.astread.ops import _Ops
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
from alembic_lint.positions import Locator
from alembic_lint.reading import (
    FALSY_TESTS,
    TRUTHY_TESTS,
    UPDOWN,
    def_order,
    effective_body,
    file_dialects,
    from_import_dialects,
    function_role,
    imported_dialect,
    per_database,
)
from alembic_lint.schema.changes import changes_of
from alembic_lint.schema.shared import shared
from alembic_lint.source import DecodeProblem, decode, digest
from alembic_lint.suppressions import _MAY_SUPPRESS, suppressions

__all__ = ["read_migration_fast", "read_tree"]


def read_migration_fast(path: str, data: bytes) -> Migration | None:
    """Facts of one migration from CPython's ast, with spans; None when ast cannot parse the
    file (the caller then uses the LibCST reader, which also handles syntax errors).

    ``spans`` is None (resolved later, as for the LibCST reader's fast path) in the rare
    file whose locators CPython's ast cannot follow: only LibCST can place those facts.
    """
    if len(data) > inputs.MAX_MIGRATION_BYTES:
        return None  # the LibCST reader's entry reports it as too large to analyse
    try:
        text = decode(data).text
        tree = ast.parse(text)
    except (DecodeProblem, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return read_tree(path, data, text, tree)


def read_tree(path: str, data: bytes, text: str, tree: ast.Module) -> Migration | None:
    """:func:`read_migration_fast` on a tree already built from ``data`` (decoded: ``text``);
    None only should a walk still recurse too deeply (it has no recursion on expressions)."""
    try:
        migration = _Reader(tree, text).migration(path, Path(path).name)
    except RecursionError:
        return None
    migration = replace(migration, digest=digest(data))
    if _MAY_SUPPRESS.search(data):
        noqa, file_ignores = suppressions(text)
        migration = replace(migration, noqa=noqa, file_ignores=file_ignores)
    return migration


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
        self.dialect_imports: set[str] = set()  # see model.Migration.dialects
        self.bindings: dict[str, Binding] = {}
        self.defs: dict[str, _Def] = {}
        # Not `ModuleScope[...](...)`: typing's subscripted call costs a few microseconds.
        self.scope: flow.ModuleScope[_Def] = flow.ModuleScope(
            lambda: tree, lambda func: isinstance(func, ast.AsyncFunctionDef), lambda: text
        )
        self.helpers = self.scope.defs

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
        for name in sorted(defs, key=def_order):
            role = function_role(name)
            if role is None:
                continue
            func = defs[name]
            if name in UPDOWN:
                functions.append(self.function(name, func))
            entry = flow.Entry(role, func)
            _Ops(self, entry, self.op_names_in(func), self.where(func), func, ()).walk_body()
            ops.extend(entry.calls)
        try:  # what positions.with_spans makes of the LibCST reader's locators
            resolver = positions._Resolver(self.tree, self.lines)
            spans: Sequence[int] | None = pack_spans(map(resolver.span, self.locators))
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
            changes=shared(changes_of(ops, functions, per_database=per_database(defs))),
            dialects=file_dialects(self.dialect_imports, ops),
            spans=spans,
            locators=positions.encode_locators(self.locators),
        )

    # -- module level

    def walk_module(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            if isinstance(stmt, ast.If):
                test = self.test_text(stmt.test)
                if test in FALSY_TESTS:
                    self.walk_module(stmt.orelse)
                    continue
                if test in TRUTHY_TESTS:
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
                self.helpers.update(functions)
            elif isinstance(stmt, _Def):
                self.defs[stmt.name] = stmt
                self.helpers[stmt.name] = stmt
                self.rebind(stmt.name, "a function definition", stmt)
            elif isinstance(stmt, ast.ClassDef):
                self.helpers.pop(stmt.name, None)
                self.rebind(stmt.name, "a class definition", stmt)
            else:
                self.small(stmt)
                if self.helpers:  # nearly always empty here: imports and ids come first
                    for name in _small_binds(stmt):
                        self.helpers.pop(name, None)

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
            self.dialect_imports |= from_import_dialects(module, _imported_names(stmt))
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
                dialect = imported_dialect(alias.name)
                if dialect is not None:
                    self.dialect_imports.add(dialect)
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
        return Function(name, effective_body(func, self.actions), params, ref)

    def actions(self, func: _Def) -> Iterator[_Def | Body]:
        """See reading.effective_body (and the LibCST reader's _actions)."""
        for stmt in func.body:
            if self.is_trivial(stmt):
                continue
            if isinstance(stmt, ast.Raise):
                yield Body.NOT_IMPLEMENTED
                continue
            helper = None
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                called = stmt.value.func
                if isinstance(called, ast.Name):
                    helper = self.scope.reached(called.id, self.where(func))
            yield Body.CODE if helper is None else helper

    def op_names_in(self, func: _Def) -> set[str]:
        names = set(self.op_names)
        names.update(a.arg for a in func.args.args if a.arg == "op")
        return names

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
