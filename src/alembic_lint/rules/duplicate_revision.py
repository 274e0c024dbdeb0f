"""AL004 duplicate-revision."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule, related
from alembic_lint.rules._common import EXCERPT, excerpt, file_of, nearby
from alembic_lint.rules.examples import history, m


class DuplicateRevision(Rule):
    """
    ## What it does
    Flags two or more files that define the same revision id.

    ## Why is this bad?
    Alembic only warns ("Revision bbbb2222 is present more than once"): the
    last-loaded file silently wins, the other one is never run by
    `upgrade head`, and still counts as a head (nothing can name it: the id names
    the winner), so `upgrade head` fails with "Multiple head revisions are
    present". Usually a file was copied to start a
    new migration and its `revision` was not changed.

    ## Fix
    Give the newer file a fresh id (12 hex characters, as Alembic writes) and
    re-point its children.
    """

    code = "AL004"
    name = "duplicate-revision"
    summary = "Several files define the same revision id"
    severity = Severity.ERROR
    graph = True
    valid = [history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                filename="b1_add_users.py",
                expect={"revision": "AL004"},
            ),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                filename="b2_add_orders.py",
                expect={"revision": "AL004"},
            ),
            title="a file copied without changing its revision",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for rid, nodes in graph.duplicates.items():
            winner = graph.migrations[nodes[-1]].filename
            files = excerpt([file_of(graph, n) for n in nodes[:EXCERPT]], len(nodes))
            for index, node in enumerate(nodes):
                migration = graph.migrations[node]
                copies = "the other copy" if len(nodes) == 2 else "the other copies"
                message = (
                    f"revision '{rid}' is defined by {len(nodes)} files ({files}); "
                    f"Alembic keeps only {winner} and counts {copies} as a head"
                )
                others = [
                    related(
                        graph.migrations[o], _revision_ref(graph.migrations[o]), "also defined here"
                    )
                    for o in nearby(nodes, index)
                ]
                yield self.diagnostic(migration, _revision_ref(migration), message, related=others)


def _revision_ref(migration: object) -> int:
    from alembic_lint.model import Migration

    assert isinstance(migration, Migration)
    elements = migration.revision.elements
    return elements[0].ref if elements else migration.revision.ref
