"""AL003 merge-parent-missing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RefKind, RevisionGraph
from alembic_lint.model import Element, History
from alembic_lint.rules import Rule
from alembic_lint.rules._common import EXCERPT, excerpt
from alembic_lint.rules.examples import history, m, raw
from alembic_lint.rules.missing_parent import _certain, deleted_in, suggest


class MergeParentMissing(Rule):
    """
    ## What it does
    Flags a merge migration (one whose `down_revision` names several parents)
    with a parent that no file defines.

    ## Why is this bad?
    This is what happens when a branch's migration is deleted after a merge
    migration was written for it: Alembic stops with `KeyError` at deploy time,
    for every command. Reported instead of `missing-parent` for that parent.

    ## Fix
    If the deleted revision never reached a database, point the merge at the
    revisions that exist (or delete the merge migration when only one parent is
    left); otherwise restore the deleted file.
    """

    code = "AL003"
    name = "merge-parent-missing"
    summary = "A merge migration names a parent that does not exist"
    severity = Severity.ERROR
    graph = True
    valid = [
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
            m("cccccccccccc", "aaaaaaaaaaaa"),
            m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
        )
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m("cccccccccccc", "aaaaaaaaaaaa"),
            raw(
                "dddddddddddd_merge.py",
                """
                revision = "dddddddddddd"
                down_revision = (
                    "bbbbbbbbbbbb",  # expect: AL003
                    "cccccccccccc",
                )
                branch_labels = None
                depends_on = None


                def upgrade():
                    pass


                def downgrade():
                    pass
                """,
            ),
            title="the merge's first parent was deleted",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        if not _certain(graph):
            return
        for bad in graph.bad_refs:
            migration = graph.migrations[bad.node]
            if (
                bad.attribute != "down_revision"
                or bad.kind is not RefKind.MISSING
                or len(migration.down_revision.elements) < 2
            ):
                continue
            elements = migration.down_revision.elements
            # The first few others only: a merge of thousands of missing parents made this
            # loop quadratic (each parent is a distinct element, so the others number n - 1).
            others = [str(e.value) for e in islice(_other(elements, bad.element), EXCERPT)]
            message = (
                f"merge parent '{bad.element.value}' names no revision in this history "
                f"(was it deleted?); the other parents: {excerpt(others, len(elements) - 1)}"
            )
            hint = suggest(str(bad.element.value), graph)
            if hint:
                message += f"; did you mean '{hint}'?"
            message += deleted_in(history, str(bad.element.value))
            yield self.diagnostic(migration, bad.element.ref, message)


def _other(elements: Iterable[Element], element: Element) -> Iterator[Element]:
    return (e for e in elements if e != element)
