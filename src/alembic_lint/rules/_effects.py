"""What a migration function does to the database, told from its operations and their SQL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from alembic_lint.model import OpCall
from alembic_lint.rules.drop_without_if_exists import _SQL_NOISE

#: Alembic's own operations that change nothing by themselves (`op.f`, the batch context).
_NEUTRAL = frozenset(
    {
        "batch_alter_table",
        "context",
        "create_module_class_proxy",
        "f",
        "get_bind",
        "get_context",
        "implementation_for",
        "inline_literal",
        "register_operation",
    }
)
#: Alembic's own operations that run whatever they are given.
_OPAQUE = frozenset({"invoke", "run_async"})

#: First words of statements that change the schema for good.
_SCHEMA_SQL = frozenset({"CREATE", "ALTER", "DROP", "COMMENT", "RENAME", "GRANT", "REVOKE"})
#: First words of statements that change rows.
_DATA_SQL = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE", "UPSERT", "TRUNCATE", "COPY", "REFRESH"}
)
#: First words of statements that leave neither behind: session settings, locks,
#: transaction control, statistics and physical maintenance.
_NEUTRAL_SQL = frozenset(
    {
        "SET",
        "RESET",
        "SHOW",
        "LOCK",
        "UNLOCK",
        "ANALYZE",
        "ANALYSE",
        "VACUUM",
        "EXPLAIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "CHECKPOINT",
        "DISCARD",
        "PRAGMA",
        "REINDEX",
        "CLUSTER",
        "OPTIMIZE",
        "FLUSH",
        "LISTEN",
        "NOTIFY",
    }
)
#: Words of PL/pgSQL (a `DO` block split at its semicolons) around the statements it runs.
_BLOCK_SQL = frozenset(
    {"DO", "BEGIN", "DECLARE", "IF", "ELSIF", "ELSE", "LOOP", "FOR", "WHILE", "EXCEPTION", "WHEN"}
    | {"RETURN", "RAISE", "NULL"}
)
#: Where a statement starts inside a block: after these words or a dollar quote.
_IN_BLOCK = re.compile(r"(?:\bBEGIN|\bTHEN|\bELSE|\bLOOP|\$\w*\$)\s+(?=\w)", re.IGNORECASE)
_TEMPORARY = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:LOCAL\s+)?TEMP(?:ORARY)?\s+(?:TABLE|VIEW|SEQUENCE)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.\"`]+)",
    re.IGNORECASE,
)
#: An index on a table: temporary when the table is.
_INDEX_ON = re.compile(
    r"^CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?"
    r"(?:(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>[\w.\"`]+)\s+)?ON\s+(?:ONLY\s+)?(?P<table>[\w.\"`]+)",
    re.IGNORECASE,
)
_ALTER_TABLE = re.compile(
    r"^ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>[\w.\"`]+)", re.IGNORECASE
)
_DROP_OBJECTS = re.compile(
    r"^DROP\s+(?:TEMPORARY\s+)?(?:TABLE|VIEW|SEQUENCE|INDEX)\s+(?:CONCURRENTLY\s+)?"
    r"(?:IF\s+EXISTS\s+)?"
    r"(?P<names>[\w.\"`]+(?:\s*,\s*[\w.\"`]+)*)",
    re.IGNORECASE,
)
#: `ALTER TABLE t DISABLE TRIGGER x` (or `... KEYS`, `... RULE r`) and its `ENABLE`.
_TOGGLE = re.compile(
    r"^ALTER\s+TABLE\s+(?:ONLY\s+)?(?P<table>[\w.\"`]+)\s+(?P<verb>ENABLE|DISABLE)\s+(?P<what>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_SQL_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)

SCHEMA, DATA, UNKNOWN, NOTHING = "schema", "data", "unknown", "nothing"


@dataclass(frozen=True, slots=True)
class Effect:
    """What a function's operations do: the first operation of each kind, if any.

    ``unknown`` is an operation whose effect only running it would tell: `op.execute()`
    of SQL that is not a literal (a variable, a SQLAlchemy expression) or that says
    neither (a `SELECT` of a function, `CALL`), `op.invoke()`, `op.run_async()`.
    """

    schema: OpCall | None = None
    data: OpCall | None = None
    unknown: OpCall | None = None
    #: The first operation that changes the schema or data.
    first: OpCall | None = None

    def describe(self) -> str:
        """``changes the schema and data (first: `op.add_column()`)``, ``changes data
        (first: ...)``, ``runs SQL (first: ...)`` or ``is not empty`` (no operation shows:
        it works through a connection, a session or functions that are not followed)."""
        if self.first is not None:
            kinds = ((self.schema, "the schema"), (self.data, "data"))
            said = " and ".join(word for call, word in kinds if call)
            return f"changes {said} (first: {shown(self.first)})"
        if self.unknown is not None:
            verb = "runs SQL" if self.unknown.name == "execute" else "runs code"
            return f"{verb} (first: {shown(self.unknown)})"
        return "is not empty"


def effect(ops: Sequence[OpCall], function: str = "upgrade") -> Effect:
    """What the operations of ``function`` do, each statement of literal SQL judged on its
    own: a temporary table (and dropping it again), and a trigger disabled then enabled
    again, leave nothing behind."""
    # Not what the readers record beside operations (model.UNFOLLOWED, CONNECTION_EXECUTE):
    # the schema model's alone.
    calls = [
        c
        for c in ops
        if c.function == function and c.name not in _NEUTRAL and not c.name.startswith("<")
    ]
    statements = {id(c): _statements(c.sql) for c in calls if c.name == "execute" and c.sql}
    restored = _restored_toggles(s for parts in statements.values() for s in parts)
    temporary: set[str] = set()
    first: dict[str, OpCall] = {}
    changes: OpCall | None = None
    for call in calls:
        if call.name == "execute":
            if not call.sql:
                kinds = {UNKNOWN}
            else:
                kinds = {_kind(s, temporary, restored) for s in statements[id(call)]}
        elif call.name == "bulk_insert":
            kinds = {DATA}
        elif call.name in _OPAQUE:
            kinds = {UNKNOWN}
        else:
            # Alembic's schema operations, and a plugin's (`Operations.register_operation`
            # exists to add DDL: `op.create_view`, `op.sync_enum_values`, ...).
            kinds = {SCHEMA}
        for kind in kinds - {NOTHING}:
            first.setdefault(kind, call)
        if changes is None and kinds & {SCHEMA, DATA}:
            changes = call
    return Effect(first.get(SCHEMA), first.get(DATA), first.get(UNKNOWN), changes)


def _restored_toggles(statements: Iterable[str]) -> set[tuple[str, str]]:
    """The ``(table, what)`` of each `ALTER TABLE t DISABLE what` that a later
    `ALTER TABLE t ENABLE what` undoes, as many times as it is disabled."""
    balance: dict[tuple[str, str], int] = {}
    broken: set[tuple[str, str]] = set()
    for statement in statements:
        toggle = _TOGGLE.match(statement)
        if toggle is None:
            continue
        key = _toggled(toggle)
        count = balance.get(key, 0) + (1 if toggle["verb"].upper() == "DISABLE" else -1)
        if count < 0:
            broken.add(key)  # enabled before it was disabled: a change of its own
        balance[key] = count
    return {key for key, count in balance.items() if count == 0 and key not in broken}


def _toggled(toggle: re.Match[str]) -> tuple[str, str]:
    return _name(toggle["table"]), " ".join(toggle["what"].upper().split())


def _statements(sql: str) -> list[str]:
    cleaned = _SQL_NOISE.sub(" ", sql)
    return [s.strip().lstrip("(").strip() for s in cleaned.split(";") if s.strip()]


def _kind(
    statement: str, temporary: set[str], restored: set[tuple[str, str]], nested: bool = True
) -> str:
    words = statement.upper().split()
    if not words:
        return NOTHING
    head = words[0]
    if head == "CREATE":
        made = _TEMPORARY.match(statement)
        if made:
            temporary.add(_name(made["name"]))
            return NOTHING
        index = _INDEX_ON.match(statement)
        if index and _name(index["table"]) in temporary:
            if index["name"]:
                temporary.add(_name(index["name"]))
            return NOTHING
        return SCHEMA
    if head == "DROP":
        dropped = _DROP_OBJECTS.match(statement)
        if dropped and all(_name(n) in temporary for n in dropped["names"].split(",")):
            return NOTHING
        return SCHEMA
    if head == "ALTER":
        toggle = _TOGGLE.match(statement)
        if toggle and _toggled(toggle) in restored:
            return NOTHING
        altered = _ALTER_TABLE.match(statement)
        return NOTHING if altered and _name(altered["table"]) in temporary else SCHEMA
    if head in _SCHEMA_SQL:
        return SCHEMA
    if head in _DATA_SQL or (head == "WITH" and _DATA_SQL & set(words)):
        return DATA
    if head in _NEUTRAL_SQL:
        return NOTHING
    if head in _BLOCK_SQL:
        return _block_kind(statement, temporary, restored) if nested else NOTHING
    return UNKNOWN


def _block_kind(statement: str, temporary: set[str], restored: set[tuple[str, str]]) -> str:
    """The kind of the statements a block runs (each from a `BEGIN`, `THEN`, `ELSE`,
    `LOOP` or dollar quote to the next), in one pass: the block's own words, at the
    start of a piece, say nothing themselves."""
    starts = [m.end() for m in _IN_BLOCK.finditer(statement)]
    inner = {
        _kind(statement[start:end], temporary, restored, nested=False)
        for start, end in zip(starts, [*starts[1:], len(statement)], strict=True)
    }
    found = [k for k in (SCHEMA, DATA, UNKNOWN) if k in inner]
    return found[0] if found else NOTHING


def _name(text: str) -> str:
    return text.strip().strip('"`').lower().rsplit(".", 1)[-1].strip('"`')


def shown(call: OpCall) -> str:
    """``op.execute("ALTER TABLE events.breaks …")``, ``batch_op.add_column()``."""
    owner = "batch_op" if call.batch else "op"
    if call.name == "execute" and call.sql:
        words = " ".join(_SQL_COMMENTS.sub(" ", call.sql).split())
        brief = words
        if len(words) > 40:
            cut = words[:40].rsplit(" ", 1)[0]
            # A long first word (`setval('a_long_sequence_name', ...)`) is cut inside.
            brief = (cut if len(cut) >= 20 else words[:40]) + " …"
        return f'`{owner}.execute("{brief}")`'
    return f"`{owner}.{call.name}()`"
