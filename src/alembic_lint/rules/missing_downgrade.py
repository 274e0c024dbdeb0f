"""AL202 missing-downgrade."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import Body, History
from alembic_lint.rules import Option, Rule
from alembic_lint.rules.examples import history, m


class MissingDowngrade(Rule):
    """
    ## What it does
    Flags a migration whose `upgrade()` does something but whose `downgrade()` is
    missing or does nothing (`pass`, `...`, or only a docstring).

    Merge migrations and other migrations with an empty `upgrade()` are fine. A
    `downgrade()` that raises (`raise NotImplementedError("irreversible")`) is an
    explicit declaration that the migration cannot be reversed, not a missing one.

    Calls to functions defined at module level in the same file are followed: a
    `downgrade()` that only calls a function that does nothing does nothing, and one
    whose first call raises `NotImplementedError` declares the migration irreversible.
    A call to a function imported from another module counts as doing something.

    ## Why is this bad?
    Nobody notices an empty downgrade until a rollback is needed: then
    `alembic downgrade -1` "succeeds" and leaves the schema as it was, out of
    step with `alembic_version` and with the code being rolled back to.

    ## Fix
    Write the reverse operations, or make the irreversibility explicit with
    `raise NotImplementedError(...)`.
    """

    code = "AL202"
    name = "missing-downgrade"
    summary = "`upgrade()` changes the schema but `downgrade()` does nothing"
    severity = Severity.WARNING
    options = {
        "allow-irreversible": Option(
            True,
            "Accept a `downgrade()` that raises (`raise NotImplementedError`) as a declared "
            "irreversible migration; set to false to require a real downgrade everywhere.",
        )
    }
    valid = [
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade='op.add_column("user", sa.Column("age", sa.Integer()))',
                downgrade='op.drop_column("user", "age", if_exists=True)',
            ),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade='op.drop_table("legacy", if_exists=True)',
                downgrade='raise NotImplementedError("legacy data is gone")',
            ),
            title="a real downgrade, and a declared irreversible one",
        )
    ]
    invalid = [
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade='op.add_column("user", sa.Column("age", sa.Integer()))',
                downgrade='"""Downgrade schema."""\npass',
                expect={"def downgrade": "AL202"},
            ),
            title="a `pass` downgrade",
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade='op.add_column("user", sa.Column("age", sa.Integer()))',
                downgrade=None,
                expect={"def upgrade": "AL202"},
            ),
            title="no downgrade at all",
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade="drop_refund_table()",
                downgrade="restore_refund_table()",
                expect={"def downgrade": "AL202"},
                helpers="""
                def drop_refund_table():
                    op.drop_table("refund", if_exists=True)


                def restore_refund_table():
                    \"\"\"Refunds live in the payments service now.\"\"\"
                """,
            ),
            title="a downgrade that only calls a function that does nothing",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            upgrade = migration.function("upgrade")
            if upgrade is None or upgrade.body is not Body.CODE:
                continue
            downgrade = migration.function("downgrade")
            if downgrade is None:
                yield self.diagnostic(
                    migration,
                    upgrade.ref,
                    "`upgrade()` changes the schema but there is no `downgrade()`",
                )
            elif downgrade.body is Body.NOT_IMPLEMENTED and not self.option("allow-irreversible"):
                yield self.diagnostic(
                    migration,
                    downgrade.ref,
                    "`downgrade()` only raises; this project requires reversible migrations",
                )
            elif downgrade.body is Body.EMPTY:
                yield self.diagnostic(
                    migration,
                    downgrade.ref,
                    "`downgrade()` does nothing; write the reverse of `upgrade()` or "
                    "`raise NotImplementedError` to declare it irreversible",
                )
