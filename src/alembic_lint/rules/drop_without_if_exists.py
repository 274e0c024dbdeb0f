"""AL201 drop-without-if-exists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from alembic_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import GuardKind, History, Migration, OpCall
from alembic_lint.rules import Rule
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
#: The argument naming the dropped object, by position and by keyword (Alembic's
#: signatures: ``drop_column(table_name, column_name)``, ``batch_op.drop_column(column_name)``).
DROPPED = {
    ("drop_table", False): (0, "table_name"),
    ("drop_index", False): (0, "index_name"),
    ("drop_column", False): (1, "column_name"),
    ("drop_constraint", False): (0, "constraint_name"),
    ("drop_index", True): (0, "index_name"),
    ("drop_column", True): (0, "column_name"),
}

if TYPE_CHECKING:
    from alembic_lint.alembic_versions import Version

_OBJECT = (
    r"(?:MATERIALIZED\s+VIEW|FOREIGN\s+TABLE|TABLE|VIEW|INDEX|SEQUENCE|TYPE|SCHEMA|FUNCTION"
    r"|PROCEDURE|TRIGGER|DOMAIN|EXTENSION|COLUMN|CONSTRAINT|ROLE|USER|DATABASE|RULE|POLICY)"
)
#: One part of a (qualified) SQL name: quoted, or plain.
_PART = r"(?:\"[^\"]*\"|`[^`]*`|\[[^\]]*\]|[\w$]+)"
_DROP = re.compile(
    rf"\bDROP\s+(?P<what>{_OBJECT})(?:\s+CONCURRENTLY)?(?P<guard>\s+IF\s+EXISTS)?\b"
    rf"(?:\s+(?P<name>(?:{_PART}\s*\.\s*)*{_PART}))?",
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

    Drops in the migration's own functions count too: calls from `upgrade()` and
    `downgrade()` to functions defined at module level in the same file are followed
    (to any depth, through loops, conditions and `with` blocks, wherever in the file
    the function is defined: `upgrade()` runs once the whole module has), and the
    finding points at the drop inside the function, once however often it is called.
    Not followed: functions imported from other modules (what they do is unknown),
    methods, `async def` functions, a name the calling function binds itself, a name
    the module rebinds after its `def` (of two `def`s of one name the last one
    counts, as in Python).

    A drop that is already guarded is idempotent and not reported:
    - under a test that holds only when the object exists and that names it:
      `if "ix_user_email" in existing_indexes:`, `if inspector.has_table("user"):`,
      `if index_exists(name):` (a function whose name starts with `has_` or holds
      `exists`, but not `not`/`missing`), `and`
      with other tests, the `else` of their negation (`if "t" not in tables: ...
      else:`), or after `if <negation>: return` (or `continue`, `raise`). The test
      must name the dropped object (for `drop_column`, the column): the same string,
      or the same variable, as the drop's argument; `if inspector.has_table("user"):`
      does not guard `op.drop_column("user", "nickname")`, and a test of something
      else (`if context.is_offline_mode():`) guards nothing. A drop under `if not
      inspector.has_table("t"):` is not guarded;
    - in the body of a `try` whose `except` catches database errors (bare,
      `Exception`, `ProgrammingError`..., not `KeyError`) and does not re-raise, or
      of `with contextlib.suppress(Exception):`.

    Only guards inside the function that holds the drop count: a helper may also be
    called where no guard is.

    ## Why is this bad?
    On a database without transactional DDL (MySQL, or any migration that commits
    midway), a migration that failed halfway has already dropped some objects.
    Re-running it then fails on the drop that already happened, and the migration
    can never be re-run without hand-editing the database.

    Operations that have no `if_exists` parameter in Alembic
    (`batch_op.drop_constraint`, `alter_column`, ...) are never flagged.

    A swallowed error is not the same as a skipped statement on every database: on
    PostgreSQL a failed statement aborts the transaction, so the statements after the
    `try` fail too; prefer `if_exists=True` or a test of existence.

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
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade="""
                inspector = sa.inspect(op.get_bind())
                existing_indexes = [ix["name"] for ix in inspector.get_indexes("user")]
                if "ix_user_email" in existing_indexes:
                    op.drop_index("ix_user_email", table_name="user")
                if inspector.has_table("legacy_user"):
                    op.drop_table("legacy_user")
                columns = [c["name"] for c in inspector.get_columns("user")]
                for column in ("nickname", "legacy_id"):
                    if column in columns:
                        op.drop_column("user", column)
                if "audit_log" not in inspector.get_table_names():
                    return
                op.drop_table("audit_log")
                """,
                downgrade="""
                try:
                    op.drop_constraint("uq_user_name", "user")
                except Exception:
                    pass
                """,
            ),
            title="drops guarded by a test of existence (the inspector style) or a `try`",
        ),
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
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade="""
                drop_legacy_tables()
                _drop_index(op, "ix_user_email")
                """,
                downgrade='raise NotImplementedError("dropped data cannot come back")',
                helpers=f"""
                def drop_legacy_tables():
                    for table in ("legacy_user", "legacy_order"):
                        op.drop_table(table){_W}


                def _drop_index(op, name):
                    with op.batch_alter_table("user") as batch_op:
                        batch_op.drop_index(name){_W}
                """,
            ),
            title="drops in the migration's own functions, reported where they are",
        ),
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade=f"""
                inspector = sa.inspect(op.get_bind())
                if inspector.has_table("user"):
                    op.drop_column("user", "nickname"){_W}
                if not inspector.has_table("legacy"):
                    op.drop_table("legacy"){_W}
                if context.is_offline_mode():
                    op.drop_index("ix_user_email"){_W}
                """,
                downgrade='raise NotImplementedError("dropped data cannot come back")',
            ),
            title="a test that does not make the drop safe: another object, a negation, "
            "something else",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            seen: set[int] = set()
            for call in migration.ops:
                if call.ref in seen:
                    continue  # a helper's drop reached from a second entry point
                seen.add(call.ref)
                message = self.problem(call)
                if message:
                    yield self.diagnostic(migration, call.ref, message)

    def fix(self, diagnostic: Diagnostic, migration: Migration, text: str) -> Fix | None:
        call = next((c for c in migration.ops if c.ref == diagnostic.location.ref), None)
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
            drop = unguarded_sql_drop(call.sql or "")
            if drop is None or guarded_sql(call, drop[1]):
                return None
            return f"`DROP {drop[0]}` without `IF EXISTS` in `op.execute()`"
        drops = BATCH_DROPS if call.batch else OP_DROPS
        if call.name not in drops or call.star_kwargs or call.has_keyword("if_exists"):
            return None
        if guarded(call):
            return None
        if not self.supported(drops[call.name]):
            return None  # the project's Alembic has no `if_exists` here: nothing to demand
        owner = "batch_op" if call.batch else "op"
        return f"`{owner}.{call.name}()` without `if_exists=True`"


def _version(text: str) -> Version:
    from alembic_lint.alembic_versions import Version

    return Version.parse(text)


def guarded(call: OpCall) -> bool:
    """Whether a drop runs only where its object exists, or its failure is swallowed."""
    dropped = DROPPED.get((call.name, call.batch), ())
    return any(
        guard.kind is GuardKind.SWALLOWED or any(a in guard.arguments for a in dropped)
        for guard in call.guards
    )


def guarded_sql(call: OpCall, name: str | None) -> bool:
    """``guarded`` for ``op.execute("DROP ... name")``: a test naming ``name`` (any case,
    with or without its schema) counts."""
    wanted = {_identifier(name)} if name else set()
    return any(
        guard.kind is GuardKind.SWALLOWED or wanted & {_identifier(s) for s in guard.strings}
        for guard in call.guards
    )


def _identifier(name: str) -> str:
    """The object's own name, without schema or quotes, in lower case."""
    parts = re.findall(_PART, name)
    return (parts[-1] if parts else name).strip('"`[]').lower()


def unguarded_sql_drop(sql: str) -> tuple[str, str | None] | None:
    """The object kind and name of the first ``DROP`` without ``IF EXISTS`` in ``sql``."""
    cleaned = _SQL_NOISE.sub(" ", sql)
    for match in _DROP.finditer(cleaned):
        if not match.group("guard"):
            return " ".join(match.group("what").upper().split()), match.group("name")
    return None


def add_keyword(text: str, call: Location, keyword: str) -> Edit | None:
    """An insertion of ``keyword`` as the last argument of the call at ``call`` (whose end
    is just after its closing parenthesis), following the call's own layout; None when
    the result would not parse (a comment in the way, an unusual layout)."""
    import ast

    from alembic_lint.fixes import lines_of, offset, position

    lines = lines_of(text)
    start = offset(lines, call.line, call.column)
    close = offset(lines, call.end_line, call.end_column) - 1
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
    fixed = text[:at] + content + text[at:]
    try:
        ast.parse(fixed)
    except SyntaxError:
        return None
    line, column = position(lines, at)
    where = Location(call.path, line, column, line, column)
    return Edit(content, where, where)
