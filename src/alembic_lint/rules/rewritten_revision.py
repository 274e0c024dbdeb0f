"""AL012 rewritten-revision."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.branch import Origin
from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import against, m


class RewrittenRevision(Rule):
    """
    ## What it does
    With `--against REV`: flags a revision that `REV` already has (it was there when
    the branch forked) whose `down_revision` or `depends_on` the branch changes.

    ## Why is this bad?
    It rewrites history that has already been merged, and probably deployed.
    Alembic decides what to run from the graph: a database that already ran the
    revision never runs what is now inserted before it, and a database that has not
    runs the migrations in a different order than the ones that did. The usual cause
    is a rebase done by hand on the wrong file: the branch's own new migration is the
    one to re-point.

    ## Fix
    Restore the original `down_revision` / `depends_on`, and re-point the branch's
    own first migration instead (`alembic-lint rebase`).
    """

    code = "AL012"
    name = "rewritten-revision"
    summary = "The branch changes the parents of a revision the target already has"
    severity = Severity.ERROR
    graph = True
    needs_branch = True
    valid = [
        against(
            base=(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
            branch=(m("cccccccccccc", "bbbbbbbbbbbb"),),
            title="a new migration on top of the target's head",
        )
    ]
    invalid = [
        against(
            base=(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
            branch=(
                m("cccccccccccc", "aaaaaaaaaaaa"),
                m("bbbbbbbbbbbb", "cccccccccccc", expect={"down_revision": "AL012"}),
            ),
            title="a new migration slipped in under a merged one",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        branch = history.branch
        if branch is None:
            return
        by_path = {m.path: m for m in history.migrations}
        for old in branch.base:
            if branch.origin(old.path) not in (Origin.CHANGED_HERE, Origin.CHANGED_BOTH):
                continue
            now = by_path.get(old.path)
            rid = old.revision_id
            if now is None or rid is None or now.revision_id != rid:
                continue  # a changed id is deleted-revision's
            for attribute in ("down_revision", "depends_on"):
                before, after = old.var(attribute), now.var(attribute)
                if not (before.known and after.known):
                    continue
                was = tuple(e.value for e in before.elements)
                new = tuple(e.value for e in after.elements)
                if was == new:
                    continue
                yield self.diagnostic(
                    now,
                    after.ref,
                    f"{attribute} of {rid} changed from {_ids(was)} to {_ids(new)}, but {rid} "
                    f"is in {branch.target} already: databases that ran it will not run "
                    "what now comes before it; re-point the branch's own migration instead",
                )


def _ids(values: tuple[object, ...]) -> str:
    if not values:
        return "None"
    return ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
