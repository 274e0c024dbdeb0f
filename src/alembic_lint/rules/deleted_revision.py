"""AL011 deleted-revision."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.branch import Origin
from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration
from alembic_lint.rules import Rule, related
from alembic_lint.rules._common import who
from alembic_lint.rules.examples import against, m


class DeletedRevision(Rule):
    """
    ## What it does
    With `--against REV`: flags a revision that `REV` already has (it was there when
    the branch forked) but that the branch deletes, or whose `revision` id the branch
    changes.

    ## Why is this bad?
    Every database that was upgraded through that revision has its id in
    `alembic_version`. Once the file is gone, `alembic upgrade` on those databases
    stops with "Can't locate revision identified by '...'", and its children no longer
    have a parent. Deleting a migration is only safe when it never reached any
    database, and then it is not on the target branch yet.

    ## Fix
    Restore the file (the message gives the `git checkout` command) and undo its
    effect with a new migration instead; keep its `revision` id unchanged.
    """

    code = "AL011"
    name = "deleted-revision"
    summary = "The branch deletes (or renames the id of) a revision the target already has"
    severity = Severity.ERROR
    graph = True
    needs_branch = True
    valid = [
        against(
            base=(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
            branch=(m("cccccccccccc", "bbbbbbbbbbbb", message="undo b"),),
            title="undo an applied migration with a new one",
        )
    ]
    invalid = [
        against(
            base=(
                m("aaaaaaaaaaaa"),
                m("bbbbbbbbbbbb", "aaaaaaaaaaaa", expect={"revision": "AL011"}),
            ),
            deleted=("bbbbbbbbbbbb_example.py",),
            title="a merged migration deleted",
        ),
        against(
            base=(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
            branch=(
                m(
                    "bbbbbbbbbbbc",
                    "aaaaaaaaaaaa",
                    filename="bbbbbbbbbbbb_example.py",
                    expect={"revision": "AL011"},
                ),
            ),
            title="the id of a merged migration changed",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        branch = history.branch
        if branch is None:
            return
        by_path = {m.path: m for m in history.migrations}
        for old in branch.base:
            rid = old.revision_id
            origin = branch.origin(old.path)
            if rid is None or rid in graph.by_id or graph.uncertain:
                continue
            if origin is Origin.DELETED_HERE:
                yield self._deleted(old, rid, graph, history)
            elif origin in (Origin.CHANGED_HERE, Origin.CHANGED_BOTH):
                now = by_path.get(old.path)
                if now is not None and now.revision_id is not None:
                    message = (
                        f"revision id changed from '{rid}' to '{now.revision_id}', but {rid} "
                        f"is in {branch.target} already: databases stamped with it could no "
                        "longer upgrade; keep the id"
                    )
                    yield self.diagnostic(now, _id_ref(now), message)

    def _deleted(
        self, old: Migration, rid: str, graph: RevisionGraph, history: History
    ) -> Diagnostic:
        branch = history.branch
        assert branch is not None
        children = [
            n for n, m in enumerate(graph.migrations) if rid in m.down_ids or rid in m.depends_ids
        ]
        message = (
            f"{rid} ({old.filename}) is deleted on this branch, but it is in {branch.target}: "
            "databases stamped with it could no longer upgrade"
        )
        if children:
            message += "; " + ", ".join(who(graph, n) for n in children) + " still revise it"
        message += f"; restore it with: git checkout {branch.fork} -- {branch.shown(old.path)}"
        return self.diagnostic_at(
            old.path,
            old.span(_id_ref(old)) if old.spans is not None else None,
            message,
            revision=rid,
            related=[
                related(graph.migrations[n], graph.migrations[n].down_revision.ref, "revises it")
                for n in children
            ],
        )


def _id_ref(migration: Migration) -> int:
    elements = migration.revision.elements
    return elements[0].ref if elements else migration.revision.ref
