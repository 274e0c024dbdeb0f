"""What one migration's operations do to the schema, read from its facts alone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from alembic_lint.model import (
    CONNECTION_EXECUTE,
    UNFOLLOWED,
    Body,
    CallExpr,
    Expr,
    Function,
    Name,
    Opaque,
    OpCall,
    frozen_setters,
)
from alembic_lint.schema.objects import Column, Constraint, Index


@dataclass(frozen=True, slots=True)
class Alter:
    """What an ``alter_column`` changes; ``None`` fields are left as they were."""

    new_name: str | None = None
    nullable: bool | None = None
    type: str | None = None
    default: str | None = None
    drop_default: bool = False
    #: A change the model cannot follow exactly (a non-literal value): the column's
    #: attributes become unknown, its existence stays known.
    unknown: bool = False
    #: The column's nullability may change (a type change without ``existing_nullable``).
    unknown_nullable: bool = False


@dataclass(frozen=True, slots=True, init=False)
class Change:
    """One schema operation, normalised. ``table`` None means "some table": with
    ``action`` "unknown" the whole schema becomes uncertain."""

    action: str  # see ACTIONS
    table: str | None
    ref: int  # the operation (its OpCall.ref)
    op: str  # as called: "op.drop_index", "batch_op.drop_column", "op.execute"
    name: str | None = None  # the column, index or constraint; the new name of a table
    columns: tuple[Column, ...] = ()  # create_table, add_column
    indexes: tuple[Index, ...] = ()  # create_table (Column(index=True)), create_index
    constraints: tuple[Constraint, ...] = ()  # create_table, add_constraint
    alter: Alter | None = None
    #: ``if_exists=True`` / ``if_not_exists=True`` / ``IF EXISTS``: no failure either way.
    guarded: bool = False
    #: The created table's shape is not all known (a column the model cannot read).
    partial: bool = False
    why: str = ""  # for "unknown" (and "partial"): what the model cannot read
    #: drop_constraint's type_ when known ("unique", "foreignkey", "primary", "check").
    kind: str | None = None
    #: It runs under a condition (see model.GuardKind): it may not run at all.
    maybe: bool = False

    def __init__(
        self,
        action: str,
        table: str | None,
        ref: int,
        op: str,
        name: str | None = None,
        columns: tuple[Column, ...] = (),
        indexes: tuple[Index, ...] = (),
        constraints: tuple[Constraint, ...] = (),
        alter: Alter | None = None,
        guarded: bool = False,
        partial: bool = False,
        why: str = "",
        kind: str | None = None,
        maybe: bool = False,
    ) -> None:
        # The dataclass's __init__ at half its cost (see model.frozen_setters): one
        # Change is made for every operation of every file.
        s = _CHANGE_SETTERS
        s[0](self, action)
        s[1](self, table)
        s[2](self, ref)
        s[3](self, op)
        s[4](self, name)
        s[5](self, columns)
        s[6](self, indexes)
        s[7](self, constraints)
        s[8](self, alter)
        s[9](self, guarded)
        s[10](self, partial)
        s[11](self, why)
        s[12](self, kind)
        s[13](self, maybe)


_CHANGE_SETTERS = frozen_setters(Change)


ACTIONS = (
    "create_table",
    "drop_table",
    "rename_table",
    "add_column",
    "drop_column",
    "alter_column",
    "create_index",
    "drop_index",
    "add_constraint",
    "drop_constraint",
    "rename_index",  # name -> alter.new_name (read from SQL only)
    "rename_constraint",
    "unknown",
)


@dataclass(frozen=True, slots=True)
class SchemaChanges:
    """A migration's effect on the schema: its upgrade's and its downgrade's changes."""

    upgrade: tuple[Change, ...] = ()
    downgrade: tuple[Change, ...] = ()
    #: ``downgrade()`` does something (not empty, not raising NotImplementedError), and
    #: where its ``def`` is (the facts' ref; -1 when there is none).
    reverses: bool = False
    downgrade_ref: int = -1

    def of(self, function: str) -> tuple[Change, ...]:
        return self.upgrade if function == "upgrade" else self.downgrade


#: Operations that hand over code to run (``op.run_async(fn)``, ``op.invoke(obj)``). Not
#: ``op.get_bind()``: nearly every real history calls it, mostly to ask the dialect or
#: inspect, and taking every call for "any SQL may have run" left the model knowing next
#: to nothing on public histories (386 tables known exactly at their heads fell to 22).
#: DDL run through the connection is a documented gap (README) instead.
RUNS_ANYTHING = {
    "run_async": "a function that runs on the connection",
    "invoke": "an operation object",
}

#: Keywords of ``op.batch_alter_table`` that give the recreated table a shape of their
#: own: constraints and columns added or replaced beside the batch's operations.
_BATCH_SHAPE = ("table_args", "reflect_args", "copy_from", "table_kwargs")


#: Operations that never touch tables, columns, indexes or constraints: data, comments,
#: helpers, and the views/functions/sequences/types of common extensions (alembic_utils,
#: alembic-postgresql-enum).
NO_SCHEMA_EFFECT = frozenset(
    {
        "sync_enum_values",
        "create_enum",
        "drop_enum",
        "bulk_insert",
        "get_bind",
        "get_context",
        "inline_literal",
        "f",
        "batch_alter_table",
        "create_table_comment",
        "drop_table_comment",
        "implementation_for",
        "register_operation",
        "create_sequence",
        "drop_sequence",
        "create_entity",
        "drop_entity",
        "replace_entity",
        "create_view",
        "drop_view",
        "replace_view",
        "create_function",
        "drop_function",
        "create_trigger",
        "drop_trigger",
        "create_extension",
        "drop_extension",
    }
)

#: What changes_of skips at once (``batch_alter_table`` has keywords that matter).
_NOTHING_TO_READ = NO_SCHEMA_EFFECT - {"batch_alter_table"}


def changes_of(
    ops: Sequence[OpCall], functions: Sequence[Function], *, per_database: bool = False
) -> SchemaChanges:
    """The schema changes of a migration's operations (``upgrade()`` and ``downgrade()``).
    ``per_database``: the file has ``upgrade_<engine>()`` functions (the multidb template),
    whose operations go to several databases the model cannot tell apart."""
    from alembic_lint.schema import sql as sql_mod

    down = next((f for f in functions if f.name == "downgrade"), None)
    reverses = down is not None and down.body is Body.CODE
    down_ref = down.ref if down is not None else -1
    if per_database:
        why = "the multidb template's per-engine functions (one database each)"
        unknown = Change("unknown", None, -1, "", why=why)
        return SchemaChanges((unknown,), (unknown,), reverses, down_ref)
    upgrade: list[Change] = []
    downgrade: list[Change] = []
    for call in ops:
        name = call.name
        if name in _NOTHING_TO_READ:
            continue  # most of them op.f() in the arguments of another operation
        found: Iterable[Change]
        if name == "execute" or name == CONNECTION_EXECUTE:
            found = sql_mod.changes(call)
        elif name == UNFOLLOWED:
            # A call the readers do not follow may run any operation on any table.
            shown = str(call.args[0]) if call.args else "a call"
            why = str(call.args[1]) if len(call.args) > 1 else ""
            found = (Change("unknown", None, call.ref, shown, why=why),)
        else:
            found = _changes(call)
        if call.guards:
            # Under a condition, here or where its helper is called: it may not run (or
            # run again), so it can fail nothing, and what it touches becomes unsure.
            found = [replace(c, maybe=True) for c in found]
        (upgrade if call.function == "upgrade" else downgrade).extend(found)
    return SchemaChanges(tuple(upgrade), tuple(downgrade), reverses, down_ref)


# --------------------------------------------------------------------------- reading args


def text(value: Expr) -> str | None:
    """A name given as a literal string (or ``op.f("...")``, which marks a final name)."""
    if isinstance(value, str):
        return value
    if (
        isinstance(value, CallExpr)
        and (value.func == "f" or value.func.endswith(".f") or value.func.endswith("conv"))
        and len(value.args) == 1
        and not value.kwargs
        and isinstance(value.args[0], str)
    ):
        return value.args[0]
    return None


def names(value: Expr) -> tuple[str, ...] | None:
    """A list of literal names (``['a', 'b']``), or a single one; None if not all literal."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple):
        found = [text(v) for v in value]
        return None if any(v is None for v in found) else tuple(v for v in found if v)
    return None


def render(value: Expr) -> str:
    """An argument as Python source (a type as written: ``sa.String(length=50)``)."""
    if isinstance(value, Name):
        return value.dotted
    if isinstance(value, CallExpr):
        parts = [render(a) for a in value.args]
        parts += [f"{k}={render(v)}" for k, v in value.kwargs]
        if value.star:
            parts.append("...")
        return f"{value.func or '(...)'}({', '.join(parts)})"
    if isinstance(value, tuple):
        return "[" + ", ".join(render(v) for v in value) + "]"
    if isinstance(value, Opaque):
        return "..."
    return repr(value)


def referent(remote: Sequence[str]) -> str:
    """A foreign key's target as ``table(col, ...)``, from SQLAlchemy's ``"table.col"``."""
    tables = {r.rsplit(".", 1)[0] for r in remote if "." in r}
    if len(tables) != 1 or not all("." in r for r in remote):
        return ", ".join(remote)
    (table,) = tables
    return f"{table}({', '.join(r.rsplit('.', 1)[1] for r in remote)})"


def _short(func: str) -> str:
    return func.rsplit(".", 1)[-1]


class _Args(dict[str, Expr]):
    """An operation's arguments by position or keyword, as Alembic's signature binds them
    (``extra``: positional ones beyond the signature)."""

    __slots__ = ("extra",)

    def __init__(self, call: OpCall, params: Sequence[str]) -> None:
        dict.__init__(self, zip(params, call.args, strict=False))
        if call.kwargs:
            self.update(call.kwargs)
        self.extra = call.args[len(params) :]

    def has(self, name: str) -> bool:
        return name in self


def _qualified(table: str | None, schema: Expr) -> str | None:
    """``schema.table`` when a schema is given; None when the schema is not a literal."""
    if table is None:
        return None
    if schema is None:
        return table
    return f"{schema}.{table}" if isinstance(schema, str) else None


# Signatures after the table for batch operations (the table comes from the batch call).
_PARAMS = {
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "alter_column": ("table_name", "column_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name"),
    "create_foreign_key": (
        "constraint_name",
        "source_table",
        "referent_table",
        "local_cols",
        "remote_cols",
    ),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "create_exclude_constraint": ("constraint_name", "table_name"),
    "drop_constraint": ("constraint_name", "table_name", "type_"),
}
_BATCH_PARAMS = {
    "add_column": ("column",),
    "drop_column": ("column_name",),
    "alter_column": ("column_name",),
    "create_index": ("index_name", "columns"),
    "drop_index": ("index_name",),
    "create_foreign_key": ("constraint_name", "referent_table", "local_cols", "remote_cols"),
    "create_unique_constraint": ("constraint_name", "columns"),
    "create_check_constraint": ("constraint_name", "condition"),
    "create_primary_key": ("constraint_name", "columns"),
    "create_exclude_constraint": ("constraint_name",),
    "drop_constraint": ("constraint_name", "type_"),
}
#: Where each operation takes its table from.
_TABLE_KEYS = {
    name: "source_table"
    if name == "create_foreign_key"
    else "table_name"
    if "table_name" in params
    else params[0]  # rename_table's old_table_name
    for name, params in _PARAMS.items()
}


def _changes(call: OpCall) -> list[Change]:
    """The changes of one operation (not ``execute``, nor the calls the readers do not
    follow)."""
    name = call.name
    if name == "batch_alter_table":
        shaped = [k for k, _ in call.kwargs if k in _BATCH_SHAPE]
        if shaped or call.star_kwargs:
            # The recreated table takes these too (a constraint from table_args, a column
            # as reflect_args or copy_from has it), which the model does not follow.
            batch = CallExpr(call.name, call.args, call.kwargs, call.star_kwargs)
            why = f"`{shaped[0]}`" if shaped else "`**` arguments"
            return [_unknown(call, "op.batch_alter_table", _batch_table(batch), why)]
    if name in NO_SCHEMA_EFFECT:
        return []
    shown = _shown(name, call.batch)
    if name in RUNS_ANYTHING:
        return [_unknown(call, shown, None, RUNS_ANYTHING[name])]
    if call.star_kwargs:
        # **kw may hold anything (a schema, a new name, if_exists...).
        return [_unknown(call, shown, None, "`**` arguments")]
    if call.batch:
        table = _batch_table(call.batch_call)
        params = _BATCH_PARAMS.get(name)
        if params is None:
            return [_unknown(call, shown, table, "")]
        args = _Args(call, params)
        if table is None:
            return [_unknown(call, shown, None, "a batch on a table it cannot name")]
    else:
        params = _PARAMS.get(name)
        if params is None:
            return [_unknown(call, shown, None, "")]
        args = _Args(call, params)
        schema = args.get("source_schema" if name == "create_foreign_key" else "schema")
        table = _qualified(text(args.get(_TABLE_KEYS[name])), schema)
        if name == "drop_index" and args.get("table_name") is None and not args.has("table_name"):
            table = None  # Alembic does not need it: the index is looked up by name
        elif table is None:
            return [_unknown(call, shown, None, "a table name that is not a literal")]
    if args.extra and name not in ("create_table",):
        return [_unknown(call, shown, table, "more arguments than the operation takes")]
    guarded = args.get("if_exists") is True or args.get("if_not_exists") is True
    ref = call.ref
    reader = _READERS.get(name)
    if reader is None:
        return [_unknown(call, shown, table, "")]
    return reader(args, table, ref, shown, guarded)


#: Operations as called (``op.add_column``, ``batch_op.add_column``), one copy each.
_SHOWN: dict[tuple[str, bool], str] = {}


def _shown(name: str, batch: bool) -> str:
    shown = _SHOWN.get((name, batch))
    if shown is None:
        shown = f"{'batch_op' if batch else 'op'}.{name}"  # (shared() interns it)
        if len(_SHOWN) < 4096:  # names come from files: bounded
            _SHOWN[name, batch] = shown
    return shown


def _batch_table(batch: CallExpr | None) -> str | None:
    """The table of ``op.batch_alter_table(table_name, schema=...)``."""
    if batch is None or batch.star:
        return None
    kwargs = dict(batch.kwargs)
    table = batch.args[0] if batch.args else kwargs.get("table_name")
    return _qualified(text(table), kwargs.get("schema"))


def _unknown(call: OpCall, shown: str, table: str | None, why: str) -> Change:
    return Change("unknown", table, call.ref, shown, why=why)


#: Reads one kind of operation: (arguments, table, ref, as shown, guarded) -> changes.
_Reader = Callable[[_Args, str | None, int, str, bool], list[Change]]


def _create_table(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    assert table is not None
    columns: list[Column] = []
    indexes: list[Index] = []
    constraints: list[Constraint] = []
    unreadable: list[str] = []
    for item in args.extra:
        if not isinstance(item, CallExpr):
            unreadable.append(render(item))
            continue
        kind = _short(item.func)
        if kind == "Column":
            read = column_of(item)
            if read is None:
                unreadable.append(render(item))
                continue
            column, implied_indexes, implied = read
            columns.append(column)
            indexes.extend(implied_indexes)
            constraints.extend(implied)
            continue
        constraint = constraint_of(item)
        if constraint is not None:
            constraints.append(constraint)
            continue
        index = table_index_of(item)
        if index is not None:
            indexes.append(index)
            continue
        unreadable.append(render(item))
    return [
        Change(
            "create_table",
            table,
            ref,
            shown,
            columns=tuple(columns),
            indexes=tuple(indexes),
            constraints=tuple(constraints),
            guarded=guarded,
            partial=bool(unreadable),
            why=", ".join(unreadable[:3]),
        )
    ]


def column_of(call: CallExpr) -> tuple[Column, list[Index], list[Constraint]] | None:
    """A ``sa.Column(...)`` and the indexes and constraints it implies; None if its name
    is not a literal or it has arguments nobody can see."""
    # (Written for speed: this runs for every column of every created table.)
    args = call.args
    if call.star or not args:
        return None
    name = args[0]
    if type(name) is not str:
        name = text(name)
        if name is None:
            return None
    kwargs = dict(call.kwargs)
    type_expr: Expr = kwargs.get("type_")
    constraints: list[Constraint] = []
    indexes: list[Index] = []
    rest = args[1:]
    if rest and not (type(rest[0]) is CallExpr and _short(rest[0].func) == "ForeignKey"):
        type_expr, rest = rest[0], rest[1:]
    for item in rest:
        if type(item) is not CallExpr:
            return None
        kind = _short(item.func)
        if kind == "ForeignKey" and item.args:
            target = text(item.args[0])
            constraints.append(
                Constraint(
                    "foreignkey",
                    text(dict(item.kwargs).get("name")),
                    (name,),
                    referent=None if target is None else referent((target,)),
                )
            )
        elif kind in ("Sequence", "Identity", "Computed"):
            continue
        elif kind == "CheckConstraint":
            constraints.append(Constraint("check", text(dict(item.kwargs).get("name")), (name,)))
        else:
            return None
    primary = kwargs.get("primary_key") is True
    nullable_expr = kwargs.get("nullable", not primary)
    default = kwargs.get("server_default")
    column = Column(
        name,
        None if type_expr is None else render(type_expr),
        nullable_expr if type(nullable_expr) is bool else None,
        None if default is None else render(default),
        primary,
    )
    if primary:
        constraints.append(Constraint("primary", None, (name,)))
    if type(type_expr) is CallExpr and _may_check(type_expr):
        # A CHECK constraint the type may create (``create_constraint=True``), under the
        # type's ``name`` or the naming convention's: listed without a name, so that a
        # drop by any name may be of it.
        constraints.append(Constraint("check", None, (name,)))
    if "unique" in kwargs or "index" in kwargs:
        unique = kwargs.get("unique")
        if unique is True:
            constraints.append(Constraint("unique", None, (name,)))
        elif type(unique) is not bool and unique is not None:
            return None
        index = kwargs.get("index")
        if index is True:
            indexes.append(Index(None, (name,), unique is True))
        elif type(index) is not bool and index is not None:
            return None
    return column, indexes, constraints


#: SQLAlchemy's types that may create a CHECK constraint with the column (SchemaType).
_CHECKED_TYPES = frozenset({"Boolean", "BOOLEAN", "Enum", "Interval"})


def _may_check(type_expr: Expr) -> bool:
    """Whether the column's type may bring a CHECK constraint of its own: it does when
    given ``create_constraint`` that is not a literal False (the default is False since
    SQLAlchemy 1.4, which Alembic requires)."""
    if not isinstance(type_expr, CallExpr) or _short(type_expr.func) not in _CHECKED_TYPES:
        return False
    return dict(type_expr.kwargs).get("create_constraint", False) is not False


def constraint_of(call: CallExpr) -> Constraint | None:
    """A table-level constraint given to ``create_table``; None if it is not one or it
    cannot be read exactly."""
    kind = _short(call.func)
    kwargs = dict(call.kwargs)
    name_expr = kwargs.get("name")
    name = text(name_expr)
    if name_expr is not None and name is None:
        return None
    if kind in ("PrimaryKeyConstraint", "UniqueConstraint"):
        columns = [text(a) for a in call.args]
        if call.star or any(c is None for c in columns):
            return None
        return Constraint(
            "primary" if kind == "PrimaryKeyConstraint" else "unique",
            name,
            tuple(c for c in columns if c is not None),
        )
    if kind == "ForeignKeyConstraint" and len(call.args) >= 2:
        local, remote = names(call.args[0]), names(call.args[1])
        if local is None or remote is None:
            return None
        return Constraint("foreignkey", name, local, referent=referent(remote))
    if kind == "CheckConstraint" and call.args:
        sqltext = call.args[0]
        return Constraint("check", name, (), sqltext=sqltext if isinstance(sqltext, str) else None)
    return None


def table_index_of(call: CallExpr) -> Index | None:
    if _short(call.func) != "Index" or not call.args or call.star:
        return None
    name = text(call.args[0])
    columns = [text(a) for a in call.args[1:]]
    unique = dict(call.kwargs).get("unique", False)
    if name is None or not isinstance(unique, bool):
        return None
    return Index(name, tuple(columns), unique)


def _drop_table(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    return [Change("drop_table", table, ref, shown, guarded=guarded)]


def _rename_table(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    new = _qualified(text(args.get("new_table_name")), args.get("schema"))
    if new is None:
        return [Change("unknown", table, ref, shown, why="a new table name that is not a literal")]
    return [Change("rename_table", table, ref, shown, name=new)]


def _add_column(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    column = args.get("column")
    read = column_of(column) if isinstance(column, CallExpr) else None
    if read is None:
        return [Change("unknown", table, ref, shown, why=f"the column {render(column)}")]
    col, indexes, constraints = read
    return [
        Change(
            "add_column",
            table,
            ref,
            shown,
            name=col.name,
            columns=(col,),
            indexes=tuple(indexes),
            constraints=tuple(constraints),
            guarded=guarded,
        )
    ]


def _drop_named(action: str, parameter: str, what: str) -> _Reader:
    """The reader of a drop of one named column or index (``parameter`` names it)."""

    def read(args: _Args, table: str | None, ref: int, shown: str, guarded: bool) -> list[Change]:
        name = text(args.get(parameter))
        if name is None:
            return [Change("unknown", table, ref, shown, why=f"{what} that is not a literal")]
        return [Change(action, table, ref, shown, name=name, guarded=guarded)]

    return read


def _alter_column(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    name = text(args.get("column_name"))
    if name is None:
        return [Change("unknown", table, ref, shown, why="a column name that is not a literal")]
    unknown = False
    unknown_nullable = False
    new_name = None
    if args.get("new_column_name") is not None:
        new_name = text(args.get("new_column_name"))
        if new_name is None:
            return [
                Change("unknown", table, ref, shown, why="a new column name that is not a literal")
            ]
    nullable = None
    if args.has("nullable"):
        value = args.get("nullable")
        if isinstance(value, bool):
            nullable = value
        elif value is not None:
            unknown = True
    type_ = None
    if args.get("type_") is not None:
        type_ = render(args.get("type_"))
        if nullable is None and not args.has("existing_nullable") and not unknown:
            # MySQL's MODIFY restates the whole column: without existing_nullable the
            # column becomes nullable there, and stays as it was elsewhere.
            unknown_nullable = True
    default = None
    drop_default = False
    if args.has("server_default"):
        # Alembic's default is False, "leave it"; None drops the default.
        value = args.get("server_default")
        if value is None:
            drop_default = True
        elif value is True or isinstance(value, Opaque):
            unknown = True
        elif value is not False:
            default = render(value)
    alter = Alter(new_name, nullable, type_, default, drop_default, unknown, unknown_nullable)
    altered = Change("alter_column", table, ref, shown, name=name, alter=alter)
    if _may_check(args.get("type_")):
        # A batch recreates the table with the new type's CHECK constraint.
        check = Constraint("check", None, (new_name or name,))
        return [altered, Change("add_constraint", table, ref, shown, constraints=(check,))]
    return [altered]


def _create_index(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    name = text(args.get("index_name"))
    columns_expr = args.get("columns")
    unique = args.get("unique")
    if name is None or not isinstance(unique, bool | None):
        return [Change("unknown", table, ref, shown, why="an index it cannot read")]
    if isinstance(columns_expr, tuple):
        columns = tuple(text(c) for c in columns_expr)
    elif isinstance(columns_expr, str):
        columns = (columns_expr,)
    else:
        columns = (None,)
    index = Index(name, columns, bool(unique))
    return [Change("create_index", table, ref, shown, name=name, indexes=(index,), guarded=guarded)]


def _add_constraint(kind: str) -> _Reader:
    def read(args: _Args, table: str | None, ref: int, shown: str, guarded: bool) -> list[Change]:
        name_expr = args.get("constraint_name")
        name = text(name_expr)
        if name is None and name_expr is not None:
            return [
                Change("unknown", table, ref, shown, why="a constraint name that is not a literal")
            ]
        columns: tuple[str, ...] = ()
        referent = None
        if kind == "foreignkey":
            local, remote = names(args.get("local_cols")), names(args.get("remote_cols"))
            target = text(args.get("referent_table"))
            if local is None or remote is None or target is None:
                return [Change("unknown", table, ref, shown, why="a foreign key it cannot read")]
            columns, referent = local, f"{target}({', '.join(remote)})"
        elif kind in ("unique", "primary"):
            read_columns = names(args.get("columns"))
            if read_columns is None:
                return [Change("unknown", table, ref, shown, why="columns that are not literals")]
            columns = read_columns
        constraint = Constraint(kind, name, columns, referent=referent)
        return [
            Change(
                "add_constraint", table, ref, shown, name=name, constraints=(constraint,), kind=kind
            )
        ]

    return read


_TYPES = {
    "unique": "unique",
    "foreignkey": "foreignkey",
    "primary": "primary",
    "check": "check",
}


def _drop_constraint(
    args: _Args, table: str | None, ref: int, shown: str, guarded: bool
) -> list[Change]:
    name = text(args.get("constraint_name"))
    type_ = args.get("type_")
    if name is None or not isinstance(type_, str | None):
        return [Change("unknown", table, ref, shown, why="a constraint it cannot name")]
    kind = None if type_ is None else _TYPES.get(type_)
    if type_ is not None and kind is None:
        return [Change("unknown", table, ref, shown, why=f"a constraint of type {type_!r}")]
    return [Change("drop_constraint", table, ref, shown, name=name, guarded=guarded, kind=kind)]


_READERS: dict[str, _Reader] = {
    "create_table": _create_table,
    "drop_table": _drop_table,
    "rename_table": _rename_table,
    "add_column": _add_column,
    "drop_column": _drop_named("drop_column", "column_name", "a column name"),
    "alter_column": _alter_column,
    "create_index": _create_index,
    "drop_index": _drop_named("drop_index", "index_name", "an index name"),
    "create_foreign_key": _add_constraint("foreignkey"),
    "create_unique_constraint": _add_constraint("unique"),
    "create_check_constraint": _add_constraint("check"),
    "create_primary_key": _add_constraint("primary"),
    "create_exclude_constraint": _add_constraint("exclude"),
    "drop_constraint": _drop_constraint,
}
