"""One copy of what many files' schema changes repeat, for the facts a run keeps."""

from __future__ import annotations

import sys

from alembic_lint.schema.changes import SchemaChanges
from alembic_lint.schema.objects import Column

#: The columns seen so far, each its own key (``Column("id", "sa.Integer()", False)`` is in
#: most ``create_table``s of a history). Bounded: a long-running process reads without end.
_COLUMNS: dict[Column, Column] = {}
_COLUMNS_MAX = 65536


def shared(changes: SchemaChanges | None) -> SchemaChanges | None:
    """``changes`` holding one copy of each operation's name (``"op.add_column"``) and
    of each column: a run keeps every file's changes until the end (about a quarter of
    its facts' memory at 10,000 files), and most of what they hold is repeated.

    The Change objects are new and not seen by anyone else yet: they are given the
    shared values in place rather than built again (which costs more than reading them)."""
    if changes is None:
        return None
    columns = _COLUMNS
    if len(columns) > _COLUMNS_MAX:
        columns.clear()
    intern = sys.intern
    set_field = object.__setattr__
    for group in (changes.upgrade, changes.downgrade):
        for change in group:
            set_field(change, "op", intern(change.op))
            if change.columns:
                set_field(
                    change, "columns", tuple(columns.setdefault(c, c) for c in change.columns)
                )
    return changes
