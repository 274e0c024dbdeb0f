"""What both fact readers (LibCST's and CPython's ast) agree on, whatever tree they walk."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

from alembic_lint.model import Body

if TYPE_CHECKING:
    from alembic_lint.model import OpCall

#: A keyword argument whose value is not a literal.
NOT_LITERAL = ...
#: `if` tests whose body never runs, and whose body always runs.
FALSY_TESTS = frozenset({"TYPE_CHECKING", "typing.TYPE_CHECKING", "False", "0", "None"})
TRUTHY_TESTS = frozenset({"True", "1"})
#: Wrappers of the SQL text in `op.execute(text("..."))`.
SQL_TEXT_FUNCS = frozenset(
    {"text", "sa.text", "sqlalchemy.text", "sql.text", "sqlalchemy.sql.text"}
)
UPDOWN = ("upgrade", "downgrade")
#: Operations whose arguments the schema model reads (model.OpCall.args): the others'
#: arguments are not built (a ``bulk_insert`` may hold thousands of rows).
ARGUMENTS_READ = frozenset(
    {
        "create_table",
        "drop_table",
        "rename_table",
        "add_column",
        "drop_column",
        "alter_column",
        "create_index",
        "drop_index",
        "create_foreign_key",
        "create_unique_constraint",
        "create_check_constraint",
        "create_primary_key",
        "create_exclude_constraint",
        "drop_constraint",
        "batch_alter_table",
    }
)


def def_order(name: str) -> tuple[int, str]:
    """The order in which functions are read: upgrade, downgrade, then the others by name."""
    return (0 if name == "upgrade" else 1 if name == "downgrade" else 2, name)


def function_role(name: str) -> str | None:
    """``upgrade`` or ``downgrade`` for those functions and their ``upgrade_<name>`` kin
    (multidb templates), else None."""
    for candidate in UPDOWN:
        if name == candidate or name.startswith(candidate + "_"):
            return candidate
    return None


def is_op_owner(owner: str | None, op_names: Collection[str], op_modules: Collection[str]) -> bool:
    """Whether ``owner.x(...)`` is an operation: ``owner`` is a name bound to
    ``alembic.op``, or ``<module>.op`` for a module imported as alembic (both readers)."""
    return owner in op_names or (
        owner is not None and owner.endswith(".op") and owner[:-3] in op_modules
    )


def is_context_bind(owner: str | None, attr: str) -> bool:
    """``context.get_bind()`` (``from alembic import context``): the migration's connection,
    read as ``op.get_bind()`` is (both readers)."""
    return attr == "get_bind" and owner in ("context", "alembic.context")


def per_database(functions: Iterable[str]) -> bool:
    """``upgrade_<engine>()`` functions among these: the multidb template, whose operations
    go to one database per engine."""
    return any(name not in UPDOWN and function_role(name) for name in functions)


F = TypeVar("F")


def effective_body(function: F, actions: Callable[[F], Iterator[F | Body]]) -> Body:
    """What ``function`` amounts to, following calls to the module's own functions.

    ``actions(f)`` yields, for each statement of ``f`` that is not trivial, in order:
    Body.NOT_IMPLEMENTED for a ``raise``, the function a statement only calls
    (``helper(...)``), or Body.CODE for anything else. The first statement that does
    something decides; a function already entered (recursion, a second call) adds nothing.
    A stack of its own, not recursion: a chain of helpers may be long."""
    seen = {id(function)}
    stack = [actions(function)]
    while stack:
        action = next(stack[-1], None)
        if action is None:
            stack.pop()
        elif isinstance(action, Body):
            return action
        elif id(action) not in seen:
            seen.add(id(action))
            stack.append(actions(action))
    return Body.EMPTY


#: Modules under ``sqlalchemy.dialects`` and keyword prefixes (``postgresql_using=``), by
#: the dialect they show a migration is written for (``postgres`` is SQLAlchemy's old name).
DIALECT_MODULES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "mssql": "mssql",
    "oracle": "oracle",
}
DIALECT_PREFIXES = frozenset({"postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle"})


#: Bytes that the text of any file giving dialect evidence contains (the module path of a
#: dialect import, a dialect keyword's prefix); Python folds non-ASCII identifiers (NFKC),
#: so a file with any non-ASCII byte may give evidence too.
_EVIDENCE_MARKS = (b"dialects", *(f"{prefix}_".encode() for prefix in DIALECT_PREFIXES))


def may_name_dialect(data: bytes) -> bool:
    """Whether a file's facts may name a dialect (False: they certainly name none), told
    from its bytes without parsing them."""
    return not data.isascii() or any(mark in data for mark in _EVIDENCE_MARKS)


def imported_dialect(dotted: str | None) -> str | None:
    """The dialect of an imported module (``sqlalchemy.dialects.postgresql[.x]``), if any."""
    if dotted is None or not dotted.startswith("sqlalchemy.dialects."):
        return None
    return DIALECT_MODULES.get(dotted.split(".")[2])


def from_import_dialects(module: str | None, names: Iterable[str]) -> set[str]:
    """The dialects of ``from module import names`` (``*``: the module alone)."""
    if not module:
        return set()
    dotted = [module, *(f"{module}.{name}" for name in names)]
    return {found for d in dotted if (found := imported_dialect(d)) is not None}


def file_dialects(imported: Collection[str], ops: Iterable[OpCall]) -> tuple[str, ...]:
    """The dialects a file shows it is written for: its dialect imports, and the prefixes
    of its operations' dialect keywords (``sqlite_autoincrement=True``)."""
    found = set(imported)
    for call in ops:
        for key, _ in call.keywords:
            prefix, underscore, _ = key.partition("_")
            if underscore and prefix in DIALECT_PREFIXES:
                found.add(prefix)
    return tuple(sorted(found))
