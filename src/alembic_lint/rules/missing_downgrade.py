"""AL202 missing-downgrade."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import Body, History, OpCall
from alembic_lint.rules import Option, Rule
from alembic_lint.rules.drop_without_if_exists import _SQL_NOISE
from alembic_lint.rules.examples import history, m


class MissingDowngrade(Rule):
    """
    ## What it does
    Flags a migration whose `upgrade()` does something but whose `downgrade()` is
    missing or does nothing (`pass`, `...`, or only a docstring).

    Merge migrations and other migrations with an empty `upgrade()` are fine. A
    `downgrade()` that raises (`raise NotImplementedError("irreversible")`) is an
    explicit declaration that the migration cannot be reversed, not a missing one.

    The message says what `upgrade()` does, from its operations: it changes the
    schema (`op.add_column`, DDL in `op.execute`), changes data (`op.bulk_insert`,
    `UPDATE`/`INSERT`/`DELETE` in `op.execute`) or both, naming the first such
    operation; it runs SQL that does not say which; or it is not empty (no
    operation shows, e.g. it works through `op.get_bind()`).

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
    `raise NotImplementedError(...)`. A data change whose reverse really is nothing
    (a backfill of a column that the schema migration's own downgrade drops) keeps
    its `pass`: say so with `# noqa: AL202` on the `def downgrade():` line, since
    raising there would stop every `alembic downgrade` that passes through it.
    """

    code = "AL202"
    name = "missing-downgrade"
    summary = "`upgrade()` changes the schema or data but `downgrade()` does nothing"
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
                upgrade="""
                op.execute("UPDATE account SET locale = 'en' WHERE locale IS NULL")
                op.bulk_insert(
                    sa.table("plan", sa.column("code", sa.String)),
                    [{"code": "free"}, {"code": "pro"}],
                )
                """,
                downgrade="pass",
                expect={"def downgrade": "AL202"},
            ),
            title="a data change (the message says `changes data`, not the schema)",
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
                    f"`upgrade()` {what_it_does(migration.ops)} but there is no `downgrade()`",
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
                    f"`downgrade()` does nothing but `upgrade()` {what_it_does(migration.ops)}; "
                    "write the reverse or `raise NotImplementedError` to declare it irreversible",
                )


#: First words of SQL statements that change the schema, and those that change rows.
_SCHEMA_SQL = frozenset({"CREATE", "ALTER", "DROP", "COMMENT", "RENAME", "GRANT", "REVOKE"})
_DATA_SQL = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT", "TRUNCATE"})
#: Operations that change the schema go by these names (plugins' `create_view` too).
_SCHEMA_PREFIXES = ("create_", "drop_", "alter_", "add_", "rename_", "replace_")
_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
#: Calls on `op` that change nothing themselves.
_NEUTRAL = frozenset(
    {"get_bind", "get_context", "batch_alter_table", "f", "inline_literal", "implementation_for"}
)


def what_it_does(ops: Sequence[OpCall]) -> str:
    """What ``upgrade()`` does, by its operations: "changes the schema", "changes data" or
    both, naming the first such operation; "runs SQL" when no statement tells; "is not
    empty" when no operation shows (a function of another module, a connection from
    `op.get_bind()`)."""
    calls = [
        (call, _kinds(call))
        for call in ops
        if call.function == "upgrade" and call.name not in _NEUTRAL
    ]
    if not calls:
        return "is not empty"
    kinds = set().union(*(k for _, k in calls))
    if kinds & {"schema", "data"}:
        said = " and ".join(
            w for k, w in (("schema", "the schema"), ("data", "data")) if k in kinds
        )
        wanted = {"schema", "data"}
        verb = f"changes {said}"
    elif "sql" in kinds:
        wanted, verb = {"sql"}, "runs SQL"
    else:
        return f"calls {_shown(calls[0][0])}"
    first = next(call for call, k in calls if k & wanted)
    return f"{verb} (first: {_shown(first)})"


def _kinds(call: OpCall) -> set[str]:
    if call.name == "bulk_insert":
        return {"data"}
    if call.name == "execute":
        found = {_statement_kind(s) for s in _statements(call.sql)} if call.sql else {"sql"}
        return found or {"sql"}
    if call.name.startswith(_SCHEMA_PREFIXES):
        return {"schema"}
    return {"other"}


def _statements(sql: str) -> list[str]:
    cleaned = _SQL_NOISE.sub(" ", sql)
    return [s.strip().lstrip("(").strip() for s in cleaned.split(";") if s.strip()]


def _statement_kind(statement: str) -> str:
    words = statement.upper().split()
    if not words:
        return "sql"
    if words[0] in _SCHEMA_SQL:
        return "schema"
    if words[0] in _DATA_SQL or (words[0] == "WITH" and _DATA_SQL & set(words)):
        return "data"
    return "sql"


def _shown(call: OpCall) -> str:
    owner = "batch_op" if call.batch else "op"
    if call.name == "execute" and call.sql:
        words = " ".join(_SQL_COMMENTS.sub(" ", call.sql).split())
        brief = words if len(words) <= 40 else words[:40].rsplit(" ", 1)[0] + " …"
        return f'`{owner}.execute("{brief}")`'
    return f"`{owner}.{call.name}()`"
