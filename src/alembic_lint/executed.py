"""What an ``op.execute()`` argument that is not a literal runs, read from CPython's ast by
both fact readers alike (as flow.py): its text through names and string functions, or a
template of the literal pieces around what only running the file would tell."""

from __future__ import annotations

import ast
import string
import textwrap
from collections.abc import Iterator

from alembic_lint.model import OPAQUE, CallExpr, Expr, Name, Opaque
from alembic_lint.positions import Locator, NoMatch, _dotted, locate
from alembic_lint.reading import SQL_TEXT_FUNCS

_Def = ast.FunctionDef | ast.AsyncFunctionDef
#: Literal pieces and holes (OPAQUE), in order.
Template = tuple[str | Opaque, ...]

#: Methods of SQLAlchemy's Insert/Update/Delete that build the same kind of statement.
_DML_BUILDERS = frozenset(
    {
        "where",
        "values",
        "returning",
        "from_select",
        "inline",
        "ordered_values",
        "prefix_with",
        "suffix_with",
        "with_dialect_options",
        "execution_options",
        "filter",
        "filter_by",
        "return_defaults",
        "with_hint",
        "params",
    }
)
#: ``<table>.insert()`` and ``sa.insert(<table>)``: the statement each compiles to.
_DML = {"insert": "INSERT", "update": "UPDATE", "delete": "DELETE"}
_SQLALCHEMY = frozenset({"sa", "sqlalchemy", "sa.sql", "sqlalchemy.sql"})
_SQLALCHEMY |= {f"{m}.expression" for m in _SQLALCHEMY}
#: Methods of a ``text()`` clause that leave its statement as it is.
_TEXT_METHODS = frozenset({"bindparams", "execution_options", "columns"})
#: How deep names and operators may nest (``A = B``, ``B = "..." + C``...).
_DEPTH = 40
#: ``%`` conversions (printf-style), after the ``%``.
_PERCENT = "diouxXeEfFgGcrsa"


class Scopes:
    """What the names of one module are bound to, worked out once per module and per
    function (a migration may hold hundreds of operations)."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._globals: dict[str, ast.expr | None] | None = None
        self._locals: dict[int, dict[str, ast.expr | None]] = {}
        self._nested: dict[int, set[int]] = {}

    def module(self) -> dict[str, ast.expr | None]:
        if self._globals is None:
            self._globals = _module_bindings(self.tree)
        return self._globals

    def function(self, func: _Def) -> dict[str, ast.expr | None]:
        found = self._locals.get(id(func))
        if found is None:
            found = self._locals[id(func)] = _single_bindings(func.body, function=func)
        return found

    def nested(self, func: _Def, call: ast.Call) -> bool:
        """Whether ``call`` is inside a lambda, comprehension, def or class in ``func``
        (or not in it at all): names there may be that scope's own."""
        calls = self._nested.get(id(func))
        if calls is None:
            calls = self._nested[id(func)] = _nested_calls(func)
        return id(call) in calls or not _within(func, call)

    def place(self, function: Locator, call: Locator) -> tuple[_Def, ast.Call] | None:
        try:
            node = locate(self.tree, call)
            func = locate(self.tree, function)
        except NoMatch:
            return None
        if not isinstance(node, ast.Call) or not isinstance(func, _Def):
            return None
        return func, node


def statement(scopes: Scopes, function: Locator, call: Locator, own: bool) -> Expr:
    """What the ``op.execute()`` call at ``call`` (in the function at ``function``) runs:
    its text when every piece is known, a tuple of literal pieces and OPAQUE holes when
    some are not, None when it is not SQL text or a statement built by SQLAlchemy.
    ``own``: the call is in the function's own scope (names may be its locals)."""
    placed = scopes.place(function, call)
    if placed is None:
        return None
    func, node = placed
    argument = _argument(node)
    if argument is None:
        return None
    # In a lambda, comprehension or nested def, names may be its own: none is followed.
    names = own and not scopes.nested(func, node)
    found = _Reader(scopes, func, names=names).template(argument, 0)
    if found is None:
        return None
    return _text(found) if _exact(found) else found


def _argument(call: ast.Call) -> ast.expr | None:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
        k.arg is None for k in call.keywords
    ):
        return None
    if call.args:
        return call.args[0]
    if not call.keywords and isinstance(call.func, ast.Attribute) and call.func.attr == "execute":
        # `Model.update(...).where(...).execute()`: a query object runs itself.
        return call.func.value
    return next((k.value for k in call.keywords if k.arg == "sqltext"), None)


def _nested_calls(func: _Def) -> set[int]:
    """The ids of the calls inside a lambda, comprehension, def or class in ``func``."""
    found: set[int] = set()
    stack: list[tuple[ast.AST, bool]] = [(s, False) for s in func.body]
    while stack:
        node, inner = stack.pop()
        if inner and isinstance(node, ast.Call):
            found.add(id(node))
        scoped = isinstance(
            node,
            ast.Lambda
            | ast.ListComp
            | ast.SetComp
            | ast.DictComp
            | ast.GeneratorExp
            | _Def
            | ast.ClassDef,
        )
        stack.extend((child, inner or scoped) for child in ast.iter_child_nodes(node))
    return found


def _within(func: _Def, call: ast.Call) -> bool:
    """Whether ``call`` is in ``func``'s body (by position: a locator leads nowhere else)."""
    last = func.body[-1]
    start = (func.body[0].lineno, func.body[0].col_offset)
    end = (last.end_lineno or last.lineno, last.end_col_offset or 0)
    return start <= (call.lineno, call.col_offset) <= end


class _Reader:
    """Templates of expressions; a name is read in ``func``'s scope (its locals, then the
    module's), or the module's alone once a module-level value is followed; none at all
    without ``names``."""

    def __init__(self, scopes: Scopes, func: _Def, *, names: bool) -> None:
        self.scopes = scopes
        self.func = func
        self.names = names  # names may be followed at all

    def template(self, node: ast.expr, depth: int, local: bool = True) -> Template | None:
        """``local``: names may be the function's (False once in a module-level value)."""
        if depth > _DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return (node.value,) if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            pieces: list[str | Opaque] = []
            for value in node.values:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    pieces.append(value.value)
                    continue
                # `{NAME}` of a string known exactly is that string (`!s` too; not `!r`).
                found = None
                if (
                    isinstance(value, ast.FormattedValue)
                    and value.conversion in (-1, ord("s"))
                    and value.format_spec is None
                ):
                    found = self.template(value.value, depth + 1, local)
                pieces.extend(found if found is not None and _exact(found) else (OPAQUE,))
            return tuple(pieces)
        if isinstance(node, ast.BinOp):
            return self._binary(node, depth, local)
        if isinstance(node, ast.Name):
            bound, local = self.value_of(node.id, local)
            return None if bound is None else self.template(bound, depth + 1, local)
        if isinstance(node, ast.Call):
            return self._call(node, depth, local)
        return None

    def _binary(self, node: ast.BinOp, depth: int, local: bool) -> Template | None:
        left = self.template(node.left, depth + 1, local)
        if isinstance(node.op, ast.Add):
            right = self.template(node.right, depth + 1, local)
            if left is None and right is None:
                return None
            return (*(left or (OPAQUE,)), *(right or (OPAQUE,)))
        if isinstance(node.op, ast.Mod) and left is not None and _exact(left):
            return _percent(_text(left))
        return None

    def _call(self, node: ast.Call, depth: int, local: bool) -> Template | None:
        func = node.func
        dotted = _dotted(func)
        if len(node.args) == 1 and not node.keywords and not isinstance(node.args[0], ast.Starred):
            if dotted in SQL_TEXT_FUNCS:
                return self.template(node.args[0], depth + 1, local)
            if dotted == "textwrap.dedent" or (dotted == "dedent" and self.dedent(local)):
                found = self.template(node.args[0], depth + 1, local)
                if found is not None and _exact(found):
                    return (textwrap.dedent(_text(found)),)
                return found  # only whitespace differs: no statement changes kind
        if dotted is not None and "." in dotted:
            module, _, last = dotted.rpartition(".")
            if module in _SQLALCHEMY and last in _DML and node.args:
                return (_DML[last] + " ", OPAQUE)
        if _select(node):
            return (_SELECT,)
        if not isinstance(func, ast.Attribute):
            return None
        method, owner = func.attr, func.value
        if method == "format" and isinstance(owner, ast.Constant | ast.Name):
            base = self.template(owner, depth + 1, local)
            if base is None or not _exact(base):
                return None
            return _format(_text(base))
        if method == "strip" and not node.args and not node.keywords:
            return self.template(owner, depth + 1, local)
        if method in _TEXT_METHODS and self._text_clause(owner, depth + 1, local):
            return self.template(owner, depth + 1, local)
        return _dml(node)

    def _text_clause(self, node: ast.expr, depth: int, local: bool) -> bool:
        """Whether ``node`` is ``text(...)``, maybe through names and the methods of a text
        clause (``text("...").bindparams(...)``): a str has no such methods."""
        while depth <= _DEPTH:
            if isinstance(node, ast.Name):
                value, local = self.value_of(node.id, local)
                if value is None:
                    return False
                node = value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr not in _TEXT_METHODS:
                    return _dotted(node.func) in SQL_TEXT_FUNCS
                node = node.func.value
            else:
                return isinstance(node, ast.Call) and _dotted(node.func) in SQL_TEXT_FUNCS
            depth += 1
        return False

    def value_of(self, name: str, local: bool) -> tuple[ast.expr | None, bool]:
        """The value of ``name`` and whether it is the function's: the function's own
        binding of it when that is its only one, else the module's when that is its only
        one, else None."""
        if not self.names:
            return None, False
        if local:
            own = self.scopes.function(self.func)
            if name in own:
                return own[name], True
        return self.scopes.module().get(name), False

    def dedent(self, local: bool) -> bool:
        """``dedent`` is textwrap's, imported once in the module and bound nowhere else."""
        value, _ = self.value_of("dedent", local)
        return value is _TEXTWRAP_DEDENT


def _text(found: Template) -> str:
    return "".join(piece for piece in found if isinstance(piece, str))


def _dml(node: ast.Call) -> Template | None:
    """``t.update().where(...).values(...)``, ``t.insert()``, ``t.delete()``: a statement
    SQLAlchemy builds. ``op.execute()`` runs only text or SQLAlchemy's executables, and on
    those the methods ``insert``/``update``/``delete`` build data statements, which the
    methods after them keep."""
    current: ast.expr = node
    while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
        method = current.func.attr
        owner = current.func.value
        if method in _DML:
            table = owner.func if isinstance(owner, ast.Call) else owner
            name = _dotted(table)
            if name is None or (table is not owner and name.rsplit(".", 1)[-1].lower() != "table"):
                return None  # a table by name (``t``, ``tables.users``) or ``sa.table(...)``
            return (_DML[method] + " ", OPAQUE)
        if method not in _DML_BUILDERS:
            return None
        current = owner
    return None


#: Methods of SQLAlchemy's Select that build the same kind of statement.
_SELECT_BUILDERS = frozenset(
    {
        *("where", "filter", "filter_by", "order_by", "group_by", "having", "limit"),
        *("offset", "distinct", "join", "outerjoin", "select_from", "with_only_columns"),
        *("add_columns", "correlate", "execution_options", "params", "with_for_update"),
        *("fetch", "slice", "join_from", "outerjoin_from", "apply_labels", "set_label_style"),
    }
)
#: What a SELECT that SQLAlchemy builds runs, as far as the schema goes (see _select).
_SELECT = "SELECT NULL"


def _select(node: ast.Call) -> bool:
    """``sa.select(...)...``, ``t.select().where(...)``: a SELECT SQLAlchemy builds, that
    calls no SQL function (``sa.func.anything()``: a function may run DDL)."""
    current: ast.expr = node
    while isinstance(current, ast.Call) and isinstance(current.func, ast.Attribute):
        method = current.func.attr
        owner = current.func.value
        if method == "select":
            module = _dotted(owner)
            if not (module in _SQLALCHEMY or not current.args):
                return False
            return not any(
                (isinstance(n, ast.Attribute) and n.attr == "func")
                or (isinstance(n, ast.Name) and n.id == "func")
                for n in ast.walk(node)
            )
        if method not in _SELECT_BUILDERS:
            return False
        current = owner
    return False


def _exact(found: Template) -> bool:
    return all(isinstance(piece, str) for piece in found)


def _format(text: str) -> Template | None:
    """``"...{}...".format(...)``: the replacement fields are holes."""
    pieces: list[str | Opaque] = []
    try:
        for literal, field, _, _ in string.Formatter().parse(text):
            pieces.append(literal)
            if field is not None:
                pieces.append(OPAQUE)
    except ValueError:
        return None
    return tuple(pieces)


def _percent(text: str) -> Template | None:
    """``"...%s..." % values``: the conversions are holes, ``%%`` a percent sign."""
    pieces: list[str | Opaque] = []
    literal: list[str] = []
    at = 0
    while at < len(text):
        char = text[at]
        if char != "%":
            literal.append(char)
            at += 1
            continue
        end = at + 1
        if end < len(text) and text[end] == "(":
            close = text.find(")", end)
            if close < 0:
                return None
            end = close + 1
        while end < len(text) and text[end] in "#0- +*.0123456789hlL":
            end += 1
        if end >= len(text):
            return None
        if text[end] == "%" and end == at + 1:
            literal.append("%")
        elif text[end] in _PERCENT:
            pieces.extend(("".join(literal), OPAQUE))
            literal = []
        else:
            return None
        at = end + 1
    pieces.append("".join(literal))
    return tuple(pieces)


#: Marks ``from textwrap import dedent`` among a module's single bindings.
_TEXTWRAP_DEDENT = ast.Constant(value=None)


def _single_bindings(body: list[ast.stmt], *, function: _Def | None) -> dict[str, ast.expr | None]:
    """Every name bound in a scope (a function's, or the module's with ``function``
    None), with its value when its one binding is a plain ``name = value`` (None
    otherwise: bound several times, or some other way). Wherever that binding is (under
    an ``if``, in a loop), a name read where the call runs holds what it assigned: a
    local is never looked up elsewhere, and the module has run before any migration."""
    counts: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    declared: set[str] = set()
    if function is not None:
        args = function.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is not None:
                counts[arg.arg] = counts.get(arg.arg, 0) + 1
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        for name, value in _binds(node, declared, stack):
            counts[name] = counts.get(name, 0) + 1
            if value is not None:
                values[name] = value
    found: dict[str, ast.expr | None] = {}
    for name, count in counts.items():
        found[name] = values.get(name) if count == 1 and name not in declared else None
    for name in declared:
        found[name] = None
    return found


def _binds(
    node: ast.AST, declared: set[str], stack: list[ast.AST]
) -> Iterator[tuple[str, ast.expr | None]]:
    """The names ``node`` binds in its scope, each with the value a plain assignment gives
    it; pushes onto ``stack`` what to look at next in the same scope (nested functions,
    classes, lambdas and comprehensions have scopes of their own, but a walrus in a
    comprehension binds here). ``global``/``nonlocal`` names go to ``declared``."""
    if isinstance(node, ast.Name):
        if not isinstance(node.ctx, ast.Load):
            yield node.id, None
        return
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            yield target.id, node.value
            stack.append(node.value)
            return
    if (
        isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and node.value is not None
        and node.simple
    ):
        yield node.target.id, node.value
        stack.extend([node.annotation, node.value])
        return
    if isinstance(node, _Def | ast.ClassDef):
        yield node.name, None
        stack.extend(node.decorator_list)
        if isinstance(node, ast.ClassDef):
            stack.extend([*node.bases, *node.keywords])
        else:
            stack.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        return
    if isinstance(node, ast.Lambda):
        stack.extend([*node.args.defaults, *(d for d in node.args.kw_defaults if d)])
        return
    if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        for inner in ast.walk(node):
            if isinstance(inner, ast.NamedExpr) and isinstance(inner.target, ast.Name):
                yield inner.target.id, None
        return
    if isinstance(node, ast.Import | ast.ImportFrom):
        textwrap_module = (
            isinstance(node, ast.ImportFrom) and node.module == "textwrap" and node.level == 0
        )
        for alias in node.names:
            if alias.name == "*":
                yield "*", None
            elif textwrap_module and alias.name == "dedent":
                yield alias.asname or alias.name, _TEXTWRAP_DEDENT if not alias.asname else None
            else:
                yield alias.asname or alias.name.split(".")[0], None
        return
    if isinstance(node, ast.Global | ast.Nonlocal):
        declared.update(node.names)
        return
    if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
        yield node.name, None
    elif isinstance(node, ast.MatchMapping) and node.rest:
        yield node.rest, None
    stack.extend(ast.iter_child_nodes(node))


#: Calls that may bind module-level names no statement shows.
_DYNAMIC = frozenset({"globals", "vars", "setattr", "exec", "eval", "__import__"})


def _module_bindings(tree: ast.Module) -> dict[str, ast.expr | None]:
    """The module's names as _single_bindings tells them; none at all when the module may
    bind names in ways no statement shows (``from x import *``, ``globals()``, a
    ``global`` declaration in a function)."""
    found = _single_bindings(tree.body, function=None)
    if "*" in found:
        return {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            for name in node.names:
                found[name] = None
        elif isinstance(node, ast.Call) and _dotted(node.func) in (
            "globals",
            "vars",
            "setattr",
            "exec",
            "eval",
        ):
            return {}
    return found


def constants(scopes: Scopes, function: Locator, call: Locator, own: bool) -> dict[str, str]:
    """The names the operation call at ``call`` may read whose value is a string known
    exactly (``TABLE = "users"`` once in the module, or once in the function)."""
    placed = scopes.place(function, call)
    if placed is None or not own:
        return {}
    func, node = placed
    if scopes.nested(func, node):
        return {}
    reader = _Reader(scopes, func, names=True)
    found: dict[str, str] = {}
    for name in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}:
        value = reader.template(ast.Name(id=name, ctx=ast.Load()), 0)
        if value is not None and _exact(value):
            found[name] = _text(value)
    return found


def substituted(value: Expr, names: dict[str, str]) -> Expr:
    """``value`` with each plain name in ``names`` replaced by its string."""
    if isinstance(value, Name):
        return names.get(value.dotted, value)
    if isinstance(value, tuple):
        return tuple(substituted(v, names) for v in value)
    if isinstance(value, CallExpr):
        return CallExpr(
            value.func,
            tuple(substituted(v, names) for v in value.args),
            tuple((k, substituted(v, names)) for k, v in value.kwargs),
            value.star,
        )
    return value
