"""AL013 edited-migration."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import against, m

_ADD = "op.add_column('user', sa.Column('{}', sa.String()))"
_DROP = "op.drop_column('user', '{}', if_exists=True)"


class EditedMigration(Rule):
    """
    ## What it does
    With `--against REV`: flags a change to `upgrade()` or `downgrade()` of a
    migration that `REV` already has (it was there when the branch forked), at the
    first statement that differs. Formatting, comments and docstrings do not count,
    nor does adding `if_exists=True` / `if_not_exists=True` (what
    `drop-without-if-exists` asks for: it changes nothing for a database that already
    ran the migration).

    ## Why is this bad?
    A database runs a migration once. Every database that already ran this one (in
    production, on colleagues' machines, in CI caches) will never run the edit, while
    new databases will: from then on they differ, silently. An edited `downgrade()` no
    longer undoes what those databases' `upgrade()` did.

    ## Fix
    Revert the edit and write a new migration that makes the change.
    """

    code = "AL013"
    name = "edited-migration"
    summary = "The branch edits `upgrade()` / `downgrade()` of a migration the target already has"
    severity = Severity.ERROR
    graph = True
    needs_branch = True
    valid = [
        against(
            base=(m("aaaaaaaaaaaa", upgrade=_ADD.format("name"), downgrade=_DROP.format("name")),),
            branch=(
                m(
                    "bbbbbbbbbbbb",
                    "aaaaaaaaaaaa",
                    upgrade=_ADD.format("email"),
                    downgrade=_DROP.format("email"),
                ),
            ),
            title="the change in a new migration",
        )
    ]
    invalid = [
        against(
            base=(m("aaaaaaaaaaaa", upgrade=_ADD.format("name"), downgrade=_DROP.format("name")),),
            branch=(
                m(
                    "aaaaaaaaaaaa",
                    upgrade=f"{_ADD.format('name')}\n{_ADD.format('email')}  # expect: AL013",
                    downgrade=f"{_DROP.format('email')}  # expect: AL013\n{_DROP.format('name')}",
                ),
            ),
            title="a column added to a merged migration",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        branch = history.branch
        if branch is None:
            return
        by_path = {m.path: m for m in history.migrations}
        before = {m.path: m.revision_id for m in branch.base}
        for edit in branch.edits:
            now = by_path.get(edit.path)
            rid = before.get(edit.path)
            if now is None or rid is None or now.revision_id != rid:
                continue  # a new or renamed id: not an edit of a merged migration
            if edit.function == "upgrade":
                why = "databases that already ran it will never run the change"
            else:
                why = "it must still undo what databases ran with the old upgrade()"
            yield self.diagnostic_at(
                edit.path,
                edit.span,
                f"{edit.function}() of {rid} changed, but {rid} is in {branch.target} "
                f"already: {why}; write a new migration instead",
                revision=rid,
            )
