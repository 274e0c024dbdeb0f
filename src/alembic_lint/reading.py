"""What both fact readers (LibCST's and CPython's ast) agree on, whatever tree they walk."""

from __future__ import annotations

from collections.abc import Collection, Iterable

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


def per_database(functions: Iterable[str]) -> bool:
    """``upgrade_<engine>()`` functions among these: the multidb template, whose operations
    go to one database per engine."""
    return any(name not in UPDOWN and function_role(name) for name in functions)
