"""Facts and findings to JSON and back: never pickle, since loading a cache must not be
able to run code. Anything unexpected raises (KeyError, TypeError, ValueError...): every
value is checked for its exact JSON type, never converted (``str()`` of a list would put
the list's text into a report)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from alembic_lint.diagnostics import Diagnostic, Location, Related, Severity
from alembic_lint.model import (
    OPAQUE,
    REVISION_VARS,
    Binding,
    Body,
    CallExpr,
    Element,
    Expr,
    Function,
    Guard,
    GuardKind,
    Header,
    Migration,
    Name,
    OpCall,
    Status,
    Suppression,
    SyntaxProblem,
    pack_flat,
)
from alembic_lint.schema.changes import Alter, Change, SchemaChanges
from alembic_lint.schema.objects import Column, Constraint, Index
from alembic_lint.source import blake2b


def fingerprint(*parts: object) -> str:
    """A stable key for anything JSON can express (settings, file lists...)."""
    text = json.dumps(parts, sort_keys=True, default=repr)
    return blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


# --------------------------------------------------------------------------- values


def _value_to_json(value: object) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": repr(value)}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, tuple):
        return {"tuple": [_value_to_json(v) for v in value]}
    if isinstance(value, list):
        return {"list": [_value_to_json(v) for v in value]}
    if isinstance(value, frozenset):
        return {"set": [_value_to_json(v) for v in value]}
    if value is ...:
        return {"ellipsis": True}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _value_from_json(data: Any) -> object:
    if data is None or type(data) is bool or type(data) is str:
        return data
    if type(data) is not dict or len(data) != 1:
        raise TypeError("bad value")
    ((kind, payload),) = data.items()
    if kind in ("int", "float", "bytes"):
        if type(payload) is not str:
            raise TypeError("bad value")
        return (
            int(payload)
            if kind == "int"
            else float(payload)
            if kind == "float"
            else (bytes.fromhex(payload))
        )
    if kind in ("tuple", "list", "set"):
        items = [_value_from_json(v) for v in _list(payload)]
        return tuple(items) if kind == "tuple" else items if kind == "list" else frozenset(items)
    if kind == "ellipsis" and payload is True:
        return ...
    raise ValueError(f"bad value kind {kind!r}")


# Checks of exact JSON types, written out where thousands of entries pass (a call each
# would show in a warm run): ``type(x) is int`` also refuses True and False.


def _str(value: object) -> str:
    if type(value) is not str:
        raise TypeError("not a string")
    return value


def _optional_str(value: object) -> str | None:
    if value is not None and type(value) is not str:
        raise TypeError("not a string")
    return value


def _int(value: object) -> int:
    if type(value) is not int:
        raise TypeError("not an integer")
    return value


def _bool(value: object) -> bool:
    if type(value) is not bool:
        raise TypeError("not a boolean")
    return value


def _list(value: object, size: int = -1) -> list[Any]:
    if type(value) is not list or (size >= 0 and len(value) != size):
        raise TypeError("not a list of the right length")
    return value


def _optional_bool(value: object) -> bool | None:
    if value is not None and type(value) is not bool:
        raise TypeError("not a boolean")
    return value


def expr_to_json(value: Expr) -> Any:
    """An argument as written (model.Expr): scalars as themselves, the rest as tagged lists."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, bytes):
        return ["b", value.hex()]
    if isinstance(value, tuple):
        return ["t", *(expr_to_json(v) for v in value)]
    if isinstance(value, Name):
        return ["n", value.dotted]
    if isinstance(value, CallExpr):
        return [
            "c",
            value.func,
            [expr_to_json(v) for v in value.args],
            [[k, expr_to_json(v)] for k, v in value.kwargs],
            value.star,
        ]
    return ["?"]


def expr_from_json(data: Any) -> Expr:
    kind = type(data)
    if data is None or kind is str or kind is bool or kind is int or kind is float:
        return data  # type: ignore[no-any-return]
    items = _list(data)
    tag = items[0] if items else None
    if tag == "t":
        return tuple(expr_from_json(v) for v in items[1:])
    if tag == "n":
        return Name(_str(_list(items, 2)[1]))
    if tag == "c":
        _, func, args, kwargs, star = _list(items, 5)
        return CallExpr(
            _str(func),
            tuple(expr_from_json(v) for v in _list(args)),
            tuple((_str(k), expr_from_json(v)) for k, v in map(_pair, _list(kwargs))),
            _bool(star),
        )
    if tag == "b":
        return bytes.fromhex(_str(_list(items, 2)[1]))
    if tag == "?" and len(items) == 1:
        return OPAQUE
    raise ValueError(f"bad argument tag {tag!r}")


# --------------------------------------------------------------------------- schema changes


def changes_to_json(changes: SchemaChanges | None) -> str | None:
    """A file's schema changes as one JSON string (decoded only with the file's facts)."""
    if changes is None:
        return None
    return json.dumps(
        [
            [_change_to_json(c) for c in changes.upgrade],
            [_change_to_json(c) for c in changes.downgrade],
            changes.reverses,
            changes.downgrade_ref,
        ],
        separators=(",", ":"),
    )


def _change_to_json(c: Change) -> list[Any]:
    alter = c.alter
    return [
        c.action,
        c.table,
        c.ref,
        c.op,
        c.name,
        [[x.name, x.type, x.nullable, x.default, x.primary_key] for x in c.columns],
        [[i.name, list(i.columns), i.unique] for i in c.indexes],
        [[k.kind, k.name, list(k.columns), k.referent, k.sqltext] for k in c.constraints],
        None
        if alter is None
        else [
            alter.new_name,
            alter.nullable,
            alter.type,
            alter.default,
            alter.drop_default,
            alter.unknown,
            alter.unknown_nullable,
        ],
        c.guarded,
        c.partial,
        c.why,
        c.kind,
        c.maybe,
    ]


def changes_from_json(text: object) -> SchemaChanges | None:
    if text is None:
        return None
    upgrade, downgrade, reverses, downgrade_ref = _list(json.loads(_str(text)), 4)
    return SchemaChanges(
        tuple(_change_from_json(c) for c in _list(upgrade)),
        tuple(_change_from_json(c) for c in _list(downgrade)),
        _bool(reverses),
        _int(downgrade_ref),
    )


def _change_from_json(d: object) -> Change:
    (
        action,
        table,
        ref,
        op,
        name,
        columns,
        indexes,
        constraints,
        alter,
        guarded,
        partial,
        why,
        kind,
        maybe,
    ) = _list(d, 14)
    return Change(
        action=_str(action),
        table=_optional_str(table),
        ref=_int(ref),
        op=_str(op),
        name=_optional_str(name),
        columns=tuple(
            Column(_str(n), _optional_str(t), _optional_bool(nl), _optional_str(df), _bool(pk))
            for n, t, nl, df, pk in (_list(c, 5) for c in _list(columns))
        ),
        indexes=tuple(
            Index(_optional_str(n), tuple(_optional_str(c) for c in _list(cols)), _bool(u))
            for n, cols, u in (_list(i, 3) for i in _list(indexes))
        ),
        constraints=tuple(
            Constraint(
                _str(k),
                _optional_str(n),
                tuple(_str(c) for c in _list(cols)),
                _optional_str(r),
                _optional_str(q),
            )
            for k, n, cols, r, q in (_list(c, 5) for c in _list(constraints))
        ),
        alter=None if alter is None else _alter_from_json(alter),
        guarded=_bool(guarded),
        partial=_bool(partial),
        why=_str(why),
        kind=_optional_str(kind),
        maybe=_bool(maybe),
    )


def _alter_from_json(data: object) -> Alter:
    new_name, nullable, type_, default, drop_default, unknown, unknown_nullable = _list(data, 7)
    return Alter(
        _optional_str(new_name),
        _optional_bool(nullable),
        _optional_str(type_),
        _optional_str(default),
        _bool(drop_default),
        _bool(unknown),
        _bool(unknown_nullable),
    )


# --------------------------------------------------------------------------- facts


def _binding_to_json(b: Binding) -> list[Any]:
    return [
        b.name,
        b.status.value,
        _value_to_json(b.value),
        [[_value_to_json(e.value), e.ref] for e in b.elements],
        b.reason,
        b.ref,
    ]


#: See Cache.stub: the placeholders of a stand-in's revision variables.
STAND_IN = Migration(
    path="",
    filename="",
    revision=Binding("revision", Status.UNRESOLVED, reason="not loaded"),
    down_revision=Binding("down_revision", Status.UNRESOLVED, reason="not loaded"),
    branch_labels=Binding("branch_labels", Status.UNRESOLVED, reason="not loaded"),
    depends_on=Binding("depends_on", Status.UNRESOLVED, reason="not loaded"),
)

# Lookups by value: calling an Enum class is slow enough to show on thousands of entries.
_STATUS = {s.value: s for s in Status}
_SEVERITY = {s.value: s for s in Severity}
_GUARD_KIND = {k.value: k for k in GuardKind}


#: Bindings without elements recur across files (``branch_labels = None`` at the same ref):
#: they are frozen, so one object serves them all.
_EMPTY_BINDINGS: dict[tuple[object, ...], Binding] = {}


def _binding_from_json(d: list[Any], expected: str) -> Binding:
    name, status, value, elements, reason, ref = _list(d, 6)
    if name != expected or type(reason) is not str or type(ref) is not int:
        raise TypeError("bad binding")
    if elements or not (value is None or type(value) is str):
        return _make_binding(d)
    key = (name, status, value, reason, ref)
    known = _EMPTY_BINDINGS.get(key)
    if known is None:
        known = _EMPTY_BINDINGS[key] = _make_binding(d)
    return known


def _make_binding(d: list[Any]) -> Binding:
    name, status, value, elements, reason, ref = d  # (checked by the caller)
    return Binding(
        name,
        _STATUS[status],
        _value_from_json(value),
        tuple(Element(_value_from_json(v), _int(r)) for v, r in map(_pair, _list(elements))),
        reason,
        ref,
    )


def _pair(value: object) -> list[Any]:
    return _list(value, 2)


def suppression_from_json(d: list[Any]) -> Suppression:
    line, column, end, codes = _list(d, 4)
    if not (type(line) is int and type(column) is int and type(end) is int):
        raise TypeError("bad suppression")
    return Suppression(
        line, column, end, None if codes is None else tuple(_str(c) for c in _list(codes))
    )


def migration_to_json(m: Migration) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts every run needs, and the operations (see :class:`Cache`)."""
    h = m.header
    entry: dict[str, Any] = {
        "facts": facts_json(
            [_binding_to_json(m.var(n)) for n in REVISION_VARS],
            None
            if m.syntax_error is None
            else [m.syntax_error.message, m.syntax_error.ref, m.syntax_error.defines_nothing],
            m.spans,
            m.locators,
        ),
        "noqa": [[s.line, s.column, s.end_column, s.codes] for s in m.noqa],
        "file_ignores": [[s.line, s.column, s.end_column, s.codes] for s in m.file_ignores],
        "changes": changes_to_json(m.changes),
    }
    if m.dialects:  # outside "facts": read for every file when the dialect is not set
        entry["dialects"] = list(m.dialects)
    ops: dict[str, Any] = {
        "header": [h.revision_id, h.revision_id_ref, h.revises, h.revises_ref],
        "functions": [[f.name, f.body.value, list(f.params), f.ref] for f in m.functions],
        "ops": [_op_to_json(o) for o in m.ops],
        "message": m.message,
    }
    return entry, ops


def _op_to_json(o: OpCall) -> list[Any]:
    """The fields every operation has, in order, then (only when there are any) a mapping
    of those that most leave at their default: a new field of OpCall goes there."""
    core = [
        o.name,
        o.function,
        o.batch,
        [[k, _value_to_json(v)] for k, v in o.keywords],
        o.star_kwargs,
        o.sql,
        o.ref,
    ]
    extra: dict[str, Any] = {}
    if o.via:
        extra["via"] = list(o.via)
    if o.guards:
        extra["guards"] = [[g.kind.value, list(g.arguments), list(g.strings)] for g in o.guards]
    # Not the arguments (args, kwargs, batch_call): only the readers' changes_of reads
    # them, and a file's changes are stored whole ("changes" in the facts), so no later
    # run would read them; writing them was about a tenth of a cold run's cache work.
    if o.statement is not None:
        extra["statement"] = expr_to_json(o.statement)
    return [*core, extra] if extra else core


def _op_from_json(d: object) -> OpCall:
    fields = _list(d)
    if len(fields) not in (7, 8):
        raise TypeError("bad operation")
    n, f, b, kw, star, sql, ref = fields[:7]
    extra = fields[7] if len(fields) == 8 else {}
    if type(extra) is not dict or not set(extra) <= _OP_EXTRAS:
        raise TypeError("bad operation")
    return OpCall(
        name=_str(n),
        function=_str(f),
        batch=_bool(b),
        keywords=tuple((_str(k), _value_from_json(v)) for k, v in map(_pair, _list(kw))),
        star_kwargs=_bool(star),
        sql=_optional_str(sql),
        ref=_int(ref),
        via=tuple(map(_str, _list(extra.get("via", [])))),
        guards=tuple(_guard_from_json(g) for g in _list(extra.get("guards", []))),
        args=tuple(expr_from_json(a) for a in _list(extra.get("args", []))),
        kwargs=tuple(
            (_str(k), expr_from_json(v)) for k, v in map(_pair, _list(extra.get("kwargs", [])))
        ),
        batch_call=_batch_call(extra.get("batch_call")),
        statement=expr_from_json(extra.get("statement")),
    )


_OP_EXTRAS = frozenset({"via", "guards", "args", "kwargs", "batch_call", "statement"})


def _guard_from_json(d: object) -> Guard:
    kind, arguments, strings = _list(d, 3)
    return Guard(
        _GUARD_KIND[_str(kind)],
        tuple(a if type(a) is str else _int(a) for a in _list(arguments)),
        tuple(map(_str, _list(strings))),
    )


def facts_json(
    variables: list[Any], syntax: list[Any] | None, spans: Sequence[int] | None, locators: str
) -> str:
    """The revision variables, syntax problem and positions of a file, as one JSON string
    inside the cache's JSON: most runs need only the rest of an entry (see Cache.stub), and
    a string costs the JSON reader far less than the lists and numbers it holds."""
    # Once the spans are known the locators that lead to them are not needed again.
    rest = [variables, syntax, None if spans is None else list(spans)]
    return json.dumps([*rest, locators if spans is None else ""], separators=(",", ":"))


def migration_from_json(
    d: Mapping[str, Any],
    path: str,
    key: str = "",
    ops: Mapping[str, Any] | None = None,
    *,
    changes: bool = True,
) -> Migration:
    """Facts from their JSON; without ``ops``, a file's operations, functions and header
    are left empty (only the file rules read them, and their findings are cached)."""
    if not isinstance(d, dict):
        raise TypeError("bad entry")
    variables, syntax, spans, locators = _list(json.loads(_str(d["facts"])), 4)
    revision, down, labels, depends = (
        _binding_from_json(b, name)
        for b, name in zip(_list(variables, 4), REVISION_VARS, strict=True)
    )
    if syntax is not None:
        message, ref, defines_nothing = _list(syntax, 3)
        syntax = SyntaxProblem(_str(message), _int(ref), _bool(defines_nothing))
    migration = Migration(
        path=path,
        filename=os.path.basename(path),
        revision=revision,
        down_revision=down,
        branch_labels=labels,
        depends_on=depends,
        syntax_error=syntax,
        noqa=tuple(suppression_from_json(s) for s in _list(d["noqa"])),
        file_ignores=tuple(suppression_from_json(s) for s in _list(d["file_ignores"])),
        dialects=dialects_from_json(d),
        spans=None if spans is None else pack_flat(map(_int, _list(spans))),
        # Steps are not checked here: a bad one fails in positions.resolve, which then
        # falls back to LibCST (a cache must never make a wrong answer, only a slower one).
        locators=_str(locators),
        digest=key,
        changes=changes_from_json(d.get("changes")) if changes else None,
    )
    if ops is None:
        return migration
    if not isinstance(ops, dict):
        raise TypeError("bad operations")
    revision_id, revision_id_ref, revises, revises_ref = _list(ops["header"], 4)
    return replace(
        migration,
        header=Header(
            _optional_str(revision_id),
            _int(revision_id_ref),
            _optional_str(revises),
            _int(revises_ref),
        ),
        functions=tuple(
            Function(_str(n), Body(_str(b)), tuple(map(_str, _list(p))), _int(r))
            for n, b, p, r in (_list(f, 4) for f in _list(ops["functions"]))
        ),
        ops=tuple(_op_from_json(o) for o in _list(ops["ops"])),
        message=_str(ops["message"]),
    )


def dialects_from_json(d: Mapping[str, Any]) -> tuple[str, ...]:
    """A facts entry's dialects (see Migration.dialects); anything but strings is damage."""
    found = d.get("dialects", [])
    if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
        raise TypeError("bad dialects")
    return tuple(found)


def _batch_call(data: Any) -> CallExpr | None:
    if data is None:
        return None
    call = expr_from_json(data)
    if not isinstance(call, CallExpr):
        raise TypeError("a batch operation's batch_alter_table call is not a call")
    return call


def view_hash(m: Migration) -> str:
    """A hash of what the graph rules read of a file's content: its revision variables
    (with their refs) and syntax problem (its name, which they read too, is keyed apart)."""
    syntax = m.syntax_error
    return fingerprint(
        [_binding_to_json(m.var(n)) for n in REVISION_VARS],
        None if syntax is None else [syntax.message, syntax.ref, syntax.defines_nothing],
        changes_to_json(m.changes),
    )


# --------------------------------------------------------------------------- diagnostics


def _location_to_json(loc: Location) -> list[Any]:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column, loc.ref]


def _location_from_json(d: list[Any]) -> Location:
    path, line, column, end_line, end_column, ref = _list(d, 6)
    if not (
        type(path) is str
        and type(line) is int
        and type(column) is int
        and type(end_line) is int
        and type(end_column) is int
        and type(ref) is int
    ):
        raise TypeError("bad location")
    return Location(path, line, column, end_line, end_column, ref)


def diagnostic_to_json(d: Diagnostic, *, path: bool = True) -> list[Any]:
    """``path=False`` leaves out the path of the main location (stored under the file)."""
    if d.fix is not None:
        raise TypeError("findings with fixes are not cached")
    location = _location_to_json(d.location)
    return [
        location if path else location[1:],
        d.code,
        d.name,
        d.message,
        d.severity.value,
        [[_location_to_json(r.location), r.message] for r in d.related],
        d.revision,
    ]


def diagnostic_from_json(d: Sequence[Any], path: str | None = None) -> Diagnostic:
    # Positional arguments, no generator for the (nearly always empty) related places: a
    # warm run decodes every cached finding of the history.
    if type(d) is not list:
        raise TypeError("bad finding")
    location, code, name, message, severity, related, revision = d
    if path is None:
        place = _location_from_json(location)
    else:
        if type(location) is not list:
            raise TypeError("bad location")
        line, column, end_line, end_column, ref = location
        if not (
            type(line) is int
            and type(column) is int
            and type(end_line) is int
            and type(end_column) is int
            and type(ref) is int
        ):
            raise TypeError("bad location")
        place = Location(path, line, column, end_line, end_column, ref)
    if not (
        type(code) is str
        and type(name) is str
        and type(message) is str
        and (revision is None or type(revision) is str)
        and type(related) is list
    ):
        raise TypeError("bad finding")
    return Diagnostic(
        place,
        code,
        name,
        message,
        _SEVERITY[severity],
        None,
        tuple([Related(_location_from_json(loc), _str(msg)) for loc, msg in map(_pair, related)])
        if related
        else (),
        revision,
    )
