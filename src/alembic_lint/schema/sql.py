"""What the literal SQL of ``op.execute()`` does to the schema, where that is unambiguous.

Plain DDL (CREATE/DROP/ALTER TABLE, CREATE/DROP INDEX) is read; data statements and DDL
on other objects (views, functions, sequences, types...) change no table; anything else,
or anything not read to the end, makes what it may touch unsure."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from alembic_lint.model import CONNECTION_EXECUTE, RESULT_USED, Expr, Opaque, OpCall
from alembic_lint.schema.changes import Alter, Change
from alembic_lint.schema.objects import Column, Constraint, Index

_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?\*/)
    |(?P<string>'(?:[^']|'')*'|\$(?P<tag>\w*)\$.*?\$(?P=tag)\$)
    |(?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    |(?P<word>[A-Za-z_\x00][\w$\x00]*)
    |(?P<number>\d+(?:\.\d*)?)
    |(?P<punct>::|<>|!=|<=|>=|\|\||.)
    """,
    re.VERBOSE | re.DOTALL,
)

#: Statements that change no table, column, index or constraint.
_DATA = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "SELECT",
        "MERGE",
        "UPSERT",
        "TRUNCATE",
        "COMMENT",
        "GRANT",
        "REVOKE",
        "SET",
        "RESET",
        "ANALYZE",
        "ANALYSE",
        "VACUUM",
        "REINDEX",
        "CLUSTER",
        "LOCK",
        "NOTIFY",
        "LISTEN",
        "UNLISTEN",
        "PRAGMA",
        "EXPLAIN",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "START",
        "REFRESH",
        "DISCARD",
        "VALUES",
        "USE",
    }
)
#: Objects whose CREATE/DROP/ALTER leaves tables alone.
_OTHER_OBJECTS = frozenset(
    {
        "VIEW",
        "MATERIALIZED",
        "FUNCTION",
        "PROCEDURE",
        "TRIGGER",
        "SEQUENCE",
        "TYPE",
        "EXTENSION",
        "DOMAIN",
        "RULE",
        "POLICY",
        "ROLE",
        "USER",
        "GROUP",
        "COLLATION",
        "AGGREGATE",
        "OPERATOR",
        "CAST",
        "EVENT",
        "PUBLICATION",
        "SUBSCRIPTION",
        "STATISTICS",
        "LANGUAGE",
        "SERVER",
        "DATABASE",
        "TABLESPACE",
        "TEXT",
        "CONVERSION",
        "DEFINER",
        "ALGORITHM",
        "SQL",
        "ACCESS",
        "TRANSFORM",
    }
)
#: Objects whose ``DROP ... CASCADE`` takes no column, default, index or constraint along
#: (dropping a type, domain, function, sequence or extension with CASCADE drops the
#: columns, defaults, indexes and constraints that use it).
_DROPPED_ALONE = frozenset({"VIEW", "MATERIALIZED", "TRIGGER", "POLICY", "RULE"})
#: ALTER TABLE actions that change nothing the model holds.
_HARMLESS_ACTIONS = frozenset(
    {"OWNER", "ENABLE", "DISABLE", "CLUSTER", "REPLICA", "INHERIT", "NO", "FORCE", "VALIDATE"}
)
#: Words that end a column's type in a column definition.
_COLUMN_WORDS = frozenset(
    {
        "NOT",
        "NULL",
        "DEFAULT",
        "PRIMARY",
        "UNIQUE",
        "REFERENCES",
        "CHECK",
        "CONSTRAINT",
        "COLLATE",
        "GENERATED",
        "AUTO_INCREMENT",
        "AUTOINCREMENT",
        "COMMENT",
        "ON",
        "IDENTITY",
    }
)
_TABLE_CONSTRAINTS = frozenset(
    {"CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "EXCLUDE", "KEY", "INDEX", "LIKE"}
)


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # "word", "quoted", "string", "number", "punct"
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str | None:
        """The identifier it spells (quotes removed), or None."""
        if self.kind == "word":
            return self.text
        if self.kind == "quoted":
            body = self.text[1:-1]
            return body.replace('""', '"').replace("``", "`")
        return None


class _Unreadable(Exception):
    """The statement is not one the model reads exactly."""


#: Stands for a hole of a template in the text read (what only running the file tells).
HOLE = "\x00"


def changes(call: OpCall) -> Iterator[Change]:
    """The changes of one ``op.execute()`` (or ``batch_op.execute()``) call, or of SQL run
    on the connection (model.CONNECTION_EXECUTE). On the connection, a statement whose
    rows are read (model.RESULT_USED) is taken for a query: what the model cannot read
    there changes nothing, what it reads (DDL) still counts."""
    if call.name == CONNECTION_EXECUTE:
        shown = str(call.args[0]) if call.args else "execute"
        if call.args[1:] == (RESULT_USED,) and not _ddl_first(call):
            yield from (c for c in _changes(call, shown) if c.action != "unknown")
            return
    else:
        shown = "batch_op.execute" if call.batch else "op.execute"
    yield from _changes(call, shown)


_SQL_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
#: First words of statements that are DDL (or run code) whatever is done with their result.
_DDL_WORDS = frozenset({"ALTER", "CREATE", "DROP", "RENAME", "TRUNCATE", "DO", "CALL", "EXEC"})


def _ddl_first(call: OpCall) -> bool:
    """Whether the SQL's first literal word is a DDL one."""
    sql = call.sql
    if sql is None:
        statement = call.statement
        first = statement[0] if isinstance(statement, tuple) and statement else statement
        sql = first if isinstance(first, str) else ""
    words = _SQL_COMMENT.sub(" ", sql).split(None, 1)
    return bool(words) and words[0].lstrip("(").upper() in _DDL_WORDS


def _changes(call: OpCall, shown: str) -> Iterator[Change]:
    sql = call.sql
    if sql is None:
        sql = _text(call.statement)
    if sql is None:
        yield Change("unknown", None, call.ref, shown, why="SQL that is not a literal")
        return
    try:
        statements = list(_statements(sql))
    except _Unreadable:
        yield Change("unknown", None, call.ref, shown, why="SQL it cannot read")
        return
    for tokens in statements:
        if any(HOLE in tok.text for tok in tokens):
            if not _neutral(tokens):
                why = "SQL that is not a literal"
                yield Change("unknown", None, call.ref, shown, why=why)
            continue
        yield from _statement(tokens, call.ref, shown)


def _text(statement: Expr) -> str | None:
    """The text of an execute's statement (see executed.py), holes as HOLE."""
    if isinstance(statement, str):
        return None if HOLE in statement else statement
    if not isinstance(statement, tuple) or not statement:
        return None
    pieces = []
    for piece in statement:
        if isinstance(piece, Opaque):
            pieces.append(HOLE)
        elif isinstance(piece, str) and HOLE not in piece:
            pieces.append(piece)
        else:
            return None
    return "".join(pieces)


def _neutral(tokens: list[_Tok]) -> bool:
    """Whether a statement with holes (f-string values, SQLAlchemy's own clauses) surely
    changes nothing the model holds, its kind told by the literal words it starts with.
    A hole is taken for a value or a name within the statement, never for more of them;
    one where the statement's kind is decided leaves it unread."""
    words = [t.upper if HOLE not in t.text else "" for t in tokens[:4]]
    first = words[0]
    if first in ("INSERT", "UPDATE", "DELETE", "COMMENT", "GRANT", "REVOKE"):
        return True
    if first == "WITH":
        return _with_data(tokens)
    if first == "CREATE":
        rest = words[3:] if words[1:3] == ["OR", "REPLACE"] else words[1:]
        return bool(rest) and rest[0] in _CREATED_ALONE
    if first == "DROP":
        # CASCADE (which a hole may hold) takes along what depends on the object:
        # columns of a type, defaults calling a function; not so for these.
        return words[1] in _DROPPED_ALONE
    return False


#: Objects created without touching a table (``CREATE [OR REPLACE] <object>``).
_CREATED_ALONE = frozenset({"FUNCTION", "PROCEDURE", "TRIGGER", "VIEW", "SEQUENCE", "TYPE"})


def _with_data(tokens: list[_Tok]) -> bool:
    """``WITH name AS (...), ... INSERT/UPDATE/DELETE ...``: common table expressions
    then a data statement (in PostgreSQL, every part of one is a data statement)."""
    parser = _Parser(tokens)
    parser.expect("WITH")
    parser.word("RECURSIVE")
    try:
        while True:
            parser.name()
            if (tok := parser.peek()) is not None and tok.text == "(":
                parser.group()
            parser.expect("AS")
            if not parser.words("NOT", "MATERIALIZED"):
                parser.word("MATERIALIZED")
            parser.group()
            if not parser.punct(","):
                break
    except _Unreadable:
        return False
    tok = parser.peek()
    return tok is not None and tok.upper in ("INSERT", "UPDATE", "DELETE") and HOLE not in tok.text


def _statements(sql: str) -> Iterator[list[_Tok]]:
    tokens: list[_Tok] = []
    position = 0
    while position < len(sql):
        match = _TOKEN.match(sql, position)
        if match is None:
            raise _Unreadable(sql[position:])
        position = match.end()
        kind = match.lastgroup
        if kind == "tag":
            kind = "string"
        if kind in (None, "space"):
            continue
        text = match.group(0)
        if kind == "punct" and text == ";":
            if tokens:
                yield tokens
            tokens = []
            continue
        tokens.append(_Tok(kind, text))
    if tokens:
        yield tokens


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self, offset: int = 0) -> _Tok | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def word(self, *choices: str) -> bool:
        """Consume the next token if it is one of these words."""
        tok = self.peek()
        if tok is not None and tok.upper in choices:
            self.at += 1
            return True
        return False

    def words(self, *sequence: str) -> bool:
        """Consume these words in a row, or nothing."""
        for offset, expected in enumerate(sequence):
            tok = self.peek(offset)
            if tok is None or tok.upper != expected:
                return False
        self.at += len(sequence)
        return True

    def expect(self, *choices: str) -> None:
        if not self.word(*choices):
            raise _Unreadable(f"expected {choices}")

    def punct(self, text: str) -> bool:
        tok = self.peek()
        if tok is not None and tok.kind == "punct" and tok.text == text:
            self.at += 1
            return True
        return False

    def name(self) -> str:
        """A possibly qualified name (``schema.table``)."""
        parts = [self._part()]
        while self.punct("."):
            parts.append(self._part())
        return ".".join(parts)

    def _part(self) -> str:
        tok = self.peek()
        found = tok.name if tok is not None else None
        if found is None:
            raise _Unreadable("expected a name")
        self.at += 1
        return found

    def done(self) -> bool:
        return self.at >= len(self.tokens)

    def group(self) -> list[_Tok]:
        """The tokens inside the parentheses that come next (consumed)."""
        if not self.punct("("):
            raise _Unreadable("expected (")
        depth, start = 1, self.at
        while depth:
            tok = self.peek()
            if tok is None:
                raise _Unreadable("unbalanced parentheses")
            self.at += 1
            if tok.kind == "punct" and tok.text == "(":
                depth += 1
            elif tok.kind == "punct" and tok.text == ")":
                depth -= 1
        return self.tokens[start : self.at - 1]

    def rest(self) -> list[_Tok]:
        found, self.at = self.tokens[self.at :], len(self.tokens)
        return found


def _split(tokens: list[_Tok]) -> list[list[_Tok]]:
    """Split on commas outside parentheses."""
    parts: list[list[_Tok]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == "punct" and tok.text == "(":
            depth += 1
        elif tok.kind == "punct" and tok.text == ")":
            depth -= 1
        if depth == 0 and tok.kind == "punct" and tok.text == ",":
            parts.append([])
        else:
            parts[-1].append(tok)
    return [p for p in parts if p]


def _names(tokens: list[_Tok]) -> tuple[str, ...]:
    """``a, b`` → ("a", "b"); raises for anything else (an expression, a sort order)."""
    found = []
    for part in _split(tokens):
        parser = _Parser(part)
        found.append(parser.name())
        parser.word("ASC", "DESC")
        if not parser.done():
            raise _Unreadable("not a plain column list")
    return tuple(found)


#: Words a SELECT may put before ``(`` without calling anything of the project's: SQL's
#: own words and the built-in functions migrations select for their effect on data,
#: sequences, locks or settings. Any other function may run DDL (a PL/pgSQL function
#: the history defines, TimescaleDB's ``create_hypertable``, pg_partman's
#: ``create_parent``).
_SELECTED_ALONE = frozenset(
    {
        *("SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "EXISTS", "ANY", "ALL"),
        *("VALUES", "AS", "ON", "USING", "JOIN", "BY", "OVER", "FILTER", "WITHIN", "ROW"),
        *("ARRAY", "CAST", "COALESCE", "NULLIF", "GREATEST", "LEAST", "CASE", "WHEN"),
        *("THEN", "ELSE", "IS", "LIKE", "UNION", "SOME", "LATERAL", "GROUP", "HAVING"),
        *("SETVAL", "NEXTVAL", "CURRVAL", "LASTVAL", "PG_GET_SERIAL_SEQUENCE"),
        *("PG_ADVISORY_LOCK", "PG_ADVISORY_XACT_LOCK", "PG_ADVISORY_UNLOCK"),
        *("PG_TRY_ADVISORY_LOCK", "PG_TRY_ADVISORY_XACT_LOCK", "PG_ADVISORY_UNLOCK_ALL"),
        *("SET_CONFIG", "CURRENT_SETTING", "PG_SLEEP", "VERSION", "NOW", "COUNT", "MAX"),
        *("MIN", "SUM", "AVG", "LOWER", "UPPER", "LENGTH", "CONCAT", "SUBSTRING", "TRIM"),
        *("REPLACE", "ROUND", "ABS", "TO_CHAR", "DATE_TRUNC", "EXTRACT", "STRING_AGG"),
        *("ARRAY_AGG", "JSON_BUILD_OBJECT", "JSONB_BUILD_OBJECT", "GEN_RANDOM_UUID"),
        *("UUID_GENERATE_V4", "MD5", "RANDOM", "CHAR_LENGTH", "POSITION", "FORMAT"),
    }
)


def _calls_unknown_function(tokens: list[_Tok]) -> bool:
    """Whether a SELECT calls a function other than SQL's own harmless ones."""
    for before, tok in itertools.pairwise(tokens):
        opens = tok.kind == "punct" and tok.text == "("
        named = before.kind == "quoted" or before.kind == "word"
        if opens and named and before.upper not in _SELECTED_ALONE:
            return True
    return False


def _statement(tokens: list[_Tok], ref: int, shown: str) -> Iterator[Change]:
    parser = _Parser(tokens)
    first = tokens[0].upper
    if first == "SELECT" and _calls_unknown_function(tokens):
        why = "a SELECT of a function, which may change any table"
        yield Change("unknown", None, ref, shown, why=why)
        return
    if first in _DATA or (first == "WITH" and not _mentions_ddl(tokens)):
        return
    table: str | None = None
    try:
        if parser.word("CREATE"):
            parser.words("OR", "REPLACE")
            unique = parser.word("UNIQUE")
            parser.word("TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL")
            parser.word("TEMP", "TEMPORARY")
            if not unique and parser.word("TABLE"):
                guarded = parser.words("IF", "NOT", "EXISTS")
                table = parser.name()
                yield _create_table(parser, table, ref, shown, guarded)
                return
            if parser.word("INDEX"):
                yield _create_index(parser, unique, ref, shown)
                return
            if not unique and (tok := parser.peek()) is not None and tok.upper in _OTHER_OBJECTS:
                return
        elif parser.word("DROP"):
            if parser.word("TABLE"):
                guarded = parser.words("IF", "EXISTS")
                for name in _table_list(tokens):
                    yield Change("drop_table", name, ref, shown, guarded=guarded)
                return
            if parser.word("INDEX"):
                parser.word("CONCURRENTLY")
                guarded = parser.words("IF", "EXISTS")
                name = parser.name()
                if parser.word("ON"):
                    table = parser.name()
                if not parser.done():
                    parser.word("CASCADE", "RESTRICT")
                if not parser.done():
                    raise _Unreadable("more after DROP INDEX")
                yield Change("drop_index", table, ref, shown, name=_last(name), guarded=guarded)
                return
            tok = parser.peek()
            if (
                tok is not None
                and tok.upper in _OTHER_OBJECTS
                and (tok.upper in _DROPPED_ALONE or all(t.upper != "CASCADE" for t in tokens))
            ):
                return
        elif parser.word("ALTER"):
            if parser.word("TABLE"):
                guarded = parser.words("IF", "EXISTS")
                parser.word("ONLY")
                table = parser.name()
                actions = _split(parser.rest())
                if len(actions) > 1 and any(_renames_name(a) for a in actions):
                    # PostgreSQL refuses it, MySQL runs all: the outcome depends on which.
                    raise _Unreadable("RENAME CONSTRAINT/INDEX with other actions")
                found = [
                    change
                    for action in actions
                    for change in _alter_action(_Parser(action), table, ref, shown)
                ]
                # IF EXISTS: nothing fails when the table is not there.
                yield from (replace(c, guarded=True) for c in found) if guarded else found
                return
            if parser.word("INDEX"):
                guarded = parser.words("IF", "EXISTS")
                old = parser.name()
                if parser.words("RENAME", "TO"):
                    new = parser.name()
                    if parser.done():
                        alter = Alter(new_name=_last(new))
                        yield Change(
                            "rename_index", None, ref, shown, name=old, alter=alter, guarded=guarded
                        )
                        return
            if (tok := parser.peek()) is not None and tok.upper in _OTHER_OBJECTS - {"DATABASE"}:
                return
        elif parser.word("RENAME"):
            parser.expect("TABLE")
            table = parser.name()
            parser.expect("TO")
            new = parser.name()
            if parser.done():
                yield Change("rename_table", table, ref, shown, name=new)
                return
    except _Unreadable:
        pass
    yield Change("unknown", table, ref, shown, why="SQL it cannot read")


def _renames_name(action: list[_Tok]) -> bool:
    """``RENAME CONSTRAINT``, ``RENAME INDEX`` or ``RENAME KEY``."""
    words = [t.upper for t in action[:2]]
    return words[0] == "RENAME" and len(words) > 1 and words[1] in ("CONSTRAINT", "INDEX", "KEY")


def _mentions_ddl(tokens: list[_Tok]) -> bool:
    return any(t.upper in ("CREATE", "DROP", "ALTER", "RENAME") for t in tokens)


def _last(name: str) -> str:
    """An index name without its schema (index names are per schema, looked up alone)."""
    return name.rsplit(".", 1)[-1]


def _table_list(tokens: list[_Tok]) -> list[str]:
    parser = _Parser(tokens)
    parser.expect("DROP")
    parser.expect("TABLE")
    parser.words("IF", "EXISTS")
    names = []
    for part in _split(parser.rest()):
        sub = _Parser(part)
        names.append(sub.name())
        sub.word("CASCADE", "RESTRICT")
        if not sub.done():
            raise _Unreadable("more after DROP TABLE")
    return names


def _create_table(parser: _Parser, table: str, ref: int, shown: str, guarded: bool) -> Change:
    if parser.word("AS", "LIKE", "PARTITION", "OF"):
        return Change("create_table", table, ref, shown, guarded=guarded, partial=True, why="SQL")
    items = parser.group()
    columns: list[Column] = []
    indexes: list[Index] = []
    constraints: list[Constraint] = []
    partial = False
    for item in _split(items):
        try:
            if item[0].upper in _TABLE_CONSTRAINTS:
                found = _table_constraint(_Parser(item))
                if isinstance(found, Index):
                    indexes.append(found)
                elif found is not None:
                    constraints.append(found)
                else:
                    partial = True
                continue
            column, implied = _column(_Parser(item))
            columns.append(column)
            constraints.extend(implied)
        except _Unreadable:
            partial = True
    return Change(
        "create_table",
        table,
        ref,
        shown,
        columns=tuple(columns),
        indexes=tuple(indexes),
        constraints=tuple(constraints),
        guarded=guarded,
        # Table options after the list (ENGINE=..., WITH (...)) change no column.
        partial=partial,
        why="SQL" if partial else "",
    )


def _column(parser: _Parser) -> tuple[Column, list[Constraint]]:
    name = parser.name()
    type_words: list[str] = []
    while (tok := parser.peek()) is not None and tok.upper not in _COLUMN_WORDS:
        if tok.kind == "punct" and tok.text == "(":
            type_words.append("(" + " ".join(t.text for t in parser.group()) + ")")
            continue
        type_words.append(tok.text)
        parser.at += 1
    nullable = True
    primary = False
    default = None
    constraints: list[Constraint] = []
    while not parser.done():
        if parser.words("NOT", "NULL"):
            nullable = False
        elif parser.word("NULL"):
            nullable = True
        elif parser.words("PRIMARY", "KEY"):
            primary, nullable = True, False
            constraints.append(Constraint("primary", None, (name,)))
        elif parser.word("UNIQUE"):
            parser.word("KEY")
            constraints.append(Constraint("unique", None, (name,)))
        elif parser.word("DEFAULT"):
            tok = parser.peek()
            if tok is None:
                raise _Unreadable("DEFAULT without a value")
            if tok.kind == "punct" and tok.text == "(":
                default = "(" + " ".join(t.text for t in parser.group()) + ")"
            else:
                parser.at += 1
                default = tok.text
                if parser.punct("("):
                    parser.at -= 1
                    default += "(" + " ".join(t.text for t in parser.group()) + ")"
        elif parser.word("REFERENCES"):
            target = parser.name()
            remote = _names(parser.group()) if (t := parser.peek()) and t.text == "(" else ()
            referent = f"{target}({', '.join(remote)})" if remote else target
            constraints.append(Constraint("foreignkey", None, (name,), referent=referent))
        else:
            # Other column clauses (CHECK, COLLATE, GENERATED, comments...) change nothing
            # the model holds; consume one token or group at a time.
            tok = parser.peek()
            assert tok is not None
            if tok.kind == "punct" and tok.text == "(":
                parser.group()
            else:
                parser.at += 1
    column = Column(name, " ".join(type_words) or None, nullable, default, primary)
    return column, constraints


def _table_constraint(parser: _Parser) -> Constraint | Index | None:
    name = None
    if parser.word("CONSTRAINT"):
        name = parser.name()
    if parser.words("PRIMARY", "KEY"):
        return Constraint("primary", name, _names(parser.group()))
    if parser.word("UNIQUE"):
        parser.word("KEY", "INDEX")
        if (tok := parser.peek()) is not None and tok.kind != "punct":
            name = parser.name()
        return Constraint("unique", name, _names(parser.group()))
    if parser.words("FOREIGN", "KEY"):
        local = _names(parser.group())
        parser.expect("REFERENCES")
        target = parser.name()
        remote = _names(parser.group())
        return Constraint("foreignkey", name, local, referent=f"{target}({', '.join(remote)})")
    if parser.word("CHECK"):
        condition = " ".join(t.text for t in parser.group())
        return Constraint("check", name, (), sqltext=condition)
    if parser.word("KEY", "INDEX"):
        index_name = (
            parser.name() if (t := parser.peek()) is not None and t.kind != "punct" else None
        )
        return Index(index_name, _names(parser.group()))
    return None


def _create_index(parser: _Parser, unique: bool, ref: int, shown: str) -> Change:
    parser.word("CONCURRENTLY")
    guarded = parser.words("IF", "NOT", "EXISTS")
    name = None
    if not parser.word("ON"):
        name = _last(parser.name())
        parser.expect("ON")
    parser.word("ONLY")
    table = parser.name()
    if parser.word("USING"):
        parser.name()
    try:
        columns: tuple[str | None, ...] = _names(parser.group())
    except _Unreadable:
        columns = (None,)
    index = Index(name, columns, unique)
    return Change("create_index", table, ref, shown, name=name, indexes=(index,), guarded=guarded)


def _alter_action(parser: _Parser, table: str, ref: int, shown: str) -> Iterator[Change]:
    if parser.word("ADD"):
        tok = parser.peek()
        if tok is not None and tok.upper in ("CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN", "CHECK"):
            found = _table_constraint(parser)
            if isinstance(found, Constraint):
                yield Change(
                    "add_constraint", table, ref, shown, name=found.name, constraints=(found,)
                )
                return
            raise _Unreadable("a constraint it cannot read")
        if tok is not None and tok.upper in ("INDEX", "KEY"):
            index = _table_constraint(parser)
            if isinstance(index, Index) and index.name is not None:
                yield Change("create_index", table, ref, shown, name=index.name, indexes=(index,))
                return
            raise _Unreadable("an index it cannot read")
        parser.word("COLUMN")
        guarded = parser.words("IF", "NOT", "EXISTS")
        column, constraints = _column(parser)
        yield Change(
            "add_column",
            table,
            ref,
            shown,
            name=column.name,
            columns=(column,),
            constraints=tuple(constraints),
            guarded=guarded,
        )
        return
    if parser.word("DROP"):
        if parser.word("CONSTRAINT"):
            guarded = parser.words("IF", "EXISTS")
            name = parser.name()
            parser.word("CASCADE", "RESTRICT")
            yield Change("drop_constraint", table, ref, shown, name=name, guarded=guarded)
            return
        if parser.word("INDEX", "KEY"):
            name = parser.name()
            yield Change("drop_index", table, ref, shown, name=name)
            return
        if parser.words("PRIMARY", "KEY") or parser.word("FOREIGN", "CHECK"):
            raise _Unreadable("a constraint dropped by kind")
        parser.word("COLUMN")
        guarded = parser.words("IF", "EXISTS")
        name = parser.name()
        parser.word("CASCADE", "RESTRICT")
        if not parser.done():
            raise _Unreadable("more after DROP COLUMN")
        yield Change("drop_column", table, ref, shown, name=name, guarded=guarded)
        return
    if parser.word("RENAME"):
        if parser.word("TO"):
            yield Change("rename_table", table, ref, shown, name=parser.name())
            return
        if (tok := parser.peek()) is not None and tok.upper in ("CONSTRAINT", "INDEX", "KEY"):
            parser.at += 1
            old = parser.name()
            parser.expect("TO")
            new = parser.name()
            if not parser.done():
                raise _Unreadable("more after RENAME")
            action = "rename_constraint" if tok.upper == "CONSTRAINT" else "rename_index"
            yield Change(action, table, ref, shown, name=old, alter=Alter(new_name=new))
            return
        parser.word("COLUMN")
        old = parser.name()
        parser.expect("TO")
        new = parser.name()
        yield Change("alter_column", table, ref, shown, name=old, alter=Alter(new_name=new))
        return
    if parser.word("CHANGE"):
        raise _Unreadable("MySQL's CHANGE renames and redefines in one")
    if parser.word("ALTER", "MODIFY"):
        parser.word("COLUMN")
        name = parser.name()
        if parser.words("SET", "NOT", "NULL"):
            alter = Alter(nullable=False)
        elif parser.words("DROP", "NOT", "NULL"):
            alter = Alter(nullable=True)
        elif parser.words("DROP", "DEFAULT"):
            alter = Alter(drop_default=True)
        elif parser.words("SET", "DEFAULT"):
            alter = Alter(default=" ".join(t.text for t in parser.rest()) or None)
        elif parser.words("SET", "DATA", "TYPE") or parser.word("TYPE"):
            alter = Alter(type=" ".join(t.text for t in parser.rest()) or None)
        else:
            alter = Alter(unknown=True)
            parser.rest()
        yield Change("alter_column", table, ref, shown, name=name, alter=alter)
        return
    tok = parser.peek()
    if tok is not None and tok.upper in _HARMLESS_ACTIONS:
        return
    raise _Unreadable("an ALTER TABLE action the model does not read")
