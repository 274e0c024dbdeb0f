"""AL201 drop-without-if-exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from alembic_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration, OpCall
from alembic_lint.rules import Rule
from alembic_lint.rules._common import call_at
from alembic_lint.rules.examples import history, m

#: Operations that accept ``if_exists``, and the Alembic version that added it.
OP_DROPS = {
    "drop_index": "1.11.2",
    "drop_table": "1.13.3",
    "drop_column": "1.16.0",
    "drop_constraint": "1.16.0",
}
#: Inside ``batch_alter_table`` (``batch_op.drop_constraint`` has no ``if_exists``).
BATCH_DROPS = {"drop_index": "1.11.2", "drop_column": "1.16.0"}

if TYPE_CHECKING:
    from alembic_lint.alembic_versions import Version

_OBJECT = (
    r"(?:MATERIALIZED\s+VIEW|FOREIGN\s+TABLE|TABLE|VIEW|INDEX|SEQUENCE|TYPE|SCHEMA|FUNCTION"
    r"|PROCEDURE|TRIGGER|DOMAIN|EXTENSION|COLUMN|CONSTRAINT|ROLE|USER|DATABASE|RULE|POLICY)"
)
_DROP = re.compile(
    rf"\bDROP\s+(?P<what>{_OBJECT})(?:\s+CONCURRENTLY)?(?P<guard>\s+IF\s+EXISTS)?\b",
    re.IGNORECASE,
)
_SQL_NOISE = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)

_W = "  # expect: AL201"


class DropWithoutIfExists(Rule):
    """
    ## What it does
    Flags `op.drop_table`, `op.drop_index`, `op.drop_column` and
    `op.drop_constraint` calls, and `batch_op.drop_column` / `batch_op.drop_index`
    inside `batch_alter_table`, that do not pass `if_exists=True`, in both
    `upgrade()` and `downgrade()`; and literal SQL in `op.execute()` that drops
    something without `IF EXISTS`.

    ## Why is this bad?
    On a database without transactional DDL (MySQL, or any migration that commits
    midway), a migration that failed halfway has already dropped some objects.
    Re-running it then fails on the drop that already happened, and the migration
    can never be re-run without hand-editing the database.

    Operations that have no `if_exists` parameter in Alembic
    (`batch_op.drop_constraint`, `alter_column`, ...) are never flagged.

    ## Fix
    Add `if_exists=True` (`IF EXISTS` in raw SQL). Inside `batch_alter_table`,
    Alembic honours it only when the table is not recreated (not on SQLite).
    """

    code = "AL201"
    name = "drop-without-if-exists"
    summary = "Drop without `if_exists=True`"
    severity = Severity.WARNING
    fixable = True
    alembic_versions = (
        "`if_exists` exists since 1.11.2 for drop_index, 1.13.3 for drop_table, "
        "1.16.0 for drop_column and drop_constraint"
    )
    valid = [
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade="""
                op.drop_table("user", if_exists=True)
                op.drop_index("ix_user_email", table_name="user", if_exists=True)
                with op.batch_alter_table("user") as batch_op:
                    batch_op.drop_constraint("uq_user_name")
                op.execute("DROP VIEW IF EXISTS active_users")
                """,
                downgrade='raise NotImplementedError("dropped data cannot come back")',
            )
        )
    ]
    invalid = [
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade=f"""
                op.drop_index("idx_face_suggestions_pending"){_W}
                op.drop_column("user", "nickname"){_W}
                with op.batch_alter_table("user") as batch_op:
                    batch_op.drop_column("legacy_id"){_W}
                """,
                downgrade=f'op.drop_table("user"){_W}',
            ),
            title="drops in upgrade and downgrade",
            fixed=(
                m(
                    "aaaaaaaaaaaa",
                    upgrade=f"""
                    op.drop_index("idx_face_suggestions_pending", if_exists=True){_W}
                    op.drop_column("user", "nickname", if_exists=True){_W}
                    with op.batch_alter_table("user") as batch_op:
                        batch_op.drop_column("legacy_id", if_exists=True){_W}
                    """,
                    downgrade=f'op.drop_table("user", if_exists=True){_W}',
                ),
            ),
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade=f'op.execute("DROP TABLE audit_log"){_W}',
                downgrade='raise NotImplementedError("the audit log is gone")',
            ),
            title="raw SQL (no automatic fix: the literal is left to a human)",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            for call in migration.ops:
                message = self.problem(call)
                if message:
                    yield self.diagnostic(migration, call.ref, message)

    def fix(self, diagnostic: Diagnostic, migration: Migration, text: str) -> Fix | None:
        call = call_at(migration, diagnostic.location.ref)
        if call is None or call.name == "execute":
            return None  # SQL in a string literal is left to a human
        edit = add_keyword(text, diagnostic.location, "if_exists=True")
        if edit is None:
            return None
        return Fix(
            "Add `if_exists=True`",
            (edit,),
            # Inside batch_alter_table Alembic honours it only when the table is not
            # recreated (so not on SQLite): the fix may not do what it says.
            Applicability.UNSAFE if call.batch else Applicability.SAFE,
        )

    def supported(self, since: str) -> bool:
        """Whether the project's oldest admitted Alembic accepts ``if_exists`` here."""
        return self.alembic is None or self.alembic >= _version(since)

    def problem(self, call: OpCall) -> str | None:
        if call.name == "execute":
            what = unguarded_sql_drop(call.sql or "")
            return f"`DROP {what}` without `IF EXISTS` in `op.execute()`" if what else None
        drops = BATCH_DROPS if call.batch else OP_DROPS
        if call.name not in drops or call.star_kwargs or call.has_keyword("if_exists"):
            return None
        if not self.supported(drops[call.name]):
            return None  # the project's Alembic has no `if_exists` here: nothing to demand
        owner = "batch_op" if call.batch else "op"
        return f"`{owner}.{call.name}()` without `if_exists=True`"


def _version(text: str) -> Version:
    from alembic_lint.alembic_versions import Version

    return Version.parse(text)


def unguarded_sql_drop(sql: str) -> str | None:
    """The object kind of the first ``DROP`` without ``IF EXISTS`` in ``sql``, if any."""
    cleaned = _SQL_NOISE.sub(" ", sql)
    for match in _DROP.finditer(cleaned):
        if not match.group("guard"):
            return " ".join(match.group("what").upper().split())
    return None


def add_keyword(text: str, call: Location, keyword: str) -> Edit | None:
    """An insertion of ``keyword`` as the last argument of the call at ``call`` (whose end
    is just after its closing parenthesis), following the call's own layout; None when
    the result would not parse (a comment in the way, an unusual layout).

    Only the call is parsed again, not the file: replacing one call by another call is
    valid wherever the first one was, and a squashed migration with hundreds of drops
    would otherwise be parsed once per drop.
    """
    import ast

    from alembic_lint.fixes import index

    where = index(text)
    start = where.offset(call.line, call.column)
    close = where.offset(call.end_line, call.end_column) - 1
    if not 0 <= start < close < len(text) or text[close] != ")":
        return None
    inner = text[start:close]
    body = inner.rstrip()
    gap = inner[len(body) :]
    if not body or "#" in body.splitlines()[-1]:
        return None
    at = start + len(body)
    if body.endswith("("):
        content = keyword
    elif body.endswith(","):
        if "\n" in gap:  # one argument per line, ")" on its own line
            last = body.splitlines()[-1]
            indent = last[: len(last) - len(last.lstrip())]
            ending = "\r\n" if "\r\n" in gap else "\n"
            content = f"{ending}{indent}{keyword},"
        else:
            content = f" {keyword}"
    else:
        content = f", {keyword}"
    # In parentheses, the call's own line breaks and comments are fine.
    fixed = f"(\n{text[start:at]}{content}{text[at : close + 1]}\n)"
    try:
        parsed = ast.parse(fixed, mode="eval")
    except SyntaxError:
        return None
    if not isinstance(parsed.body, ast.Call):
        return None  # the location is not one whole call: leave it alone
    line, column = where.position(at)
    place = Location(call.path, line, column, line, column)
    return Edit(content, place, place)
