"""Small helpers shared by several rules (wording of revisions and files)."""

from __future__ import annotations

from alembic_lint.graph import RevisionGraph
from alembic_lint.model import Migration


def who(graph: RevisionGraph, node: int) -> str:
    """``bbbbbbbbbbbb (b_left.py)``."""
    return f"{graph.id_of(node)} ({graph.migrations[node].filename})"


def down_ref(migration: Migration) -> int:
    """Where a graph finding about a revision points: its down_revision, else its revision."""
    if migration.down_revision.ref >= 0:
        return migration.down_revision.ref
    return migration.revision.ref
