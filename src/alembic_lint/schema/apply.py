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
        return _maybe(schema, change, handler), []
    after = handler(schema, change, problems)
    if problems and change.table is not None:
        after = after.with_unsure(change.table, f"after `{change.op}()` that fails")
    return after, problems


def _maybe(
    schema: Schema, change: Change, handler: Callable[[Schema, Change, list[Problem]], Schema]
) -> Schema:
    """A change that may not run: what it touches is unsure afterwards (its existence too
    when it creates, drops or renames tables), and nothing is said of it."""
    why = f"`{change.op}()` under a condition"
    if change.table is None:
        return handler(schema, change, []) if change.action == "unknown" else schema.all_unsure(why)
    tables = {"create_table", "drop_table", "rename_table"}
    exists = change.action not in tables and schema.has_table(change.table) is True
    after = schema.with_unsure(change.table, why, exists=exists)
    if change.action == "rename_table" and change.name:
        after = after.with_unsure(change.name, why)
    return after


def _table_missing(schema: Schema, change: Change, problems: list[Problem]) -> Table | None:
    """The table a change works on when it certainly exists and is exactly known; records
    a problem when it certainly does not exist."""
    assert change.table is not None
    exists = schema.has_table(change.table)
    if exists is False and not change.guarded:
        problems.append(Problem("missing", change, f"table {change.table}"))
    if exists is not True:
        return None
    return schema.table(change.table)


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


def _add_column(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    (column,) = change.columns

    def edit(table: Table) -> Table:
        if table.has_column(column.name) is True:
            if not change.guarded:
                problems.append(Problem("exists", change, f"column {table.name}.{column.name}"))
            return table
        return table.edited(
            columns=(*table.columns, column),
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
        gone_indexes = [i for i in table.indexes if any(same(c, name) for c in i.columns)]
        gone_constraints = [c for c in table.constraints if any(same(x, name) for x in c.columns)]
        vague = {i.name.casefold() for i in gone_indexes if i.name} | {
            c.name.casefold() for c in gone_constraints if c.name
        }
        return table.edited(
            columns=tuple(c for c in table.columns if not same(c.name, name)),
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
            if table.has_column(alter.new_name) is True:
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
        columns = tuple(new if c is column else c for c in table.columns)
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
        if index.name is not None and table.has_index(index.name) is True:
            if not change.guarded:
                problems.append(Problem("exists", change, f"index {index.name} on {table.name}"))
            return table
        for column in index.columns:
            if column is not None and table.has_column(column) is False:
                problems.append(Problem("missing", change, f"column {table.name}.{column}"))
        return table.edited(indexes=(*table.indexes, index))

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
        return table.edited(vague=table.vague | {name.casefold(), _UNNAMED})
    return table.edited(
        indexes=tuple(i for i in table.indexes if not same(i.name, name)),
        vague=table.vague - {name.casefold()},
    )


#: In ``Table.vague``: the indexes and constraints without a name may be fewer than listed.
_UNNAMED = "\0unnamed"


def _add_constraint(schema: Schema, change: Change, problems: list[Problem]) -> Schema:
    (constraint,) = change.constraints

    def edit(table: Table) -> Table:
        if constraint.name is not None and table.constraint(constraint.name) is not None:
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
        return table.edited(constraints=(*table.constraints, constraint))

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
            return table.edited(vague=table.vague | {name.casefold(), _UNNAMED})
        return table.edited(
            constraints=tuple(c for c in table.constraints if not same(c.name, name)),
            indexes=tuple(i for i in table.indexes if not same(i.name, name)),
            vague=table.vague - {name.casefold()},
        )

    return _column_change(schema, change, problems, edit)


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
    "unknown": _unknown,
}

__all__ = ["Column", "Constraint", "Index", "Problem", "apply"]
