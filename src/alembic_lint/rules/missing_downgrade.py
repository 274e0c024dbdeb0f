"""AL202 missing-downgrade."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import Body, History
from alembic_lint.rules import Option, Rule
from alembic_lint.rules._effects import effect
from alembic_lint.rules.examples import history, m


class MissingDowngrade(Rule):
    """
    ## What it does
    Flags a migration whose `upgrade()` changes the schema but whose `downgrade()`
    does nothing (`pass`, `...`, or only a docstring); and one whose `upgrade()` does
    anything at all but which has no `downgrade()`, on which `alembic downgrade`
    fails (`AttributeError`).

    A schema change is:
    - an Alembic operation that changes the schema (`op.create_table`,
      `op.add_column`, `op.alter_column`, `op.drop_index`..., in `batch_alter_table`
      too), or an operation a plugin adds (`op.create_view`, `op.sync_enum_values`:
      `Operations.register_operation` exists to add DDL);
    - a statement of literal SQL in `op.execute()` that starts with `CREATE`,
      `ALTER`, `DROP`, `COMMENT`, `RENAME`, `GRANT` or `REVOKE`, statements inside a
      `DO` block included. Not those that leave nothing behind: a temporary table,
      view or sequence (`CREATE TEMP TABLE`; `GLOBAL TEMPORARY` counts, its
      definition stays on Oracle), an index on one or an `ALTER TABLE` of one, and
      dropping them again; and an `ALTER TABLE t DISABLE TRIGGER x` that the same
      `upgrade()` enables again.

    Not a schema change: changing data (`op.bulk_insert`, `INSERT`, `UPDATE`,
    `DELETE`, `MERGE`, `TRUNCATE`, `COPY`, `REFRESH` in `op.execute`), session and
    maintenance statements (`SET`, `LOCK`, `ANALYZE`, `VACUUM`...), and work that no
    operation shows (through a connection from `op.get_bind()`, an ORM session, or
    an `upgrade()` that returns early and does nothing). The right downgrade of a
    data fix is usually nothing: the schema migration's own downgrade drops what
    was backfilled, and raising there would stop every `alembic downgrade` that
    passes through it.

    SQL that does not say what it changes (`op.execute()` of a variable or of a
    SQLAlchemy expression, a `SELECT` of a function, `CALL`) is not counted as a
    schema change: the linter cannot tell, and on 16 public projects' histories four
    such upgrades in five were data fixes, whose empty downgrade is right. Projects
    that keep data migrations reversible too set `check-data-changes = true`: then
    a data change, or SQL that does not say, needs a downgrade as well (an
    `upgrade()` where no operation shows still does not).

    Merge migrations and other migrations with an empty `upgrade()` are fine. A
    `downgrade()` that raises (`raise NotImplementedError("irreversible")`) is an
    explicit declaration that the migration cannot be reversed, not a missing one.
    The message says what `upgrade()` does, naming its first operation that does so.

    ## Why is this bad?
    Nobody notices an empty downgrade until a rollback is needed: then
    `alembic downgrade -1` "succeeds" and leaves the schema as it was, out of
    step with `alembic_version` and with the code being rolled back to.

    ## Fix
    Write the reverse operations, or make the irreversibility explicit with
    `raise NotImplementedError(...)`. A file whose `upgrade()` only changes data
    needs `def downgrade(): pass` if it has no `downgrade()` at all.
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
        ),
        "check-data-changes": Option(
            False,
            "Also require a downgrade (or a declared irreversible one) when `upgrade()` "
            "only changes data or runs SQL that does not say what it changes, for "
            "projects that keep data migrations reversible too.",
        ),
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
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade="""
                op.execute("UPDATE account SET locale = 'en' WHERE locale IS NULL")
                op.bulk_insert(
                    sa.table("plan", sa.column("code", sa.String)),
                    [{"code": "free"}, {"code": "pro"}],
                )
                """,
                downgrade="pass",
            ),
            title="a data fix, whose reverse is nothing",
        ),
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
                upgrade='op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")',
                downgrade="pass",
                expect={"def downgrade": "AL202"},
            ),
            title="DDL in `op.execute()`",
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade='op.add_column("user", sa.Column("age", sa.Integer()))',
                downgrade=None,
                expect={"def upgrade": "AL202"},
            ),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                upgrade="op.execute(\"UPDATE account SET locale = 'en' WHERE locale IS NULL\")",
                downgrade=None,
                expect={"def upgrade": "AL202"},
            ),
            title="no downgrade at all (`alembic downgrade` fails on it, data fix or not)",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        data_too = self.option("check-data-changes")
        for migration in history:
            upgrade = migration.function("upgrade")
            if upgrade is None or upgrade.body is not Body.CODE:
                continue
            downgrade = migration.function("downgrade")
            if downgrade is None:
                # `alembic downgrade` fails on this file (AttributeError), whatever it does.
                yield self.diagnostic(
                    migration,
                    upgrade.ref,
                    f"`upgrade()` {effect(migration.ops).describe()} but there is no `downgrade()`",
                )
            elif downgrade.body is Body.NOT_IMPLEMENTED and not self.option("allow-irreversible"):
                yield self.diagnostic(
                    migration,
                    downgrade.ref,
                    "`downgrade()` only raises; this project requires reversible migrations",
                )
            elif downgrade.body is Body.EMPTY:
                done = effect(migration.ops)
                if done.schema is None and not (data_too and (done.data or done.unknown)):
                    continue
                yield self.diagnostic(
                    migration,
                    downgrade.ref,
                    f"`downgrade()` does nothing but `upgrade()` {done.describe()}; "
                    "write the reverse or `raise NotImplementedError` to declare it irreversible",
                )
