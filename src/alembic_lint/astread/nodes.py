"""ast node helpers that mirror the LibCST reader's (literals, names, child order)."""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from alembic_lint.model import EXPR_DEPTH, OPAQUE, CallExpr, Expr, Name
from alembic_lint.positions import Locator

# The LibCST reader (the parse package) is the reference: every choice below mirrors it,
# and tests/test_astread.py checks the two agree field for field.

_Def = ast.FunctionDef | ast.AsyncFunctionDef
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


class _Unresolved(Exception):
    """Not a literal; the argument says why, in the LibCST reader's words."""


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


def _expr(node: ast.expr, depth: int = 0, plain: list[str] | None = None) -> Expr:
    """An argument as written (see model.Expr), as parse.nodes._expr reads it (``plain``
    receives the plain names met)."""
    if depth > EXPR_DEPTH:
        return OPAQUE
    if isinstance(node, ast.Constant):
        value = node.value
        if type(value) is str:
            return sys.intern(value)  # one copy of each name, as parse.nodes._expr
        if value is None or isinstance(value, bytes | bool | int | float):
            return value
        return OPAQUE  # ..., complex
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = node.operand.value if isinstance(node.operand, ast.Constant) else None
        if type(operand) is int or type(operand) is float:
            return -operand
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        if any(isinstance(el, ast.Starred) for el in node.elts):
            return OPAQUE
        return tuple(_expr(el, depth + 1, plain) for el in node.elts)
    dotted = _dotted(node)
    if dotted is not None:
        if plain is not None and isinstance(node, ast.Name):
            plain.append(dotted)
        return Name(dotted)
    if isinstance(node, ast.Call):
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        star = False
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                star = True
            else:
                args.append(_expr(arg, depth + 1, plain))
        for keyword in node.keywords:
            if keyword.arg is None:
                star = True
            else:
                kwargs.append((keyword.arg, _expr(keyword.value, depth + 1, plain)))
        return CallExpr(_dotted(node.func) or "", tuple(args), tuple(kwargs), star)
    return OPAQUE


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
    parts: list[str] = []
    while isinstance(node, ast.Attribute):  # a loop: chains can be thousands long
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, bool)):
        parts.append(str(node.value))  # names in LibCST
    else:
        return None
    return ".".join(reversed(parts))


def _names_in(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for el in node.elts:
            yield from _names_in(el)
    elif isinstance(node, ast.Starred):
        yield from _names_in(node.value)


def _small_binds(stmt: ast.stmt) -> list[str]:
    """The names a plain statement binds (or unbinds) at module level (the LibCST reader's
    _small_binds)."""
    if isinstance(stmt, ast.Assign):
        return [name for target in stmt.targets for name in _names_in(target)]
    if isinstance(stmt, ast.AnnAssign | ast.AugAssign):
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
            return []
        return list(_names_in(stmt.target))
    if isinstance(stmt, ast.Delete):
        return [name for target in stmt.targets for name in _names_in(target)]
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return [a.asname or a.name.split(".")[0] for a in stmt.names if a.name != "*"]
    return []


def _mentions_globals(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and _dotted(n.func) in ("globals", "setattr", "vars")
        for n in ast.walk(node)
    )


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


def _imported_names(node: ast.ImportFrom) -> list[str]:
    return [] if node.names[0].name == "*" else [alias.name for alias in node.names]
