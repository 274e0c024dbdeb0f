"""AL303 incomplete-downgrade."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m

_USERS = "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))"
_ADD = """\
op.add_column('users', sa.Column('last_login', sa.DateTime()))
op.create_index('ix_users_last_login', 'users', ['last_login'])"""


class IncompleteDowngrade(Rule):
    """
    ## What it does
    Replays a migration's `upgrade()` and then its `downgrade()` on the schema the
    revision starts from, and flags a `downgrade()` that does not bring that schema
    back: a column the upgrade adds and the downgrade leaves, an index it forgets to
    recreate, a nullability it does not restore. The message says what differs.

    ## Why is this bad?
    A rollback that leaves the schema half-changed is found out during an incident: the
    next upgrade then fails (`column "last_login" already exists`), or the code of the
    older release meets a schema it does not expect.

    An empty `downgrade()` (or one that raises `NotImplementedError`) is
    `missing-downgrade`'s to report; this rule judges downgrades that do something. Only
    what the model knows exactly is compared.

    ## Fix
    Add the missing reverse operations to `downgrade()`, in reverse order.
    """

    code = "AL303"
    name = "incomplete-downgrade"
    summary = "`downgrade()` does not undo what `upgrade()` does"
    severity = Severity.WARNING
    graph = True
    schema = True
    valid = [
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS, downgrade="op.drop_table('users', if_exists=True)"),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade=_ADD,
                downgrade="op.drop_index('ix_users_last_login', table_name='users', "
                "if_exists=True)\nop.drop_column('users', 'last_login', if_exists=True)",
            ),
        )
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS, downgrade="op.drop_table('users')"),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade=_ADD,
                downgrade="op.drop_index('ix_users_last_login', table_name='users')",
                expect={"def downgrade": "AL303"},
            ),
            title="the added column is left behind",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        from alembic_lint.schema import model_of

        for gap in model_of(graph).unreverted:
            migration = graph.migrations[gap.node]
            what = gap.what[0] + (f" (and {len(gap.what) - 1} more)" if len(gap.what) > 1 else "")
            changes = migration.changes
            yield self.diagnostic(
                migration,
                changes.downgrade_ref if changes is not None else -1,
                f"`downgrade()` does not undo `upgrade()`: it {what}",
            )
