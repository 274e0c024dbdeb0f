"""AL301 missing-schema-object."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules._schema import failures
from alembic_lint.rules.examples import history, m

_USERS = """\
op.create_table('users',
    sa.Column('id', sa.Integer(), primary_key=True),
    sa.Column('email', sa.String(255), nullable=False),
)
op.create_index('ix_users_email', 'users', ['email'], unique=True)"""
_DROP_USERS = """\
op.drop_index('ix_users_email', table_name='users', if_exists=True)
op.drop_table('users', if_exists=True)"""


class MissingSchemaObject(Rule):
    """
    ## What it does
    Flags an operation on a table, column, index or constraint that does not exist at
    that revision: never created by any migration before it, or already dropped. The
    schema at each revision is worked out by replaying every `upgrade()` from the bases
    along the revision graph (a merge starts from what both of its parents did), without
    a database.

    ## Why is this bad?
    The migration fails when it is deployed: `op.drop_index('ix_user_email')` where the
    index is `ix_users_email` passes review and CI (which may never run it against a
    database at that revision) and stops the deploy with `index "ix_user_email" does not
    exist`. In `downgrade()` the same mistake breaks the rollback that was meant to save
    the day.

    What the model reads but cannot read exactly gives no finding: a name that is not
    a literal, SQL it cannot parse, a custom operation, a `**kw` argument, or a
    constraint named by a naming convention or the database make what they may touch
    unsure from that revision on. So does code it does not follow: a function imported
    from another module, a decorated helper, `op` handed to such code, SQLAlchemy
    creating or dropping tables itself (`metadata.create_all(bind)`). SQL run on the
    connection (`op.get_bind().execute(...)`) is read as `op.execute()`'s is.
    Operations with `if_exists=True` are not reported either.

    ## Fix
    Correct the name, or remove the operation when an earlier migration already did it.
    """

    code = "AL301"
    name = "missing-schema-object"
    summary = "An operation on a table, column, index or constraint that does not exist"
    severity = Severity.ERROR
    graph = True
    schema = True
    valid = [
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS, downgrade=_DROP_USERS),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade="op.alter_column('users', 'email', nullable=True)",
                downgrade="op.alter_column('users', 'email', nullable=False)",
            ),
        ),
        history(
            m("aaaaaaaaaaaa", upgrade="op.execute(CREATE_USERS)", downgrade="op.execute(DROP)"),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade="op.alter_column('users', 'emial', nullable=True)",
                downgrade="op.alter_column('users', 'emial', nullable=False)",
            ),
            title="a table created by SQL that is not a literal: unsure, never reported",
        ),
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS, downgrade=_DROP_USERS),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade="op.drop_index('ix_user_email', table_name='users')  # expect: AL301",
                downgrade="op.create_index('ix_users_email', 'users', ['email'], unique=True)",
            ),
            title="a typo in an index name",
        ),
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS, downgrade=_DROP_USERS),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade="op.drop_column('users', 'last_login')  # expect: AL301",
                downgrade="op.add_column('users', sa.Column('last_login', sa.DateTime()))",
            ),
            title="a column that was never added",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        return failures(self, graph, "missing", "does not exist")
