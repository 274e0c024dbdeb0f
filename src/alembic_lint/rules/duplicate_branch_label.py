"""AL007 duplicate-branch-label."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule, related
from alembic_lint.rules._common import who
from alembic_lint.rules.examples import history, m

_E = {"branch_labels": "AL007"}


class DuplicateBranchLabel(Rule):
    """
    ## What it does
    Flags a branch label declared by two revisions (or twice by one), or equal to
    a revision id.

    ## Why is this bad?
    Alembic refuses to load the history: "Branch name 'foo' in revision bbbb2222
    already used by revision aaaa1111". Labels and ids share one namespace.

    ## Fix
    Keep the label on the first revision of the branch only; descendants inherit it.
    """

    code = "AL007"
    name = "duplicate-branch-label"
    summary = "A branch label is declared twice or equals a revision id"
    severity = Severity.ERROR
    graph = True
    valid = [history(m("aaaaaaaaaaaa", labels="core"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))]
    invalid = [
        history(
            m("aaaaaaaaaaaa", labels="core"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", labels="core", expect=_E),
            title="a label repeated on a descendant",
        ),
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", labels="aaaaaaaaaaaa", expect=_E),
            title="a label equal to a revision id",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for clash in graph.label_clashes:
            migration = graph.migrations[clash.node]
            other = graph.migrations[clash.other]
            if clash.with_id:
                message = (
                    f"branch label '{clash.label}' is also the id of revision "
                    f"{who(graph, clash.other)}"
                )
            elif clash.other == clash.node:
                message = f"branch label '{clash.label}' is declared twice in this revision"
            else:
                message = (
                    f"branch label '{clash.label}' is already declared by revision "
                    f"{who(graph, clash.other)}"
                )
            yield self.diagnostic(
                migration,
                migration.branch_labels.ref,
                message,
                related=[related(other, other.branch_labels.ref, "first declared here")],
            )
