"""LibCST node helpers for the extraction: literals, names, children, statement paths."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable, Sequence

import libcst as cst

from alembic_lint.model import (
    EXPR_DEPTH,
    OPAQUE,
    REVISION_VARS,
    CallExpr,
    Expr,
    Name,
    Span,
)
from alembic_lint.positions import Locator


class _Unresolved(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _dotted(node: cst.BaseExpression) -> str | None:
    # `type(...) is`: LibCST's classes use ABCMeta, whose isinstance is slow, and this runs
    # for most expressions read (neither class has subclasses).
    kind = type(node)
    if kind is cst.Name:
        return node.value  # type: ignore[attr-defined,no-any-return]
    if kind is cst.Attribute:
        base = _dotted(node.value)  # type: ignore[attr-defined]
        return None if base is None else f"{base}.{node.attr.value}"  # type: ignore[attr-defined]
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
        return _number(node), [node]
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


_CONSTANTS: dict[str, Expr] = {"None": None, "True": True, "False": False}


# LibCST's node classes, looked up once (module attributes cost a lookup each time, and
# _expr compares a node's class with several of them for every argument it reads).
_SIMPLE_STRING, _CONCATENATED = cst.SimpleString, cst.ConcatenatedString
_NAME, _CALL, _ATTRIBUTE = cst.Name, cst.Call, cst.Attribute
_INTEGER, _FLOAT, _UNARY, _MINUS = cst.Integer, cst.Float, cst.UnaryOperation, cst.Minus
_DISPLAYS = (cst.Tuple, cst.List, cst.Set)
_STARRED = cst.StarredElement


def _expr(node: cst.BaseExpression, depth: int = 0, plain: list[str] | None = None) -> Expr:
    """An argument as written (see model.Expr); astread.nodes._expr reads the same.
    ``plain`` receives the plain names met (``TABLE``, not ``sa.Integer``), which the
    readers look up among the file's constants."""
    # `type(...) is` rather than isinstance: LibCST classes use ABCMeta, whose isinstance
    # is slow, and this runs for every argument of every operation.
    kind = type(node)
    if depth > EXPR_DEPTH:
        return OPAQUE
    if kind is _SIMPLE_STRING:
        # Names repeat across a history's files: one copy each for the schema changes
        # every file's facts keep (see model.Migration.changes).
        literal = _simple_value(node)  # type: ignore[arg-type]
        return sys.intern(literal) if type(literal) is str else literal
    if kind is _CALL:
        args: list[Expr] = []
        kwargs: list[tuple[str, Expr]] = []
        star = False
        depth += 1
        for arg in node.args:  # type: ignore[attr-defined]
            if arg.star:
                star = True
            elif arg.keyword is not None:
                kwargs.append((arg.keyword.value, _expr(arg.value, depth, plain)))
            else:
                args.append(_expr(arg.value, depth, plain))
        func = node.func  # type: ignore[attr-defined]
        if type(func) is _ATTRIBUTE and type(func.value) is _NAME:  # sa.Column: most calls
            dotted: str | None = f"{func.value.value}.{func.attr.value}"
        else:
            dotted = _dotted(func)
        return CallExpr(dotted or "", tuple(args), tuple(kwargs), star)
    if kind is _NAME:
        name = node.value  # type: ignore[attr-defined]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if plain is not None:
            plain.append(name)
        return Name(name)
    if kind is _ATTRIBUTE:
        dotted = _dotted(node)
        return OPAQUE if dotted is None else Name(dotted)
    if kind is _CONCATENATED:
        value = _string_value(node)  # type: ignore[arg-type]
        if value is None:
            return OPAQUE
        return sys.intern(value) if type(value) is str else value
    if kind is _INTEGER or kind is _FLOAT:
        number = _number(node)  # type: ignore[arg-type]
        return number if isinstance(number, int | float) else OPAQUE
    if kind in _DISPLAYS:
        elements = node.elements  # type: ignore[attr-defined]
        if any(type(el) is _STARRED for el in elements):
            return OPAQUE
        return tuple(_expr(el.value, depth + 1, plain) for el in elements)
    if kind is _UNARY:
        operand = node.expression  # type: ignore[attr-defined]
        if type(node.operator) is _MINUS and type(operand) in (_INTEGER, _FLOAT):  # type: ignore[attr-defined]
            number = _number(operand)
            return -number if isinstance(number, int | float) else OPAQUE
    return OPAQUE


def _string_value(node: cst.SimpleString | cst.ConcatenatedString) -> str | bytes | None:
    """LibCST's ``evaluated_value`` without its recursion: an implicit concatenation nests
    one level per string, and a long SQL text can hold hundreds of them."""
    parts: list[cst.BaseString] = []
    current: cst.BaseString = node
    while isinstance(current, cst.ConcatenatedString):
        parts.append(current.left)
        current = current.right
    parts.append(current)
    values = [_simple_value(p) for p in parts if isinstance(p, cst.SimpleString)]
    if len(values) < len(parts):
        return None  # an f-string
    text = [v for v in values if isinstance(v, str)]
    if len(text) == len(values):
        return "".join(text)
    data = [v for v in values if isinstance(v, bytes)]
    return b"".join(data) if len(data) == len(values) else None


def _number(node: cst.Integer | cst.Float) -> int | float | complex:
    """A number literal's value: plain decimal integers directly, the others through
    LibCST (``ast.literal_eval``, far slower)."""
    raw = node.value
    if raw.isascii() and raw.isdigit():
        return int(raw)
    return node.evaluated_value


def _simple_value(node: cst.SimpleString) -> str | bytes:
    """A string literal's value: plain ones (no prefix, no backslash, the great majority)
    directly, the others through LibCST (``ast.literal_eval``, ten times the cost)."""
    raw = node.value
    quote = raw[0]
    if quote in "'\"" and "\\" not in raw and "\r" not in raw:  # Python reads \r\n as \n
        return raw[3:-3] if raw.startswith(quote * 3) and len(raw) >= 6 else raw[1:-1]
    return node.evaluated_value


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


def _meaningful(func: cst.FunctionDef) -> list[cst.CSTNode]:
    """The statements of a function body that do something (not pass, ..., a docstring)."""
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
    return [s for s in statements if not _is_trivial(s)]


def _is_trivial(stmt: cst.CSTNode) -> bool:
    if isinstance(stmt, cst.Pass):
        return True
    if isinstance(stmt, cst.Expr):
        return isinstance(stmt.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis)
    return False


def _called_name(stmt: cst.CSTNode) -> str | None:
    """``name`` when the statement only calls a function by name: ``name(...)``."""
    if isinstance(stmt, cst.Expr) and isinstance(stmt.value, cst.Call):
        func = stmt.value.func
        if isinstance(func, cst.Name):
            return func.value
    return None


def _small_binds(small: cst.BaseSmallStatement) -> list[str]:
    """The names a plain statement binds (or unbinds) at module level."""
    if isinstance(small, cst.Assign):
        return [name for target in small.targets for name in _names_in(target.target)]
    if isinstance(small, cst.AnnAssign | cst.AugAssign):
        if isinstance(small, cst.AnnAssign) and small.value is None:
            return []
        return list(_names_in(small.target))
    if isinstance(small, cst.Del):
        return list(_names_in(small.target))
    if isinstance(small, cst.Import):
        return [
            _alias_name(alias) or (_dotted(alias.name) or "").split(".")[0] for alias in small.names
        ]
    if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
        return [_alias_name(alias) or _dotted(alias.name) or "" for alias in small.names]
    return []


def _imported_names(node: cst.ImportFrom) -> list[str]:
    if isinstance(node.names, cst.ImportStar):
        return []
    return [_dotted(alias.name) or "" for alias in node.names]
