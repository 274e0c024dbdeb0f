"""Schema changes as a run keeps them: one copy of what many files repeat, cheap to pickle."""

from __future__ import annotations

import copyreg
import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from alembic_lint.schema.changes import Alter, Change, SchemaChanges
from alembic_lint.schema.objects import Column, Constraint, Index


@dataclass(eq=False, slots=True)
class Pool:
    """The parts of schema changes seen so far, one copy each: columns, tuples of them,
    alterations."""

    columns: dict[Column, Column] = field(default_factory=dict)
    #: By the ids of their (shared) columns.
    tuples: dict[tuple[int, ...], tuple[Column, ...]] = field(default_factory=dict)
    alters: dict[Alter, Alter] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns) + len(self.tuples) + len(self.alters)


#: What the readers share within a process (each file's changes as it is read). Bounded:
#: a long-running process reads without end.
_POOL = Pool()
_POOL_MAX = 65536


def shared(changes: SchemaChanges | None) -> SchemaChanges | None:
    """``changes`` holding one copy of each operation's name (``"op.add_column"``), of
    each column, of each tuple of columns and of each alteration, from the process's
    pool: a run keeps every file's changes until the end (about a quarter of its facts'
    memory at 10,000 files), and most of what they hold is repeated. Only columns and
    alterations whose flags are booleans (or None) are shared: of those, equal ones say
    the same thing.

    The Change objects are given the shared values in place rather than built again
    (which costs more than reading them): a shared value is equal to the one it replaces,
    so whoever else may hold the Change sees no difference. Changes shared already (the
    reader shared them in this process, and the run passes them again) are left as they
    are: the first of their tuples of columns tells."""
    if changes is None:
        return None
    pool = _POOL
    if len(pool) > _POOL_MAX:
        pool.columns.clear()
        pool.tuples.clear()
        pool.alters.clear()
    columns = pool.columns
    tuples = pool.tuples
    first = next(
        (c.columns for g in (changes.upgrade, changes.downgrade) for c in g if c.columns), None
    )
    if first is not None and tuples.get(tuple(map(id, first))) is first:
        return changes
    alters = pool.alters
    intern = sys.intern
    set_field = object.__setattr__
    for group in (changes.upgrade, changes.downgrade):
        for change in group:
            set_field(change, "op", intern(change.op))
            if change.columns:
                one = tuple([columns.setdefault(c, c) if _plain(c) else c for c in change.columns])
                set_field(change, "columns", tuples.setdefault(tuple(map(id, one)), one))
            alter = change.alter
            if alter is not None and _plain_alter(alter):
                set_field(change, "alter", alters.setdefault(alter, alter))
    return changes


def _plain(column: Column) -> bool:
    """Whether the column's flags are booleans (or None), as the readers make them: a
    column whose ``nullable`` were 0 is equal in Python to one whose ``nullable`` is
    False, and must not be taken for it (it would change what a finding says)."""
    nullable = column.nullable
    return (nullable is None or type(nullable) is bool) and type(column.primary_key) is bool


def _plain_alter(alter: Alter) -> bool:
    """Whether the alteration's flags are booleans (or None); see :func:`_plain`."""
    return all(
        value is None or type(value) is bool
        for value in (alter.nullable, alter.drop_default, alter.unknown, alter.unknown_nullable)
    )


def _by_constructor(cls: type[Any]) -> Callable[[Any], tuple[type[Any], tuple[Any, ...]]]:
    """How to pickle a frozen dataclass as a call of its constructor with its fields in
    order, rather than by the generic ``__getstate__``/``__setstate__`` of slotted
    dataclasses (which look up the fields and set them one by one on every object)."""
    fields = dataclasses.fields(cls)
    assert all(f.init and not f.kw_only for f in fields), cls
    values = attrgetter(*(f.name for f in fields))
    return lambda obj: (cls, values(obj))


# Pool workers send every file's facts back pickled, changes included: 1000 files' changes
# took 0.08 s to unpickle in the main process field by field, 0.04 s this way.
for _cls in (SchemaChanges, Change, Alter, Column, Index, Constraint):
    copyreg.pickle(_cls, _by_constructor(_cls))
