"""AL201 drop-without-if-exists."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alembic_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import GuardKind, History, Migration, OpCall
from alembic_lint.rules import Rule
from alembic_lint.rules._common import index_at
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

#: What the drops are, in words and in the SQL Alembic renders for `if_exists=True`.
_OBJECT_OF = {
    "drop_table": "TABLE",
    "drop_index": "INDEX",
    "drop_column": "COLUMN",
    "drop_constraint": "CONSTRAINT",
}
_KIND_OF = {kind: op for op, kind in _OBJECT_OF.items()}
#: The drops each database accepts ``IF EXISTS`` on (``DROP TABLE IF EXISTS t``,
#: ``ALTER TABLE t DROP COLUMN IF EXISTS c``...): MySQL only on tables, SQLite on tables
#: and indexes, Oracle nowhere before 23ai; SQL Server from 2016.
ACCEPTS_IF_EXISTS = {
    "sqlite": frozenset({"TABLE", "INDEX"}),
    "postgresql": frozenset(_KIND_OF),
    "mysql": frozenset({"TABLE"}),
    "mariadb": frozenset(_KIND_OF),
    "mssql": frozenset(_KIND_OF),
    "oracle": frozenset(),
}
#: Where Alembic renders no ``IF EXISTS`` for `if_exists=True` (MySQL's dialect, MariaDB's
#: too, drops a constraint as ``DROP FOREIGN KEY`` / ``DROP INDEX`` / ``DROP CHECK``).
_ALEMBIC_LEAVES_OUT = frozenset({("mysql", "drop_constraint"), ("mariadb", "drop_constraint")})
#: Where Alembic cannot run the operation at all (outside `batch_alter_table`).
_ALEMBIC_CANNOT = frozenset({("sqlite", "drop_constraint")})
#: With the database unknown, a fix is safe only where all of these accept it.
COMMON = ("sqlite", "postgresql", "mysql")
NAMES = {
    "sqlite": "SQLite",
    "postgresql": "PostgreSQL",
    "mysql": "MySQL",
    "mariadb": "MariaDB",
    "mssql": "SQL Server",
    "oracle": "Oracle (before 23ai)",
}
#: Batch operations that keep a SQLite batch from recreating the table (add_column does
#: unless its column has a SQL-expression server default: not visible here).
_IN_PLACE = frozenset({"create_index", "drop_index"})
_MAYBE_IN_PLACE = frozenset({"add_column"})


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to say about one drop: the fix's applicability (None: no fix), and why."""

    fix: Applicability | None
    why: str = ""


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
      `exists`, but not `not`/`missing`), joined by `and` to other tests, the
      `else` of their negation (`if "t" not in tables: ... else:`), or after
      `if <negation>: return` (or `continue`, `raise`). The test must name the
      dropped object (for `drop_column`, the column): the same string, or the same
      variable, as the drop's argument; `if inspector.has_table("user"):` does not
      guard `op.drop_column("user", "nickname")`, and a test of something else
      (`if context.is_offline_mode():`) guards nothing. A drop under `if not
      inspector.has_table("t"):` is not guarded;
    - in the body of a `try` whose `except` catches database errors (bare,
      `Exception`, `ProgrammingError`..., not `KeyError`) and holds no `raise` (one
      that re-raises on some databases swallows the error only on the others), or
      of `with contextlib.suppress(Exception):`;
    - in a loop over what the inspector lists, dropping what the loop found:
      `for ix in inspector.get_indexes("t"): op.drop_index(ix["name"])` (also through
      a name assigned once, `indexes = inspector.get_indexes("t")`, a filtering
      generator over it, `op.f(...)`, or `name = ix["name"]`).

    Only guards inside the function that holds the drop count: a helper may also be
    called where no guard is.

    ## Why is this bad?
    On a database without transactional DDL (MySQL, MariaDB, Oracle; SQLite,
    for which Alembic turns it off), a migration that failed halfway has already
    dropped some objects. Re-running it then fails on the drop that already happened, and the
    migration can never be re-run without hand-editing the database.

    Operations that have no `if_exists` parameter in Alembic
    (`batch_op.drop_constraint`, `alter_column`, ...) are never flagged.

    A swallowed error is not the same as a skipped statement on every database: on
    PostgreSQL a failed statement aborts the transaction, so the statements after the
    `try` fail too; prefer `if_exists=True` or a test of existence.

    ## Fix
    Adds `if_exists=True`, only where the target database accepts the SQL Alembic
    then renders (see below; `IF EXISTS` in raw SQL is left to a human). Where it
    does not, or where Alembic ignores the keyword, the finding says so and has
    no fix: check that the object exists before dropping it (an `if` on the
    inspector), or accept the risk with `# noqa: AL201`.

    ## Dialects
    The target database comes from the `dialect` setting, else a literal
    `sqlalchemy.url` in `alembic.ini`, else what the migrations show
    (`sqlalchemy.dialects` imports, `postgresql_*`-style keywords);
    `alembic-lint --show-settings` says which. For `if_exists=True`:

    | database | `drop_table` | `drop_index` | `drop_column` | `drop_constraint` |
    |---|---|---|---|---|
    | PostgreSQL, SQL Server (2016+) | fix | fix | fix | fix |
    | SQLite | fix | fix | no fix: rejected | not flagged (1) |
    | MySQL | fix | no fix: rejected | no fix: rejected | no fix: ignored (2) |
    | MariaDB | fix | fix | fix | no fix: ignored (2) |
    | Oracle | no fix: rejected (3) | no fix: rejected (3) | no fix: rejected | no fix: rejected |
    | unknown | fix | unsafe fix | unsafe fix | unsafe fix |

    - (1) Alembic cannot drop a constraint on SQLite outside `batch_alter_table`.
    - (2) Alembic renders MySQL's `DROP FOREIGN KEY` / `DROP INDEX` without `IF EXISTS`.
    - (3) Before Oracle 23ai.

    - **PostgreSQL and SQL Server** roll a failed migration's DDL back with its
      transaction, so there the finding matters less: only for DDL that runs
      outside it (`autocommit_block()`, an env.py that turns
      `transactional_ddl` off). **MySQL, MariaDB and Oracle** commit each DDL
      statement, and so does SQLite under Python's `sqlite3` driver until the
      run's first data change opens a transaction: there a re-run needs it.
    - **Inside `batch_alter_table`**, `if_exists` works only when the batch alters
      the table in place: always on PostgreSQL, MySQL and the others, on SQLite
      only when the batch holds nothing but index operations. When the table is
      recreated (SQLite with any other operation, or `recreate="always"`),
      Alembic ignores `if_exists` on `drop_column` (a re-run then stops with a
      `KeyError`) and `drop_index(if_exists=True)` is a `TypeError` even on the
      first run: the finding has no fix there. A SQLite batch that also adds a
      column gets an unsafe fix (a column with a SQL-expression server default
      makes the batch recreate the table).
    - **Unknown** database: a fix that SQLite, PostgreSQL and MySQL all accept is
      safe, the others are unsafe (`--unsafe-fixes`); set `dialect` to know.
    """

    code = "AL201"
    name = "drop-without-if-exists"
    summary = "Drop without `if_exists=True`"
    severity = Severity.WARNING
    fixable = True
    dialect_sensitive = True
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
                with op.batch_alter_table("account") as batch_op:
                    batch_op.drop_constraint("uq_account_name")
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
                op.drop_table("audit_log"){_W}
                op.drop_index("idx_face_suggestions_pending"){_W}
                op.drop_column("user", "nickname"){_W}
                with op.batch_alter_table("user") as batch_op:
                    batch_op.drop_column("legacy_id"){_W}
                """,
                downgrade=f'op.drop_table("user"){_W}',
            ),
            title="drops in upgrade and downgrade, database unknown (all but `drop_table`'s"
            " fixes are unsafe: SQLite or MySQL reject them)",
            fixed=(
                m(
                    "aaaaaaaaaaaa",
                    upgrade=f"""
                    op.drop_table("audit_log", if_exists=True){_W}
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
                upgrade=f"""
                op.drop_index("ix_user_email", table_name="user"){_W}
                op.drop_column("user", "nickname"){_W}
                with op.batch_alter_table("user") as batch_op:
                    batch_op.drop_column("legacy_id"){_W}
                """,
                downgrade='raise NotImplementedError("dropped data cannot come back")',
            ),
            title='SQLite (`dialect = "sqlite"`): only the index gets a fix; SQLite rejects'
            " `DROP COLUMN IF EXISTS`, and the batch recreates the table",
            fixed=(
                m(
                    "aaaaaaaaaaaa",
                    upgrade=f"""
                    op.drop_index("ix_user_email", table_name="user", if_exists=True){_W}
                    op.drop_column("user", "nickname"){_W}
                    with op.batch_alter_table("user") as batch_op:
                        batch_op.drop_column("legacy_id"){_W}
                    """,
                    downgrade='raise NotImplementedError("dropped data cannot come back")',
                ),
            ),
            dialect="sqlite",
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
            ops = migration.ops
            seen: set[int] = set()
            for index, call in enumerate(ops):
                if call.ref in seen:
                    continue  # a helper's drop reached from a second entry point
                seen.add(call.ref)
                message = self.problem(call, batch_of(ops, index) if call.batch else None)
                if message:
                    yield self.diagnostic(migration, call.ref, message)

    def fix(self, diagnostic: Diagnostic, migration: Migration, text: str) -> Fix | None:
        ops = migration.ops
        index = index_at(migration, diagnostic.location.ref)
        if index is None or ops[index].name == "execute":
            return None  # SQL in a string literal is left to a human
        call = ops[index]
        verdict = self.verdict(call, batch_of(ops, index) if call.batch else None)
        if verdict is None or verdict.fix is None:
            return None
        edit = add_keyword(text, diagnostic.location, "if_exists=True")
        if edit is None:
            return None
        message = "Add `if_exists=True`" + (f" ({verdict.why})" if verdict.why else "")
        return Fix(message, (edit,), verdict.fix)

    def supported(self, since: str) -> bool:
        """Whether the project's oldest admitted Alembic accepts ``if_exists`` here."""
        return self.alembic is None or self.alembic >= _version(since)

    def problem(self, call: OpCall, batch: Sequence[OpCall] | None = None) -> str | None:
        if call.name == "execute":
            drop = unguarded_sql_drop(call.sql or "")
            if drop is None or guarded_sql(call, drop[1]):
                return None
            return self.sql_problem(drop[0])
        drops = BATCH_DROPS if call.batch else OP_DROPS
        if call.name not in drops or call.star_kwargs or call.has_keyword("if_exists"):
            return None
        if guarded(call):
            return None
        if not self.supported(drops[call.name]):
            return None  # the project's Alembic has no `if_exists` here: nothing to demand
        verdict = self.verdict(call, batch)
        if verdict is None:
            return None
        owner = "batch_op" if call.batch else "op"
        if verdict.fix is not None:
            return f"`{owner}.{call.name}()` without `if_exists=True`"
        return f"`{owner}.{call.name}()` {_CANNOT_RERUN}, and {verdict.why}: {_GUARD}"

    def sql_problem(self, what: str) -> str:
        """The message for ``DROP <what>`` without ``IF EXISTS`` in literal SQL."""
        dialect = self.dialect
        if dialect is None or what not in _KIND_OF or what in ACCEPTS_IF_EXISTS[dialect]:
            return f"`DROP {what}` without `IF EXISTS` in `op.execute()`"
        rejects = f"{NAMES[dialect]} rejects `DROP {what} IF EXISTS`"
        return f"`DROP {what}` in `op.execute()` {_CANNOT_RERUN}, and {rejects}: {_GUARD}"

    def verdict(self, call: OpCall, batch: Sequence[OpCall] | None) -> Verdict | None:
        """Whether (None: not) and how to report a drop without ``if_exists`` on the target
        database; ``batch``: the batch the call belongs to (its ``batch_alter_table``
        call first), for calls on a batch."""
        dialect = self.dialect
        plain = plain_verdict(call.name, dialect)
        if not call.batch:
            return plain
        recreates = recreates_table(batch or (), dialect)
        if recreates is True:
            effect = "is a TypeError" if call.name == "drop_index" else "does nothing"
            return Verdict(None, f"`if_exists` {effect} in a batch that recreates the table")
        if recreates is None and plain is not None and plain.fix is not None:
            if dialect == "sqlite":  # an index operation beside added columns
                why = (
                    "a TypeError if an added column's SQL-expression default makes the batch "
                    "recreate the table"
                )
            else:
                why = "Alembic honours it only when the batch alters the table in place" + (
                    ", not on SQLite; set `dialect`" if dialect is None else ""
                )
            return Verdict(Applicability.UNSAFE, why)
        return plain


_CANNOT_RERUN = "fails when re-run after a half-done migration"
_GUARD = "check that it exists first"


def plain_verdict(name: str, dialect: str | None) -> Verdict | None:
    """How to report ``op.<name>()`` (or a batch call that alters the table in place)."""
    kind = _OBJECT_OF[name]
    if dialect is None:
        refusing = [
            NAMES[d]
            for d in COMMON
            if kind not in ACCEPTS_IF_EXISTS[d]
            or (d, name) in _ALEMBIC_LEAVES_OUT | _ALEMBIC_CANNOT
        ]
        if not refusing:
            return Verdict(Applicability.SAFE)
        who = " and ".join(refusing)
        return Verdict(Applicability.UNSAFE, f"it does not work on {who}; set `dialect`")
    if (dialect, name) in _ALEMBIC_CANNOT:
        return None  # the operation itself fails there: not this rule's business
    if (dialect, name) in _ALEMBIC_LEAVES_OUT:
        return Verdict(None, f"Alembic renders no `IF EXISTS` for {NAMES[dialect]} here")
    if kind not in ACCEPTS_IF_EXISTS[dialect]:
        return Verdict(None, f"{NAMES[dialect]} rejects `DROP {kind} IF EXISTS`")
    return Verdict(Applicability.SAFE)


def batch_of(ops: Sequence[OpCall], index: int) -> list[OpCall]:
    """The batch of the batch call ``ops[index]``: the ``batch_alter_table`` call that
    opens it (when its function has one before it), then every call on the batch. The
    calls of a helper called inside the ``with`` block sit between them in ``ops`` (in the
    order they run): they are skipped, being another function's (``via``)."""
    function, via = ops[index].function, ops[index].via
    start = index
    before = index - 1
    while before >= 0 and ops[before].function == function and not _opens_batch(ops[start]):
        if ops[before].via == via:
            start = before
        before -= 1
    end = index + 1
    while end < len(ops) and ops[end].function == function:
        if ops[end].via == via and _opens_batch(ops[end]):
            break
        end += 1
    return [
        call for call in ops[start:end] if call.via == via and (call.batch or _opens_batch(call))
    ]


def _opens_batch(call: OpCall) -> bool:
    return call.name == "batch_alter_table" and not call.batch


def recreates_table(batch: Sequence[OpCall], dialect: str | None) -> bool | None:
    """Whether Alembic recreates the table for this batch (None: cannot tell), as
    ``recreate=`` and the dialect's ``requires_recreate_in_batch`` decide."""
    opening = batch[0] if batch and batch[0].name == "batch_alter_table" else None
    if opening is None:
        return None
    mode = opening.keyword("recreate", "auto")
    if mode == "always":
        return True
    if mode == "never":
        return False
    if mode != "auto" or dialect is None:  # not a literal (NOT_LITERAL), or cannot tell
        return None
    if dialect != "sqlite":
        return False
    names = {call.name for call in batch[1:]}
    if names - _IN_PLACE - _MAYBE_IN_PLACE:
        return True
    return None if names & _MAYBE_IN_PLACE else False


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
