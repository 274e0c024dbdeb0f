"""Facts extracted from migration files: plain frozen data, no CST, no graph."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic_lint.branch import Archive, Branch
    from alembic_lint.schema.changes import SchemaChanges

#: The four module-level variables Alembic reads from a revision file.
REVISION_VARS = ("revision", "down_revision", "branch_labels", "depends_on")


def frozen_setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """The setters of a frozen, slotted dataclass's fields, in order, for an ``__init__``
    written by hand: the slot descriptors' own ``__set__``, which a frozen class's
    ``__setattr__`` does not stand in front of. Only for classes whose objects the
    readers make by the thousand; the others keep the dataclass's ``__init__``. The
    hand-written ``__init__`` must take the fields in their order, which is checked
    here, once, as the class is made."""
    names = tuple(f.name for f in fields(cls))
    code = cls.__init__.__code__  # type: ignore[misc]
    assert code.co_varnames[1 : code.co_argcount] == names, f"{cls.__name__}.__init__"
    return tuple(getattr(cls, name).__set__ for name in names)


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based source range; ``end_column`` is exclusive, columns count code points."""

    line: int
    column: int
    end_line: int
    end_column: int


#: Where a fact is when the file has no position information (never shown to users).
NOWHERE = Span(1, 1, 1, 1)


class Status(Enum):
    """How a revision variable is bound at the end of the module body."""

    LITERAL = "literal"  # a literal we know the value of
    UNRESOLVED = "unresolved"  # bound, but only executing the module would tell the value
    ABSENT = "absent"  # not bound at all (the module has no such attribute)


@dataclass(frozen=True, slots=True)
class Element:
    """One id inside a revision variable's value, with its own place in the source."""

    value: object  # normally a str; kept raw so invalid values can be reported
    ref: int


@dataclass(frozen=True, slots=True)
class Binding:
    """The last binding of one revision variable.

    ``value`` is the Python value the module would bind (str, None, int, tuple, list,
    frozenset...) when ``status`` is LITERAL. ``elements`` lists the ids it contains
    after Alembic's ``to_tuple`` normalisation, each with a source reference.
    """

    name: str
    status: Status
    value: object = None
    elements: tuple[Element, ...] = ()
    reason: str = ""  # why it is unresolved, e.g. "a name (PARENT)"
    ref: int = -1  # the assignment statement

    @property
    def known(self) -> bool:
        return self.status is Status.LITERAL


class GuardKind(Enum):
    """How a condition around an operation makes it safe to run when its object is gone."""

    #: Under a test that holds only when something exists: ``if "ix" in names:``,
    #: ``if inspector.has_table("t"):``, ``if table_exists(t):``, the ``else`` of their
    #: negation, or after ``if <negation>: return``.
    EXISTS = "exists"
    #: In a loop over what the inspector lists (``for ix in inspector.get_indexes(t):``):
    #: the arguments taken from the loop's element name something that exists.
    LISTED = "listed"
    #: In the body of a ``try`` whose handler swallows database errors (it catches them
    #: and does not re-raise), or of ``with contextlib.suppress(...)``.
    SWALLOWED = "swallowed"
    #: Under some other condition (an ``if``, a loop, an ``except`` handler, after an
    #: early ``return``), here or where a helper holding it is called: it may not run, or
    #: run several times. Guards nothing; the schema model makes what it touches unsure.
    CONDITION = "condition"


@dataclass(frozen=True, slots=True)
class Guard:
    """One condition an operation runs under (see flow.py for what counts)."""

    kind: GuardKind
    #: The operation's arguments that the test names (a positional index or a keyword):
    #: the same string literal, or the same (dotted) name, as in ``if name in existing:
    #: op.drop_index(name)``; for LISTED, those taken from the loop's element
    #: (``op.drop_index(ix["name"])``). Empty for SWALLOWED.
    arguments: tuple[int | str, ...] = ()
    #: The string literals the test names, sorted (for SQL in ``op.execute``).
    strings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Name:
    """A dotted name in an argument: ``sa.Integer``, ``postgresql.JSONB``."""

    dotted: str


@dataclass(frozen=True, slots=True, init=False)
class CallExpr:
    """A call in an argument: ``sa.Column('id', sa.Integer(), nullable=False)``."""

    func: str  # the callee's dotted name; "" when it is not one (``x().y()``)
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()
    star: bool = False  # ``*args`` or ``**kw``: more arguments than these

    def __init__(
        self,
        func: str,
        args: tuple[Expr, ...] = (),
        kwargs: tuple[tuple[str, Expr], ...] = (),
        star: bool = False,
    ) -> None:
        # What the dataclass would write, at 60% of its cost: a frozen dataclass sets
        # each field through object.__setattr__, and the readers make one of these for
        # every call in every operation's arguments (see frozen_setters).
        set_func, set_args, set_kwargs, set_star = _CALL_EXPR_SETTERS
        set_func(self, func)
        set_args(self, args)
        set_kwargs(self, kwargs)
        set_star(self, star)


_CALL_EXPR_SETTERS = frozen_setters(CallExpr)


@dataclass(frozen=True, slots=True)
class Opaque:
    """An argument only executing the file would tell: an f-string, a computation..."""


#: The one Opaque value (it carries nothing).
OPAQUE = Opaque()

#: An operation's argument as written: a literal (a tuple for a list, tuple or set
#: display), a dotted name, a call, or opaque.
Expr = str | bytes | int | float | bool | None | tuple["Expr", ...] | Name | CallExpr | Opaque
#: Arguments nested deeper than this are opaque (both readers stop at the same depth).
EXPR_DEPTH = 16


#: An OpCall's ``name`` for a call the readers do not follow, although it may run
#: operations the schema model cannot see: a function imported from another module, a
#: decorated helper, ``op`` handed to code (``getattr(op, name)``), SQLAlchemy creating
#: or dropping tables itself (``metadata.create_all(bind)``). ``args`` is (the callee as
#: written, why). Not an operation: only the schema model reads these.
UNFOLLOWED = "<call>"
#: An OpCall's ``name`` for SQL run through something other than ``op`` (the connection
#: of ``op.get_bind()``, a session): read as ``op.execute()`` is (``sql``,
#: ``statement``); ``args`` is (the callee as written,). Only the schema model reads these.
CONNECTION_EXECUTE = "<execute>"
#: A CONNECTION_EXECUTE's second ``args`` when the call's value is used (a query whose
#: rows are read: unreadable SQL there changes nothing).
RESULT_USED = "its result is used"


@dataclass(frozen=True, slots=True)
class OpCall:
    """A call to an Alembic operation inside ``upgrade()`` or ``downgrade()``, or inside a
    module-level function they call (see ``via``).

    New fields take a default, so that the readers and the cache (cache_json) can add
    them one at a time."""

    name: str  # "drop_table", "execute", ...
    function: str  # "upgrade" or "downgrade": the entry point it runs from
    batch: bool  # called on the target of ``with op.batch_alter_table(...) as b:``
    keywords: tuple[tuple[str, object], ...]  # keyword -> literal value (``...`` if not literal)
    star_kwargs: bool  # ``**kw`` present: any keyword may be there
    sql: str | None  # the literal SQL of ``op.execute("...")`` / ``op.execute(text("..."))``
    #: Where the call is. The same call reached from two entry points (a helper called by
    #: both ``upgrade()`` and ``downgrade()``) is two OpCalls with one ref.
    ref: int
    #: The module's own functions it was reached through, outermost first: ``()`` for a
    #: call written in the entry point itself, ``("drop_all", "_drop")`` for one in
    #: ``_drop``, called by ``drop_all``, called by ``upgrade``.
    via: tuple[str, ...] = ()
    #: The conditions it runs under inside its own function, outermost first.
    guards: tuple[Guard, ...] = ()
    #: The arguments as written (what the schema model reads).
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()
    #: For a batch operation, the ``op.batch_alter_table(...)`` call it is made in.
    batch_call: CallExpr | None = None
    #: For ``op.execute()`` whose SQL is not a literal: what it runs as far as the file
    #: tells (see executed.py): its text (str), literal pieces around OPAQUE holes (a
    #: tuple), or None.
    statement: Expr = None

    def keyword(self, name: str, default: object = None) -> object:
        for key, value in self.keywords:
            if key == name:
                return value
        return default

    def has_keyword(self, name: str) -> bool:
        return any(key == name for key, _ in self.keywords)


class Body(Enum):
    """What a function body amounts to, following calls to the module's own functions
    (``def downgrade(): _nothing()`` with ``def _nothing(): pass`` is EMPTY)."""

    EMPTY = "empty"  # pass, ..., docstring or comments only
    NOT_IMPLEMENTED = "not-implemented"  # raises NotImplementedError: declared irreversible
    CODE = "code"  # does something


@dataclass(frozen=True, slots=True)
class Function:
    """A module-level function (``upgrade``/``downgrade``) and what its body is."""

    name: str
    body: Body
    params: tuple[str, ...]
    ref: int  # the ``def`` line


@dataclass(frozen=True, slots=True)
class Header:
    """The docstring's ``Revision ID:`` / ``Revises:`` lines (ignored by Alembic's graph)."""

    revision_id: str | None = None
    revision_id_ref: int = -1
    revises: str | None = None
    revises_ref: int = -1


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """Why a file could not be read as Python, and where."""

    message: str
    ref: int
    #: The text never mentions ``revision``: the file cannot be defining an id we missed.
    defines_nothing: bool = False


@dataclass(frozen=True, slots=True)
class Suppression:
    """A ``# noqa[: CODES]`` comment, or a file-level ``# alembic-lint: file-ignore[CODES]``."""

    line: int
    column: int
    end_column: int
    codes: tuple[str, ...] | None  # None: every code


@dataclass(frozen=True, slots=True)
class Migration:
    """Everything the rules need to know about one file, without a CST."""

    path: str  # absolute path
    filename: str
    revision: Binding
    down_revision: Binding
    branch_labels: Binding
    depends_on: Binding
    header: Header = Header()
    functions: tuple[Function, ...] = ()
    ops: tuple[OpCall, ...] = ()
    syntax_error: SyntaxProblem | None = None
    message: str = ""  # first line of the docstring
    noqa: tuple[Suppression, ...] = ()
    file_ignores: tuple[Suppression, ...] = ()
    #: Database dialects the file shows it is written for (``sqlalchemy.dialects``
    #: imports, ``postgresql_*``-style keywords of operations), sorted; see dialects.py.
    dialects: tuple[str, ...] = ()
    #: Positions of every ``ref``, four ints each (see pack_spans); None until resolved.
    #: Flat machine ints rather than Span objects: thousands of files' worth stay small.
    spans: Sequence[int] | None = field(default=None, compare=False)
    #: Where each ``ref`` is in CPython's ast, one line per ref (see positions.py).
    locators: str = field(default="", compare=False)
    #: Hash of the bytes the facts were read from (see source.digest).
    digest: str = field(default="", compare=False)
    #: What the operations do to the schema (see schema.changes); None when unknown.
    changes: SchemaChanges | None = None

    def var(self, name: str) -> Binding:
        binding: Binding = getattr(self, name)
        return binding

    def function(self, name: str) -> Function | None:
        for func in self.functions:
            if func.name == name:
                return func
        return None

    def span(self, ref: int) -> Span:
        start = 4 * ref
        if self.spans is None or not 0 <= start < len(self.spans) - 3:
            return NOWHERE
        line, column, end_line, end_column = self.spans[start : start + 4]
        return Span(line, column, end_line, end_column)

    @property
    def revision_id(self) -> str | None:
        """The id Alembic would give this file, or None when it cannot be known statically."""
        rev = self.revision
        if rev.status is Status.LITERAL:
            return rev.value if isinstance(rev.value, str) else None
        if rev.status is Status.ABSENT and self.syntax_error is None:
            return legacy_revision_id(self.filename)
        return None

    @property
    def down_ids(self) -> tuple[object, ...]:
        """``down_revision`` after Alembic's normalisation (empty for a base)."""
        return tuple(e.value for e in self.down_revision.elements)

    @property
    def depends_ids(self) -> tuple[object, ...]:
        return tuple(e.value for e in self.depends_on.elements)

    @property
    def label_ids(self) -> tuple[object, ...]:
        return tuple(e.value for e in self.branch_labels.elements)


def pack_spans(spans: Iterable[Span]) -> Sequence[int]:
    return pack_flat(n for s in spans for n in (s.line, s.column, s.end_line, s.end_column))


def pack_flat(numbers: Iterable[int]) -> Sequence[int]:
    """Span numbers as one array of 32-bit ints: half the memory of a tuple of Python ints,
    which matters with a cold run's ten thousand files held at once."""
    flat = list(numbers)
    try:
        return array("i", flat)
    except OverflowError:  # a position past two thousand million: keep Python's ints
        return tuple(flat)


def normalise(name: str, value: object) -> tuple[object, ...]:
    """The ids in a value after Alembic's ``util.to_tuple`` (``revision`` is taken as is)."""
    if name == "revision":
        return (value,)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list | frozenset | set | bytes):
        return tuple(value)
    return (value,)


def legacy_revision_id(filename: str) -> str | None:
    """Alembic's pre-0.2 rule: a file without ``revision`` named ``<hex>.py`` gets that id."""
    stem, _, ext = filename.partition(".")
    if ext == "py" and stem and all(c in "0123456789abcdef" for c in stem):
        return stem
    return None


@dataclass(frozen=True, slots=True)
class History:
    """One revision history: the files of one script directory, in Alembic's load order."""

    name: str  # what the user asked for (a versions directory or a config file)
    migrations: tuple[Migration, ...]
    locations: tuple[str, ...] = ()
    #: With ``--against``: this history is a predicted merge, and this is what the
    #: current work changed against the target (see branch.py).
    branch: Branch | None = None
    #: Where deleted revisions are looked up (the git repository holding the history).
    archive: Archive | None = None
    #: The ``head-file`` setting's file for this history, if any: (path, its text or None
    #: when it does not exist).
    head_file: tuple[str, str | None] | None = None

    def __iter__(self) -> Iterator[Migration]:
        return iter(self.migrations)

    def __len__(self) -> int:
        return len(self.migrations)
