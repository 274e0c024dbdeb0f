"""The schema at one revision: tables, columns, indexes, constraints, and what is unsure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from alembic_lint.model import frozen_setters


@dataclass(frozen=True, slots=True, init=False)
class Column:
    """A column as the migrations wrote it (``type`` and ``default`` as Python source)."""

    name: str
    type: str | None  # None: not known
    nullable: bool | None  # None: not known
    default: str | None = None  # the server default as written
    primary_key: bool = False

    def __init__(
        self,
        name: str,
        type: str | None,
        nullable: bool | None,
        default: str | None = None,
        primary_key: bool = False,
    ) -> None:
        # The dataclass's __init__ at half its cost (see model.frozen_setters): the
        # readers make one for every column of every created table.
        s = _COLUMN_SETTERS
        s[0](self, name)
        s[1](self, type)
        s[2](self, nullable)
        s[3](self, default)
        s[4](self, primary_key)


_COLUMN_SETTERS = frozen_setters(Column)


@dataclass(frozen=True, slots=True)
class Index:
    """An index; ``name`` None when the database or a naming convention names it."""

    name: str | None
    columns: tuple[str | None, ...]  # None for an expression
    unique: bool = False


@dataclass(frozen=True, slots=True)
class Constraint:
    """A constraint: ``kind`` is "primary", "unique", "foreignkey", "check" or "exclude";
    ``name`` None when the database or a naming convention names it."""

    kind: str
    name: str | None
    columns: tuple[str, ...] = ()
    referent: str | None = None  # a foreign key's target, "table(col, ...)" or "table.col"
    sqltext: str | None = None  # a check constraint's condition, when a literal


def same(a: str | None, b: str | None) -> bool:
    """Names are compared without case: unquoted SQL names fold, and a finding must never
    rest on a difference of case alone."""
    if a is None or b is None:
        return False
    return a == b or a.casefold() == b.casefold()


@dataclass(frozen=True, slots=True, init=False)
class Table:
    """A table known to exist. ``unsure`` says why its shape may differ from what is
    listed (None: exactly known); ``vague`` holds names of indexes and constraints that
    may or may not still exist (a dropped column may have taken them along)."""

    name: str
    columns: tuple[Column, ...] = ()
    indexes: tuple[Index, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    unsure: str | None = None
    vague: frozenset[str] = frozenset()

    def __init__(
        self,
        name: str,
        columns: tuple[Column, ...] = (),
        indexes: tuple[Index, ...] = (),
        constraints: tuple[Constraint, ...] = (),
        unsure: str | None = None,
        vague: frozenset[str] = frozenset(),
    ) -> None:
        # The dataclass's __init__ at half its cost (see model.frozen_setters): the
        # replay makes one for most operations.
        s = _TABLE_SETTERS
        s[0](self, name)
        s[1](self, columns)
        s[2](self, indexes)
        s[3](self, constraints)
        s[4](self, unsure)
        s[5](self, vague)

    def edited(
        self,
        *,
        columns: tuple[Column, ...] | None = None,
        indexes: tuple[Index, ...] | None = None,
        constraints: tuple[Constraint, ...] | None = None,
        vague: frozenset[str] | None = None,
    ) -> Table:
        """This table with the parts given changed (``dataclasses.replace`` costs several
        times more, and this runs for most operations replayed)."""
        return Table(
            self.name,
            self.columns if columns is None else columns,
            self.indexes if indexes is None else indexes,
            self.constraints if constraints is None else constraints,
            self.unsure,
            self.vague if vague is None else vague,
        )

    def column(self, name: str) -> Column | None:
        key = name.casefold()
        for column in self.columns:
            if column.name.casefold() == key:
                return column
        return None

    def primary_key(self) -> frozenset[str]:
        """The (case-folded) names of the primary key's columns, however it was declared."""
        keyed = {c.name for c in self.columns if c.primary_key}
        for constraint in self.constraints:
            if constraint.kind == "primary":
                keyed.update(constraint.columns)
        return frozenset(k.casefold() for k in keyed)

    def has_column(self, name: str) -> bool | None:
        """True or False when certain, None when the table's shape is not known."""
        if self.column(name) is not None:
            return True
        return None if self.unsure else False

    def index(self, name: str) -> Index | None:
        key = name.casefold()
        for index in self.indexes:
            if index.name is not None and index.name.casefold() == key:
                return index
        return None

    def has_index(self, name: str) -> bool | None:
        if self.index(name) is not None:
            return True
        if self.unsure or name.casefold() in self.vague:
            return None
        if any(i.name is None for i in self.indexes):
            return None  # named by a convention or the database: it may be this one
        return False

    def constraint(self, name: str) -> Constraint | None:
        return next((c for c in self.constraints if same(c.name, name)), None)

    def has_constraint(self, name: str, kind: str | None) -> bool | None:
        if self.constraint(name) is not None:
            return True
        if self.unsure or name.casefold() in self.vague:
            return None
        if any(c.name is None and (kind is None or c.kind == kind) for c in self.constraints):
            return None  # named by a convention or the database: it may be this one
        if self.index(name) is not None or any(i.name is None for i in self.indexes):
            return None  # MySQL drops a unique index as a constraint
        return False


_TABLE_SETTERS = frozen_setters(Table)


@dataclass(frozen=True, slots=True, init=False)
class Schema:
    """The schema after some revisions, as far as the operations tell it.

    ``tables`` are known to exist. ``unsure`` maps the names (case-folded) of tables that
    may or may not exist to why. ``rest`` says why a table the model never heard of may
    exist after all (an operation it cannot read touched the schema); then ``gone``
    holds the tables known not to exist since.
    """

    tables: Mapping[str, Table] = field(default_factory=dict)  # by case-folded name
    unsure: Mapping[str, str] = field(default_factory=dict)
    rest: str | None = None
    gone: frozenset[str] = frozenset()
    #: Some table was ever known by a schema-qualified name (``public.users``): only then
    #: may two names be one table (see apply._other_spellings). Kept, never cleared.
    qualified: bool = field(default=False, compare=False)

    def __init__(
        self,
        tables: Mapping[str, Table] | None = None,
        unsure: Mapping[str, str] | None = None,
        rest: str | None = None,
        gone: frozenset[str] = frozenset(),
        qualified: bool = False,
    ) -> None:
        # The dataclass's __init__ at half its cost (see model.frozen_setters): the
        # replay makes one for most operations. (No tables: a new empty dict each.)
        s = _SCHEMA_SETTERS
        s[0](self, {} if tables is None else tables)
        s[1](self, {} if unsure is None else unsure)
        s[2](self, rest)
        s[3](self, gone)
        s[4](self, qualified)

    def table(self, name: str) -> Table | None:
        return self.tables.get(name.casefold())

    def has_table(self, name: str) -> bool | None:
        """True or False when certain, None when the model cannot tell."""
        key = name.casefold()
        if key in self.unsure:
            return None
        if key in self.tables:
            return True
        if self.rest is None or key in self.gone:
            return False
        return None

    def why_unsure(self, name: str) -> str | None:
        """Why the model cannot be sure of the table ``name`` (None: it is)."""
        key = name.casefold()
        if key in self.unsure:
            return self.unsure[key]
        table = self.tables.get(key)
        if table is not None:
            return table.unsure
        return None if key in self.gone else self.rest

    # -- building the next schema (nothing is changed in place)

    # (Constructors rather than dataclasses.replace: these run for every operation.)

    def with_table(self, table: Table) -> Schema:
        key = table.name.casefold()
        tables = dict(self.tables)
        tables[key] = table
        unsure = self.unsure
        if key in unsure:
            unsure = {k: v for k, v in unsure.items() if k != key}
        gone = self.gone - {key} if key in self.gone else self.gone
        return Schema(tables, unsure, self.rest, gone, self.qualified or "." in key)

    def without_table(self, name: str) -> Schema:
        key = name.casefold()
        tables = dict(self.tables)
        tables.pop(key, None)
        unsure = self.unsure
        if key in unsure:
            unsure = {k: v for k, v in unsure.items() if k != key}
        gone = self.gone | {key} if self.rest is not None else self.gone
        return Schema(tables, unsure, self.rest, gone, self.qualified)

    def with_unsure(self, name: str, why: str, *, exists: bool = False) -> Schema:
        """The table ``name`` may now look like anything, or (unless ``exists``) not
        exist; its last known shape is kept, marked unsure, for what the model shows."""
        key = name.casefold()
        table = self.tables.get(key)
        tables = self.tables
        if table is not None:
            tables = dict(self.tables)
            tables[key] = replace(table, unsure=table.unsure or why)
        unsure = self.unsure
        if not exists:
            unsure = dict(self.unsure)
            unsure.setdefault(key, why)
        qualified = self.qualified or "." in key
        return replace(
            self, tables=tables, unsure=unsure, gone=self.gone - {key}, qualified=qualified
        )

    def all_unsure(self, why: str) -> Schema:
        """Anything may have happened to any table."""
        tables = {k: t if t.unsure else replace(t, unsure=why) for k, t in self.tables.items()}
        unsure = {**{k: why for k in self.tables}, **self.unsure}
        return Schema(tables, unsure, why, frozenset(), self.qualified)

    def exact(self) -> bool:
        return (
            self.rest is None
            and not self.unsure
            and all(t.unsure is None for t in self.tables.values())
        )


_SCHEMA_SETTERS = frozen_setters(Schema)


def union_names(items: Iterable[str | None]) -> frozenset[str]:
    return frozenset(i.casefold() for i in items if i)
