"""AL010 merge-conflict."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import against, m

_ADD_X = "op.add_column('user', sa.Column('x', sa.{}()))"


class MergeConflict(Rule):
    """
    ## What it does
    With `--against REV`: flags a migration (or the Alembic configuration) that the
    branch and `REV` both changed in ways git cannot merge: edited differently on
    each side, edited on one side and deleted on the other, added on both sides with
    different contents, or renamed differently. Changes on both sides that git merges
    cleanly are merged (by git's own three-way text merge) and checked as merged.

    ## Why is this bad?
    `git merge` (and the merge button of every code host) will stop at this file.
    Whoever resolves the conflict decides which migration databases run; when one
    side's version has already been deployed, the other side's changes need a new
    migration rather than an edit. alembic-lint does not guess the resolution: the
    graph checks that depend on this file are held back.

    ## Fix
    Merge or rebase `REV` into the branch now, resolve the conflict (usually by
    keeping the deployed version and moving the other change into a new migration),
    and check again.
    """

    code = "AL010"
    name = "merge-conflict"
    summary = "The branch and the target changed a migration in ways git cannot merge"
    severity = Severity.ERROR
    graph = True
    needs_branch = True
    valid = [
        against(
            base=(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
            target=(m("cccccccccccc", "bbbbbbbbbbbb"),),
            branch=(m("dddddddddddd", "cccccccccccc", message="add index"),),
            title="each side adds its own files",
        )
    ]
    invalid = [
        against(
            base=(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
            target=(m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=_ADD_X.format("BigInteger")),),
            branch=(
                m(
                    "bbbbbbbbbbbb",
                    "aaaaaaaaaaaa",
                    upgrade=_ADD_X.format("String"),
                    expect={"revision": "AL010"},
                ),
            ),
            title="both sides edit the same line of a migration",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        branch = history.branch
        if branch is None:
            return
        by_path = {m.path: m for m in history.migrations}
        for conflict in branch.conflicts:
            message = (
                f"git merge into {branch.target} will stop here: {conflict.reason}; "
                f"merge {branch.target} into this branch and resolve it first"
            )
            migration = by_path.get(conflict.path)
            if migration is None:
                yield self.diagnostic_at(conflict.path, None, message)
            else:
                yield self.diagnostic(migration, migration.revision.ref, message)
