"""The LibCST walk: a parsed module -> the facts of one migration, with locators."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence

import libcst as cst

from alembic_lint import flow, positions
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
from alembic_lint.parse.codegen import _Positions
from alembic_lint.parse.nodes import (
    PlaceOf,
    _alias_name,
    _anchor,
    _bound_names,
    _called_name,
    _def_span,
    _defined_functions,
    _dotted,
    _dotted_test,
    _imported_names,
    _keyword,
    _literal,
    _meaningful,
    _mentions_globals,
    _names_in,
    _small_binds,
    _statement_locators,
    _Unresolved,
)
from alembic_lint.parse.ops import _OpCollector
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


def _parse_ast(text: str) -> ast.Module | None:
    """CPython's ast of the module (for flow.py), None if it has none."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _is_async(func: cst.FunctionDef) -> bool:
    return func.asynchronous is not None


class _Extractor:
    """One pass over a module; allocates a ref for every fact it records."""

    def __init__(
        self,
        module: cst.Module,
        positions: bool,
        text: str | None = None,
        tree: ast.Module | None = None,
    ) -> None:
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
        # Not `ModuleScope[...](...)`: typing's subscripted call costs a few microseconds.
        self.scope: flow.ModuleScope[cst.FunctionDef] = flow.ModuleScope(
            # CPython's tree of the file when the caller has it (it judged the file first).
            lambda: tree if tree is not None else _parse_ast(module.code if text is None else text),
            _is_async,
            lambda: module.code if text is None else text,
        )
        self.helpers = self.scope.defs
        self.dialect_imports: set[str] = set()  # see model.Migration.dialects
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

    def _spans(self) -> Sequence[int] | None:
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
        for name in sorted(defs, key=lambda n: def_order(n)):
            role = function_role(name)
            if role is None:
                continue
            func = defs[name]
            if name in UPDOWN:
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
            changes=shared(changes_of(ops, functions, per_database=per_database(defs))),
            dialects=file_dialects(self.dialect_imports, ops),
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
                    self._unbind(small)
            elif isinstance(stmt, cst.BaseSmallStatement):
                # A one-line block (`if True: revision = "a"`) holds its statements directly.
                self._small(stmt, bindings, unconditional)
                self._unbind(stmt)
            elif isinstance(stmt, cst.If) and _dotted_test(stmt.test) in FALSY_TESTS:
                if stmt.orelse is not None:
                    self._walk_else(stmt.orelse, bindings, defs, unconditional)
            elif isinstance(stmt, cst.If) and _dotted_test(stmt.test) in TRUTHY_TESTS:
                self._walk_module(stmt.body.body, bindings, defs, unconditional=unconditional)
            elif isinstance(stmt, cst.FunctionDef):
                name = stmt.name.value
                if unconditional:
                    defs[name] = stmt
                    self.helpers[name] = stmt
                self._rebind(name, bindings, "a function definition", stmt)
            elif isinstance(stmt, cst.ClassDef):
                self.helpers.pop(stmt.name.value, None)
                self._rebind(stmt.name.value, bindings, "a class definition", stmt)
            else:
                # if/try/for/while/with/match: whatever they bind depends on running them.
                for name in _bound_names(stmt):
                    self._rebind(
                        name, bindings, f"assigned inside a `{_keyword(stmt)}` block", stmt
                    )
                if unconditional:
                    # A def under try/if is most likely the one that runs; keep it.
                    functions = _defined_functions(stmt)
                    defs.update(functions)
                    self.helpers.update(functions)

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

    def _unbind(self, small: cst.BaseSmallStatement) -> None:
        if self.helpers:  # nearly always empty here: imports and ids come first
            for name in _small_binds(small):
                self.helpers.pop(name, None)

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
                dialect = imported_dialect(dotted)
                if dialect is not None:
                    self.dialect_imports.add(dialect)
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
        self.dialect_imports |= from_import_dialects(module, _imported_names(small))
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
        return Function(name, effective_body(func, self._actions), params, ref)

    def _actions(self, func: cst.FunctionDef) -> Iterator[cst.FunctionDef | Body]:
        """See reading.effective_body."""
        for stmt in _meaningful(func):
            if isinstance(stmt, cst.Raise):
                yield Body.NOT_IMPLEMENTED
                continue
            name = _called_name(stmt)
            helper = None if name is None else self.scope.reached(name, self.where(func))
            yield Body.CODE if helper is None else helper

    def _ops(self, role: str, func: cst.FunctionDef) -> list[OpCall]:
        entry = flow.Entry(role, func)
        _OpCollector(self, entry, self.op_names_in(func), self.where(func), func, ()).run()
        return entry.calls

    # -- what the ast tells (see flow.py)

    def op_names_in(self, func: cst.FunctionDef) -> set[str]:
        names = set(self.op_names)
        names.update(p.name.value for p in func.params.params if p.name.value == "op")
        return names
