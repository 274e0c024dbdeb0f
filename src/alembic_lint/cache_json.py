"""Facts and findings to JSON and back: never pickle, since loading a cache must not be
able to run code. Anything unexpected raises (KeyError, TypeError, ValueError...)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from alembic_lint.diagnostics import Diagnostic, Location, Related, Severity
from alembic_lint.model import (
    REVISION_VARS,
    Binding,
    Body,
    Element,
    Function,
    Guard,
    GuardKind,
    Header,
    Migration,
    OpCall,
    Status,
    Suppression,
    SyntaxProblem,
    pack_flat,
)
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
    if data is None or isinstance(data, bool | str):
        return data
    (kind, payload), *rest = data.items()
    if rest:
        raise ValueError("bad value")
    if kind == "int":
        return int(payload)
    if kind == "float":
        return float(payload)
    if kind == "bytes":
        return bytes.fromhex(payload)
    if kind == "tuple":
        return tuple(_value_from_json(v) for v in payload)
    if kind == "list":
        return [_value_from_json(v) for v in payload]
    if kind == "set":
        return frozenset(_value_from_json(v) for v in payload)
    if kind == "ellipsis":
        return ...
    raise ValueError(f"bad value kind {kind!r}")


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


def _binding_from_json(d: list[Any]) -> Binding:
    name, status, value, elements, reason, ref = d
    if elements or not (value is None or isinstance(value, str)):
        return _make_binding(d)
    key = (name, status, value, reason, ref)
    known = _EMPTY_BINDINGS.get(key)
    if known is None:
        known = _EMPTY_BINDINGS[key] = _make_binding(d)
    return known


def _make_binding(d: list[Any]) -> Binding:
    name, status, value, elements, reason, ref = d
    return Binding(
        str(name),
        _STATUS[status],
        _value_from_json(value),
        tuple(Element(_value_from_json(v), int(r)) for v, r in elements),
        str(reason),
        int(ref),
    )


def suppression_from_json(d: list[Any]) -> Suppression:
    line, column, end, codes = d
    return Suppression(int(line), int(column), int(end), None if codes is None else tuple(codes))


def migration_to_json(m: Migration) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts every run needs, and the operations (see :class:`Cache`)."""
    h = m.header
    entry = {
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
    }
    if m.dialects:  # outside "facts": read for every file when the dialect is not set
        entry["dialects"] = list(m.dialects)
    ops = {
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
    return [*core, extra] if extra else core


def _op_from_json(d: list[Any]) -> OpCall:
    n, f, b, kw, star, sql, ref, *rest = d
    extra: dict[str, Any] = {}
    if rest:
        (extra,) = rest  # more than one is a damaged entry: raises
    return OpCall(
        name=str(n),
        function=str(f),
        batch=bool(b),
        keywords=tuple((str(k), _value_from_json(v)) for k, v in kw),
        star_kwargs=bool(star),
        sql=None if sql is None else str(sql),
        ref=int(ref),
        via=tuple(str(name) for name in extra.get("via", ())),
        guards=tuple(
            Guard(
                _GUARD_KIND[kind],
                tuple(a if isinstance(a, str) else int(a) for a in arguments),
                tuple(str(s) for s in strings),
            )
            for kind, arguments, strings in extra.get("guards", ())
        ),
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
    d: Mapping[str, Any], path: str, key: str = "", ops: Mapping[str, Any] | None = None
) -> Migration:
    """Facts from their JSON; without ``ops``, a file's operations, functions and header
    are left empty (only the file rules read them, and their findings are cached)."""
    variables, syntax, spans, locators = json.loads(d["facts"])
    revision, down, labels, depends = (_binding_from_json(b) for b in variables)
    migration = Migration(
        path=path,
        filename=os.path.basename(path),
        revision=revision,
        down_revision=down,
        branch_labels=labels,
        depends_on=depends,
        syntax_error=None
        if syntax is None
        else SyntaxProblem(str(syntax[0]), int(syntax[1]), bool(syntax[2])),
        noqa=tuple(suppression_from_json(s) for s in d["noqa"]),
        file_ignores=tuple(suppression_from_json(s) for s in d["file_ignores"]),
        dialects=dialects_from_json(d),
        spans=None if spans is None else pack_flat(map(int, spans)),
        # Steps are not checked here: a bad one fails in positions.resolve, which then
        # falls back to LibCST (a cache must never make a wrong answer, only a slower one).
        locators=str(locators),
        digest=key,
    )
    if ops is None:
        return migration
    return replace(
        migration,
        header=Header(*ops["header"]),
        functions=tuple(
            Function(str(n), Body(b), tuple(p), int(r)) for n, b, p, r in ops["functions"]
        ),
        ops=tuple(_op_from_json(o) for o in ops["ops"]),
        message=str(ops["message"]),
    )


def dialects_from_json(d: Mapping[str, Any]) -> tuple[str, ...]:
    """A facts entry's dialects (see Migration.dialects); anything but strings is damage."""
    found = d.get("dialects", [])
    if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
        raise TypeError("bad dialects")
    return tuple(found)


def view_hash(m: Migration) -> str:
    """A hash of what the graph rules read of a file's content: its revision variables
    (with their refs) and syntax problem (its name, which they read too, is keyed apart)."""
    syntax = m.syntax_error
    return fingerprint(
        [_binding_to_json(m.var(n)) for n in REVISION_VARS],
        None if syntax is None else [syntax.message, syntax.ref, syntax.defines_nothing],
    )


# --------------------------------------------------------------------------- diagnostics


def _location_to_json(loc: Location) -> list[Any]:
    return [loc.path, loc.line, loc.column, loc.end_line, loc.end_column, loc.ref]


def _location_from_json(d: list[Any]) -> Location:
    path, line, column, end_line, end_column, ref = d
    return Location(str(path), int(line), int(column), int(end_line), int(end_column), int(ref))


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
    location, code, name, message, severity, related, revision = d
    if path is None:
        place = _location_from_json(location)
    else:
        line, column, end_line, end_column, ref = location
        place = Location(path, int(line), int(column), int(end_line), int(end_column), int(ref))
    return Diagnostic(
        place,
        str(code),
        str(name),
        str(message),
        _SEVERITY[severity],
        None,
        tuple([Related(_location_from_json(loc), str(msg)) for loc, msg in related])
        if related
        else (),
        revision if revision is None else str(revision),
    )
