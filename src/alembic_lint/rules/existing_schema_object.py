"""AL302 existing-schema-object."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules._schema import failures
from alembic_lint.rules.examples import history, m

_USERS = "op.create_table('users', sa.Column('id', sa.Integer(), primary_key=True))"
_LAST_LOGIN = "op.add_column('users', sa.Column('last_login', sa.DateTime()))"


class ExistingSchemaObject(Rule):
    """
    ## What it does
    Flags an operation that creates a table, column, index or constraint that already
    exists at that revision. The classic case is two branches that each add the same
    column, merged: each branch was fine on its own, and the upgrade through both fails.

    ## Why is this bad?
    The deploy stops with `column "last_login" of relation "users" already exists` (or
    `duplicate column name`), after part of the upgrade has run.

    Only what the model knows exactly is reported (see `missing-schema-object`);
    operations with `if_not_exists=True` are not.

    ## Fix
    Drop the second creation (keep the migration, empty, if it is already merged), or
    make the two branches create different things.
    """

    code = "AL302"
    name = "existing-schema-object"
    summary = "Creates a table, column, index or constraint that already exists"
    severity = Severity.ERROR
    graph = True
    schema = True
    valid = [
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS, downgrade="op.drop_table('users', if_exists=True)"),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade=_LAST_LOGIN,
                downgrade="op.drop_column('users', 'last_login', if_exists=True)",
            ),
        )
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=_LAST_LOGIN),
            m("cccccccccccc", "aaaaaaaaaaaa", upgrade=_LAST_LOGIN + "  # expect: AL302"),
            m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
            title="the same column added on two branches, then merged",
        ),
        history(
            m("aaaaaaaaaaaa", upgrade=_USERS),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=_USERS + "  # expect: AL302"),
            title="a table created twice",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        return failures(self, graph, "exists", "already exists")
