"""AL014 not-on-target-head."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.branch import Origin
from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule, related
from alembic_lint.rules._common import down_ref, who
from alembic_lint.rules.examples import against, m


class NotOnTargetHead(Rule):
    """
    ## What it does
    With `--against REV`: flags a revision the branch adds that does not descend from
    the head of `REV`'s history (on its branch label), at the branch's first new
    revision, with the command that re-points it.

    ## Why is this bad?
    The branch was written on an older head: both branches pass CI on their own, and
    the history forks only once both are merged, with "Multiple head revisions are
    present" on the next deploy. This is the "new revisions must descend from the
    base branch's tip" check that teams run before merging.

    ## Fix
    Re-point the branch's first new revision at the target's head:
    `alembic-lint rebase --onto HEAD_ID` after merging the target into the branch (or
    write a merge migration with `alembic-lint merge`).
    """

    code = "AL014"
    name = "not-on-target-head"
    summary = "A revision the branch adds does not descend from the target's head"
    severity = Severity.ERROR
    graph = True
    needs_branch = True
    valid = [
        against(
            base=(m("aaaaaaaaaaaa"),),
            target=(m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),),
            branch=(m("cccccccccccc", "bbbbbbbbbbbb"),),
            title="written on the target's current head",
        ),
        against(
            base=(m("aaaaaaaaaaaa"),),
            target=(m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),),
            branch=(
                m("cccccccccccc", "aaaaaaaaaaaa"),
                m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
            ),
            title="a branch closed by a merge migration",
        ),
    ]
    invalid = [
        against(
            base=(m("aaaaaaaaaaaa"),),
            target=(m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),),
            branch=(m("cccccccccccc", "aaaaaaaaaaaa", expect={"down_revision": "AL014"}),),
            title="written on the head the target had when the branch forked",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        branch = history.branch
        if branch is None or graph.uncertain or graph.dangling:
            return
        migrations = graph.migrations
        down = graph.down_graph
        new = {n for n in down if branch.origin(migrations[n].path) is Origin.ADDED_HERE}
        if not new:
            return
        # The target's heads: revisions the branch did not add, with no such child.
        theirs = [
            n for n in down if n not in new and not any(c not in new for c in down.successors(n))
        ]
        reported: set[int] = set()
        for tip in (n for n in new if down.out_degree(n) == 0):
            line = graph.ancestors(tip) | {tip}
            labels = graph.labels(tip)
            heads = [h for h in theirs if graph.labels(h) <= labels]
            # Several heads on the target already: multiple-heads' business, not the branch's.
            if len(heads) != 1 or heads[0] in line:
                continue
            (head,) = heads
            bottoms = [n for n in line & new if not (graph.ancestors(n) & new)]
            for bottom in sorted(bottoms):
                if bottom in reported:
                    continue
                reported.add(bottom)
                migration = migrations[bottom]
                parents = ", ".join(str(p) for p in migration.down_ids) or "None"
                yield self.diagnostic(
                    migration,
                    down_ref(migration),
                    f"{who(graph, bottom)} was written on {parents}, but the head of "
                    f"{branch.target} is {who(graph, head)}: merged, the history forks; "
                    f"fix: alembic-lint rebase --onto {graph.id_of(head)}",
                    related=[
                        related(migrations[head], down_ref(migrations[head]), "the target's head")
                    ],
                )
