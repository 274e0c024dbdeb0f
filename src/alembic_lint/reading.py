"""What both fact readers (LibCST's and CPython's ast) agree on, whatever tree they walk."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import TypeVar

from alembic_lint.model import Body

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
