"""Small helpers shared by several rules (wording of revisions and files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from alembic_lint.graph import RevisionGraph
from alembic_lint.model import Migration, OpCall

#: The operations of the last migration asked about, and their indexes by ref (see index_at).
_by_ref: tuple[tuple[OpCall, ...], dict[int, int]] = ((), {})

T = TypeVar("T")


def who(graph: RevisionGraph, node: int) -> str:
    """``bbbbbbbbbbbb (b_left.py)``; on a predicted merge, how the file got there when it
    was not there at the fork point: ``bbbbbbbbbbbb (added on this branch)``."""
    migration = graph.migrations[node]
    branch = graph.history.branch
    how = branch.describe(migration.path) if branch is not None else None
    return f"{graph.id_of(node)} ({how or migration.filename})"


def file_of(graph: RevisionGraph, node: int) -> str:
    """``b_left.py``; on a predicted merge ``b_left.py, added on this branch``."""
    migration = graph.migrations[node]
    branch = graph.history.branch
    return branch.name(migration.path) if branch is not None else migration.filename


def down_ref(migration: Migration) -> int:
    """Where a graph finding about a revision points: its down_revision, else its revision."""
    if migration.down_revision.ref >= 0:
        return migration.down_revision.ref
    return migration.revision.ref


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


#: How many revisions a message names, or a finding relates to, when a group is large
#: (thousands of heads or cycle members would make every finding as long as the history).
EXCERPT = 10


def excerpt(names: Sequence[str], total: int) -> str:
    """``a, b, c``; of a group larger than the names given: ``a, b, c and 7 more``."""
    shown = ", ".join(names)
    return shown if total <= len(names) else f"{shown} and {total - len(names)} more"


def nearby(group: Sequence[T], index: int) -> list[T]:
    """The other members of ``group`` (all of them when it is small), else the
    ``EXCERPT - 1`` that follow ``group[index]``, wrapping around."""
    if len(group) <= EXCERPT:
        return [m for i, m in enumerate(group) if i != index]
    return [group[(index + step) % len(group)] for step in range(1, EXCERPT)]


def index_at(migration: Migration, ref: int) -> int | None:
    """Where the operation call ``ref`` is in ``migration.ops``. A file's fixes are asked
    for one after another, so the lookup table of the last file asked about is kept (a
    squashed migration has thousands of calls and hundreds of drops: a scan per fix was
    quadratic)."""
    global _by_ref
    ops, table = _by_ref
    if ops is not migration.ops:
        table = {call.ref: index for index, call in enumerate(migration.ops)}
        _by_ref = (migration.ops, table)
    return table.get(ref)
