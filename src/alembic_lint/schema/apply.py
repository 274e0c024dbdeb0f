"""One change applied to a schema: the next schema, and what would fail on a database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from alembic_lint.schema.changes import Change
from alembic_lint.schema.objects import Column, Constraint, Index, Schema, Table, same


@dataclass(frozen=True, slots=True)
class Problem:
    """A change that fails on a database whatever it is: ``kind`` "missing" (it works on
    something that does not exist) or "exists" (it creates something that already does)."""

    kind: str
    change: Change
    what: str  # "table users", "column users.email", "index ix_a on users"


def apply(schema: Schema, change: Change) -> tuple[Schema, list[Problem]]:
    """The schema after ``change``, and the problems it certainly has. A change that fails
    leaves what it touches unsure afterwards, so one mistake is reported once."""
    handler = _HANDLERS[change.action]
    problems: list[Problem] = []
    if change.maybe:
        return _other_spellings(schema, _maybe(schema, change, handler), change), []
    after = handler(schema, change, problems)
    if problems and change.table is not None:
        after = after.with_unsure(change.table, f"after `{change.op}()` that fails")
    return _other_spellings(schema, after, change), problems


def _other_spellings(before: Schema, after: Schema, change: Change) -> Schema:
    """``users`` and ``public.users`` (or ``main.users``) are one table when that schema
    is the default one, which only the database knows: a change to a table under one
    spelling leaves the tables known under the other unsure."""
    if change.table is None or ("." not in change.table and not before.qualified):
        return after  # most histories name no schema at all
    touched = [change.table]
    if change.action == "rename_table" and change.name:
        touched.append(change.name)
    for name in touched:
        key = name.casefold()
        bare = key.rpartition(".")[2]
        if bare != key:
            others = [bare] if bare in after.tables or bare in before.tables else []
        else:
            suffix = "." + key
            others = [k for k in (*before.tables, *after.tables) if k.endswith(suffix)]
        for other in others:
            after = after.with_unsure(other, f"`{change.op}()` on {name}, perhaps the same table")
    return after


def _maybe(
    schema: Schema, change: Change, handler: Callable[[Schema, Change, list[Problem]], Schema]
) -> Schema:
    """A change that may not run: what it touches is unsure afterwards (its existence too
    when it creates, drops or renames tables), and nothing is said of it."""
    why = f"`{change.op}()` under a condition"
    if change.table is None:
        return handler(schema, change, []) if change.action == "unknown" else schema.all_unsure(why)
    table = schema.table(change.table) if schema.has_table(change.table) is True else None
    if table is not None and change.action in _NAMED_OBJECTS:
        # An index or a constraint that may or may not be there: the rest of the table
        # is as it was.
        return schema.with_table(_maybe_named(table, change))
    tables = {"create_table", "drop_table", "rename_table"}
    exists = change.action not in tables and table is not None
    after = schema.with_unsure(change.table, why, exists=exists)
    if change.action == "rename_table" and change.name:
        after = after.with_unsure(change.name, why)
    return after


#: Changes of one index or constraint, which leave the table's columns alone.
_NAMED_OBJECTS = frozenset({"create_index", "drop_index", "add_constraint", "drop_constraint"})


def _maybe_named(table: Table, change: Change) -> Table:
    """``table`` after a change of an index or constraint that may not have run: that
    one is no longer listed and its name is vague (the unnamed ones when it has none)."""
    names = {change.name} | {i.name for i in change.indexes} | {c.name for c in change.constraints}
    named = {n for n in names if n}
    if not named:
        return table.edited(vague=table.vague | {_UNNAMED})
    if change.action in ("drop_index", "drop_constraint") and not any(
        table.constraint(n) or table.index(n) for n in named
    ):
        # Known by none of its names: it may have been any of the kind.
        kind = "unique" if change.action == "drop_index" else change.kind or "any"
        return _may_be_any(table, *named, constraints=kind)
    return table.edited(
        indexes=tuple(i for i in table.indexes if not any(same(i.name, n) for n in named)),
        constraints=tuple(c for c in table.constraints if not any(same(c.name, n) for n in named)),
        vague=table.vague | {n.casefold() for n in named},
    )


def _is(name: str | None, key: str) -> bool:
    """Whether ``name`` is the one whose case-folded form is ``key`` (see objects.same)."""
    return name is not None and name.casefold() == key


def _table_missing(schema: Schema, change: Change, problems: list[Problem]) -> Table | None:
    """The table a change works on when it certainly exists and is exactly known; records
    a problem when it certainly does not exist."""
    assert change.table is not None
    # Schema.has_table and Schema.table in one (this runs for most operations replayed).
    key = change.table.casefold()
    if key in schema.unsure:
        return None
    table = schema.tables.get(key)
    if table is None and (schema.rest is None or key in schema.gone) and not change.guarded:
        problems.append(Problem("missing", change, f"table {change.table}"))
    return table


def _create_table(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    assert change.table is not None
    if schema.has_table(change.table) is True:
        if not change.guarded:
            problems.append(Problem("exists", change, f"table {change.table}"))
        return schema.with_unsure(change.table, f"`{change.op}()` of a table that exists")
    table = Table(
        change.table,
        columns=change.columns,
        indexes=change.indexes,
        constraints=change.constraints,
        unsure=f"`{change.op}()` with {change.why}" if change.partial else None,
    )
    return schema.with_table(table)


def _drop_table(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    assert change.table is not None
    _table_missing(schema, change, problems)
    return schema.without_table(change.table)


def _rename_table(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    assert change.table is not None and change.name is not None
    table = _table_missing(schema, change, problems)
    if schema.has_table(change.name) is True and not same(change.table, change.name):
        problems.append(Problem("exists", change, f"table {change.name}"))
    after = schema.without_table(change.table)
    if table is None:
        return after.with_unsure(change.name, f"renamed from {change.table}, not known")
    return after.with_table(replace(table, name=change.name))


def _column_change(
    schema: Schema, change: Change, problems: list[Problem], edit: Callable[[Table], Table]
) -> Schema:
    """A change to a table's columns: records problems through ``edit`` (which may append
    to ``problems``) and returns the schema with the edited table."""
    assert change.table is not None
    table = _table_missing(schema, change, problems)
    return schema if table is None else schema.with_table(edit(table))


def _surely_there(table: Table, name: str) -> bool:
    """Whether what ``table`` lists by ``name`` is certainly there: not when the table is
    unsure (what made it so, an operation that may not have run, may have dropped it) or
    the name vague."""
    return not table.unsure and name.casefold() not in table.vague


def _add_column(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    (column,) = change.columns

    def edit(table: Table) -> Table:
        listed = table.column(column.name)
        if listed is not None and not table.unsure:
            if not change.guarded:
                problems.append(Problem("exists", change, f"column {table.name}.{column.name}"))
            return table
        # In an unsure table, one listed by that name may have gone: it is this one now.
        kept = table.columns
        if listed is not None:
            key = column.name.casefold()
            kept = tuple(c for c in table.columns if c.name.casefold() != key)
        return table.edited(
            columns=(*kept, column),
            indexes=(*table.indexes, *change.indexes),
            constraints=(*table.constraints, *change.constraints),
        )

    return _column_change(schema, change, problems, edit)


def _check_column(table: Table, change: Change, name: str, problems: list[Problem]) -> bool:
    """Whether the column certainly exists; records a problem when it certainly does not."""
    exists = table.has_column(name)
    if exists is False and not change.guarded:
        problems.append(Problem("missing", change, f"column {table.name}.{name}"))
    return exists is True


def _drop_column(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    name = change.name
    assert name is not None

    def edit(table: Table) -> Table:
        if not _check_column(table, change, name, problems):
            return table
        # Indexes and constraints on the column go with it on PostgreSQL and SQLite; on
        # MySQL a multi-column one stays with the other columns: either way they are
        # not known any more, and what may name them is vague.
        key = name.casefold()
        gone_indexes = [i for i in table.indexes if any(_is(c, key) for c in i.columns)]
        gone_constraints = [c for c in table.constraints if any(_is(x, key) for x in c.columns)]
        vague = {i.name.casefold() for i in gone_indexes if i.name} | {
            c.name.casefold() for c in gone_constraints if c.name
        }
        return table.edited(
            columns=tuple(c for c in table.columns if c.name.casefold() != key),
            indexes=tuple(i for i in table.indexes if i not in gone_indexes),
            constraints=tuple(c for c in table.constraints if c not in gone_constraints),
            vague=table.vague | vague,
        )

    return _column_change(schema, change, problems, edit)


def _alter_column(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    name, alter = change.name, change.alter
    assert name is not None and alter is not None

    def edit(table: Table) -> Table:
        if not _check_column(table, change, name, problems):
            return table
        column = table.column(name)
        assert column is not None
        new = column
        if alter.new_name is not None and not same(alter.new_name, name):
            if table.has_column(alter.new_name) is True and not table.unsure:
                problems.append(Problem("exists", change, f"column {table.name}.{alter.new_name}"))
            new = replace(new, name=alter.new_name)
        if alter.unknown:
            new = replace(new, nullable=None, type=None, default=None)
        if alter.unknown_nullable:
            new = replace(new, nullable=None)
        if alter.nullable is not None:
            new = replace(new, nullable=alter.nullable)
        if alter.type is not None:
            new = replace(new, type=alter.type)
        if alter.drop_default:
            new = replace(new, default=None)
        elif alter.default is not None:
            new = replace(new, default=alter.default)
        key = new.name.casefold()
        columns = tuple(
            new if c is column else c
            for c in table.columns
            if c is column or c.name.casefold() != key  # an unsure table's stale listing
        )
        if new.name == column.name:
            return table.edited(columns=columns)

        # Indexes and constraints follow a renamed column.
        def renamed(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new.name if same(n, name) else n for n in names)

        indexes = tuple(
            replace(i, columns=tuple(new.name if same(c, name) else c for c in i.columns))
            for i in table.indexes
        )
        constraints = tuple(replace(c, columns=renamed(c.columns)) for c in table.constraints)
        return table.edited(columns=columns, indexes=indexes, constraints=constraints)

    return _column_change(schema, change, problems, edit)


def _create_index(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    (index,) = change.indexes

    def edit(table: Table) -> Table:
        if (
            index.name is not None
            and table.has_index(index.name) is True
            and _surely_there(table, index.name)
        ):
            if not change.guarded:
                problems.append(Problem("exists", change, f"index {index.name} on {table.name}"))
            return table
        for column in index.columns:
            if column is not None and table.has_column(column) is False:
                problems.append(Problem("missing", change, f"column {table.name}.{column}"))
        if index.name is None:
            return table.edited(indexes=(*table.indexes, index))
        # One listed by that name was vague (it may have gone): it is this one now.
        key = index.name.casefold()
        kept = tuple(i for i in table.indexes if not _is(i.name, key))
        return table.edited(indexes=(*kept, index), vague=table.vague - {index.name.casefold()})

    return _column_change(schema, change, problems, edit)


def _drop_index(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    name = change.name
    assert name is not None
    if change.table is not None:

        def edit(table: Table) -> Table:
            exists = table.has_index(name)
            if exists is False and not change.guarded:
                problems.append(Problem("missing", change, f"index {name} on {table.name}"))
            return _without_index(table, name, exists)

        return _column_change(schema, change, problems, edit)
    # No table given: the index is looked up by name in the whole schema.
    for table in schema.tables.values():
        if table.index(name) is not None:
            return schema.with_table(_without_index(table, name, True))
    certain = schema.rest is None and not schema.unsure
    certain = certain and all(t.has_index(name) is False for t in schema.tables.values())
    if certain and not change.guarded:
        problems.append(Problem("missing", change, f"index {name}"))
    return schema


def _without_index(table: Table, name: str, existed: bool | None) -> Table:
    """``table`` without the index ``name``. When it was not known to exist by that name
    (it may have been one named by a convention or the database), what is left of the
    table's indexes is vague from then on."""
    if existed is None:
        return _may_be_any(table, name, constraints="unique")
    key = name.casefold()
    return table.edited(
        indexes=tuple(i for i in table.indexes if not _is(i.name, key)),
        vague=table.vague - {key},
    )


#: In ``Table.vague``: the indexes and constraints without a name may be fewer than listed.
_UNNAMED = "\0unnamed"


def _may_be_any(table: Table, *names: str, constraints: str) -> Table:
    """``table`` after a drop or rename of an index or constraint (of kind
    ``constraints``: "any", or one kind) known by none of its ``names``: it may have been
    any listed one, which a naming convention named otherwise than the migration wrote
    (``op.create_check_constraint("positive", ...)`` makes ``ck_<table>_positive``), or one
    the database named. Those names, and the unnamed ones, are vague from then on."""
    vague = {n.casefold() for n in names} | {_UNNAMED}
    vague |= {
        c.name.casefold() for c in table.constraints if c.name and constraints in (c.kind, "any")
    }
    if constraints in ("any", "unique"):  # a unique constraint is an index on MySQL
        vague |= {i.name.casefold() for i in table.indexes if i.name}
    return table.edited(vague=table.vague | vague)


def _add_constraint(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    (constraint,) = change.constraints

    def edit(table: Table) -> Table:
        if (
            constraint.name is not None
            and table.constraint(constraint.name) is not None
            and _surely_there(table, constraint.name)
        ):
            problems.append(
                Problem("exists", change, f"constraint {constraint.name} on {table.name}")
            )
            return table
        for column in constraint.columns:
            if table.has_column(column) is False:
                problems.append(Problem("missing", change, f"column {table.name}.{column}"))
        referent = _referent_table(constraint)
        if referent is not None and schema.has_table(referent) is False:
            problems.append(Problem("missing", change, f"table {referent}"))
        if constraint.name is None:
            return table.edited(constraints=(*table.constraints, constraint))
        # One listed by that name was vague (it may have gone): it is this one now.
        kept = tuple(c for c in table.constraints if not same(c.name, constraint.name))
        return table.edited(
            constraints=(*kept, constraint),
            vague=table.vague - {constraint.name.casefold()},
        )

    return _column_change(schema, change, problems, edit)


def _referent_table(constraint: Constraint) -> str | None:
    if constraint.kind != "foreignkey" or not constraint.referent:
        return None
    return constraint.referent.split("(", 1)[0].strip() or None


def _drop_constraint(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    name = change.name
    assert name is not None

    def edit(table: Table) -> Table:
        exists = table.has_constraint(name, change.kind)
        if exists is False and not change.guarded:
            problems.append(Problem("missing", change, f"constraint {name} on {table.name}"))
        if exists is None:  # it may have been one the database or a convention named
            return _may_be_any(table, name, constraints=change.kind or "any")
        return table.edited(
            constraints=tuple(c for c in table.constraints if not same(c.name, name)),
            indexes=tuple(i for i in table.indexes if not same(i.name, name)),
            vague=table.vague - {name.casefold()},
        )

    return _column_change(schema, change, problems, edit)


#: Constraints that own an index of their name (PostgreSQL renames the two together).
_INDEXED = ("unique", "primary", "exclude")


def _rename_index(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    """``ALTER INDEX a RENAME TO b`` (looked up by name) or MySQL's ``RENAME INDEX``: the
    index, and a constraint it is the index of, take the new name."""
    if change.table is not None:
        return _column_change(schema, change, problems, lambda t: _renamed(t, change, True))
    # Looked up by name, in the index's schema when it names one (``s.ix``).
    assert change.name is not None
    where, _, name = change.name.rpartition(".")
    change = replace(change, name=name)
    holders = [
        t
        for t in schema.tables.values()
        if (t.name.rpartition(".")[0].casefold() == where.casefold() if where else True)
        and _holds(t, name)
    ]
    if len(holders) == 1:
        return schema.with_table(_renamed(holders[0], change, True))
    # Not known by that name alone (one a convention or the database named, one of a
    # table the model does not know, or of more than one schema): any table's indexes
    # may have changed names.
    after = schema
    for table in schema.tables.values():
        after = after.with_table(_vague(table, change))
    return after


def _vague(table: Table, change: Change) -> Table:
    """``table`` where the index or constraint ``change`` renames may have been one."""
    assert change.name is not None and change.alter is not None and change.alter.new_name
    kinds = "any" if change.action == "rename_constraint" else "unique"
    return _may_be_any(table, change.name, change.alter.new_name, constraints=kinds)


def _holds(table: Table, name: str) -> bool:
    """Whether the table has an index, or an indexed constraint, of that name."""
    constraint = table.constraint(name)
    return table.index(name) is not None or (constraint is not None and constraint.kind in _INDEXED)


def _rename_constraint(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    """``ALTER TABLE t RENAME CONSTRAINT a TO b``: the constraint, and the index of a
    unique or primary key constraint, take the new name."""
    return _column_change(schema, change, problems, lambda t: _renamed(t, change, False))


def _renamed(table: Table, change: Change, index_first: bool) -> Table:
    """``table`` with the index or constraint ``change.name`` renamed; when it holds none
    by that name, what may have been renamed is vague."""
    old, new = change.name, change.alter.new_name if change.alter else None
    assert old is not None and new is not None
    index = table.index(old)
    constraint = table.constraint(old)
    if constraint is not None and constraint.kind not in _INDEXED:
        # A foreign key or a check has no index: its name and an index's are two objects'.
        if index_first:
            constraint = None
        else:
            index = None
    elif not index_first and constraint is None:
        index = None  # RENAME CONSTRAINT renames no plain index
    if index is None and constraint is None:
        return _vague(table, change)
    return table.edited(
        indexes=tuple(replace(i, name=new) if i is index else i for i in table.indexes),
        constraints=tuple(
            replace(c, name=new) if c is constraint else c for c in table.constraints
        ),
        vague=table.vague - {new.casefold()},
    )


def _unknown(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    if not change.op:
        why = change.why
    elif change.why:
        why = f"`{change.op}()` with {change.why}"
    else:
        why = f"`{change.op}()`, an operation it does not read"
    if change.table is None:
        return schema.all_unsure(why)
    return schema.with_unsure(change.table, why)


_HANDLERS: dict[str, Callable[[Schema, Change, list[Problem]], Schema]] = {
    "create_table": _create_table,
    "drop_table": _drop_table,
    "rename_table": _rename_table,
    "add_column": _add_column,
    "drop_column": _drop_column,
    "alter_column": _alter_column,
    "create_index": _create_index,
    "drop_index": _drop_index,
    "add_constraint": _add_constraint,
    "drop_constraint": _drop_constraint,
    "rename_index": _rename_index,
    "rename_constraint": _rename_constraint,
    "unknown": _unknown,
}

__all__ = ["Column", "Constraint", "Index", "Problem", "apply"]
