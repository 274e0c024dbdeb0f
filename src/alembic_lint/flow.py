"""How control reaches an operation, read from CPython's ast by both fact readers alike."""

from __future__ import annotations

import ast
import builtins
import functools
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from alembic_lint.executed import Scopes, constants, statement
from alembic_lint.model import (
    CONNECTION_EXECUTE,
    RESULT_USED,
    UNFOLLOWED,
    Expr,
    Guard,
    GuardKind,
    OpCall,
)
from alembic_lint.positions import Locator, NoMatch, _dotted, locate
from alembic_lint.reading import function_role

# Both readers walk their own tree to find operations and calls; what a function binds and
# which conditions an operation runs under are worked out here, once, on CPython's ast
# (the LibCST reader parses the file with ast when it needs them), and reached by the
# statement locators both readers share. So the two readers cannot disagree about them.

_Def = ast.FunctionDef | ast.AsyncFunctionDef
_COMPREHENSIONS = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
#: Statements after which the rest of a block does not run.
_EXITS = ast.Return | ast.Raise | ast.Continue | ast.Break


D = TypeVar("D")  # a function definition, in either reader's tree


# --------------------------------------------------------------------------- helpers


class Walk(Protocol):
    """Where a reader's walk of a function is (parse.ops._OpCollector, astread.ops._Ops)."""

    function: Locator  # the function's ``def``
    statement: Locator | None  # the innermost statement, if it has a locator
    seen_calls: int  # calls of the function before this one
    own_calls: int  # calls of the statement before this one
    conditional: bool  # an `if`, `for`, `try` or `with suppress` seen: guards are possible
    via: tuple[str, ...]  # the helpers the entry point reached the function through
    inherited: bool  # the function is a helper called under a condition
    #: Inside a lambda or a comprehension (how deep): what runs there may run any number
    #: of times, or never. A nested ``def``/``class`` body has no statement (``statement``
    #: None) and is taken the same way.
    deferred: int
    op_names: set[str]  # the names bound to ``alembic.op`` where the walk is


class ModuleScope(Generic[D]):
    """What a reader's walks of one module share: the module-level functions a call by
    name reaches (the reader fills ``defs`` as it walks the module: the last binding of a
    name when it is a ``def``; an assignment, import, class or ``del`` of the name at
    module level unbinds it), the module's ast, and the refs given to helpers' calls."""

    def __init__(
        self,
        parse: Callable[[], ast.Module | None],
        is_async: Callable[[D], bool],
        source: Callable[[], str | None] = lambda: None,
    ):
        # No callable may hold the reader: the reader holds this, and a cycle would keep
        # every tree alive until a garbage collection (a run keeps the collector off).
        # ``source``: the module's text, if at hand (see escapes).
        self.defs: dict[str, D] = {}
        self._source = source
        self._may_escape: dict[frozenset[str], bool] = {}
        self._parse: Callable[[], ast.Module | None] | None = parse
        self._tree: ast.Module | None = None
        self._is_async = is_async
        self._locals: dict[Locator, frozenset[str]] = {}
        self._placed: dict[int, tuple[int, tuple[Guard, ...]]] = {}
        self._assignments: dict[int, dict[str, ast.expr]] = {}  # see guards_at
        self._scopes: Scopes | None = None  # see executed.py
        self._imports: tuple[dict[str, str], tuple[str, ...]] | None = None  # see unfollowed
        self._function_imports: dict[Locator, dict[str, str]] = {}
        self._classes: frozenset[str] | None = None  # see _op_classes

    def tree(self) -> ast.Module | None:
        """The module's ast, parsed when first needed (the LibCST reader has none of its own)."""
        if self._parse is not None:
            self._tree, self._parse = self._parse(), None
        return self._tree

    def place(
        self, walk: Walk, node: object, name: str | None, ref: Callable[[Locator], int]
    ) -> tuple[int, tuple[Guard, ...]]:
        """The ref (from ``ref``, given the call's locator) and the guards of the operation
        call ``node`` where ``walk`` is; one ref however many entry points reach it.
        ``name``: the attribute called (``op.<name>(...)``), None for a call of a name."""
        # Only a helper's call can be reached again (from another entry point).
        known = self._placed.get(id(node)) if walk.via else None
        if known is None:
            statement = walk.statement
            locator = _locator(walk, name)
            guards: tuple[Guard, ...] = ()
            if walk.conditional and statement is not None:
                tree = self.tree()
                if tree is not None:
                    guards = guards_at(tree, statement, locator[:-1], self._assignments)
            known = (ref(locator), guards)
            if walk.via:
                self._placed[id(node)] = known
        if (walk.inherited or walk.deferred or walk.statement is None) and not known[1]:
            # A helper called under a condition (per call site: not kept with the ref), or
            # code that may run any number of times: a lambda, a comprehension, a nested
            # function.
            return known[0], (Guard(GuardKind.CONDITION),)
        return known

    def executed(self, walk: Walk) -> Expr:
        """What the ``execute`` call where ``walk`` is runs, when its SQL is not a literal
        (see executed.statement)."""
        scopes = self.scopes()
        if scopes is None:
            return None
        locator = _locator(walk, "execute")[:-1]
        return statement(scopes, walk.function, locator, walk.statement is not None)

    def constants(self, walk: Walk, name: str) -> dict[str, str]:
        """The names the call of operation ``name`` where ``walk`` is may read whose
        value is a string known exactly (see executed.constants)."""
        scopes = self.scopes()
        if scopes is None:
            return {}
        locator = _locator(walk, name)[:-1]
        return constants(scopes, walk.function, locator, walk.statement is not None)

    def scopes(self) -> Scopes | None:
        if self._scopes is None:
            tree = self.tree()
            if tree is None:
                return None
            self._scopes = Scopes(tree)
        return self._scopes

    def conditional_at(self, walk: Walk) -> bool:
        """Whether the statement ``walk`` is at runs under a condition (for a helper called
        from it: its operations may not run)."""
        if walk.inherited or walk.deferred or walk.statement is None:
            return True
        if not walk.conditional:
            return False
        tree = self.tree()
        return tree is not None and _conditional(tree, walk.statement)

    def escapes(self, function: Locator, op_names: Iterable[str]) -> str | None:
        """Why the readers may not see every operation the function at ``function`` runs
        through ``op`` (known as ``op_names`` where its walk starts) or a batch: either
        is used other than by calling its methods, aliasing it (``o = op``) or handing it
        to a call (see unfollowed); None when it is not."""
        names = set(op_names)
        key = frozenset(names)
        if key not in self._may_escape:
            text = self._source()
            self._may_escape[key] = text is None or _may_escape(text, names)
        if not self._may_escape[key]:
            return None  # the text shows no use of op or a batch but calling its methods
        tree = self.tree()
        if tree is None:
            return None
        try:
            func = locate(tree, function)
        except NoMatch:
            return None
        return _escape(func, names) if isinstance(func, _Def) else None

    def reached(self, name: str, caller: Locator) -> D | None:
        """The function a call of ``name`` in the function at ``caller`` runs, unless the
        caller binds the name itself; not an ``async def`` (calling one runs none of it)."""
        func = self.defs.get(name)
        if func is None or self._is_async(func):
            return None
        return None if self._bound(caller, name) else func

    def unfollowed(
        self,
        walk: Walk,
        callee: str | None,
        attr: str | None,
        receiver: str | None,
        bind: bool,
        op_argument: bool,
        effect: bool,
    ) -> tuple[str, str, str] | None:
        """What a call that is neither an operation nor a followed helper may do that the
        schema model cannot see: (``UNFOLLOWED`` or ``CONNECTION_EXECUTE``, the callee as
        shown, why), or None for a call that runs no DDL of its own (a builtin, the
        standard library, SQLAlchemy building a clause, a method of a local value, an
        object being built). ``callee``: the called dotted name, if it is one; ``attr``:
        the method's name for ``x.attr(...)``; ``receiver``: ``x``'s dotted name, or the
        dotted name ``x`` is a call of; ``bind``: a positional argument or ``bind=`` is
        given (``t.create(bind)``, not an ORM's ``Model.create(name=...)``); ``op_argument``:
        ``op`` itself is one of them; ``effect``: the call is made for its effect (a
        statement of its own, or a ``with`` block's context), its value is not used.

        A function from another module counts only when it is called for its effect:
        one whose value is used (``if config("X"):``, ``name = slugify(text)``) is taken
        to compute that value. SQL on the connection whose result is used is a query
        (see schema.sql.changes)."""
        shown = callee or (f"{receiver}(...).{attr}" if receiver and attr else attr or "a call")
        if callee in self.defs and not self._bound(walk.function, callee):
            return None  # the module's own function, followed where it is first called
        if attr in _EXECUTES:
            return CONNECTION_EXECUTE, shown, "" if effect else RESULT_USED
        if attr in ("create_all", "drop_all"):
            return UNFOLLOWED, shown, "SQLAlchemy creating or dropping tables itself"
        if attr in ("create", "drop") and bind and not self._a_type(walk, receiver):
            return UNFOLLOWED, shown, "SQLAlchemy creating or dropping a schema object itself"
        if op_argument:
            return UNFOLLOWED, shown, "`op` handed to code the model does not follow"
        if not effect:
            return None
        if callee is None:
            if receiver is None or attr is None:
                return None
            # `X(...).attr(...)`: a method of what X(...) returned.
            origin = self._origin(walk, receiver)
            if origin is None:
                return None
            return _judged(f"{origin[0]}.{attr}", True, shown)
        root = callee.split(".", 1)[0]
        module = self._imported(walk.function, root)
        if module is None:
            if root in self.defs:
                return None
            origin = self._origin(walk, callee)
            if origin is not None:
                return _judged(*origin, shown)
            if "." in callee:
                return None
            if root in _RUNS_CODE and not self._bound(walk.function, root):
                return UNFOLLOWED, shown, "code that only running it would tell"
            stars = self._module_imports()[1]
            if stars and not hasattr(builtins, root) and not self._bound(walk.function, root):
                why = f"a function that may come from `from {stars[0]} import *`"
                return UNFOLLOWED, shown, why
            return None
        return _judged(f"{module}{callee[len(root) :]}", False, shown)

    def _origin(self, walk: Walk, dotted: str, depth: int = 4) -> tuple[str, bool] | None:
        """What the dotted name ``dotted`` stands for where ``walk`` is, through imports
        and names bound once (``h = importlib.import_module(...)``, ``d = Dropper()``,
        ``drop = helpers.drop`` at module level): the full dotted path (a class of this
        module whose code uses ``op`` as ``<module>.Name``), and whether it is a value a
        call of that path returned. None when it is local or unknown."""
        root, _, rest = dotted.partition(".")
        tail = f".{rest}" if rest else ""
        module = self._imported(walk.function, root)
        if module is not None:
            return f"{module}{tail}", False
        if root in self._op_classes(walk):
            return f"<module>.{root}{tail}", False
        value = self._binding(walk, root) if depth else None
        built = isinstance(value, ast.Call)
        if isinstance(value, ast.Call):
            value = value.func
        named = _dotted(value) if isinstance(value, ast.expr) else None
        if named is None:
            return None
        found = self._origin(walk, named, depth - 1)
        if found is None:
            return None
        return f"{found[0]}{tail}", found[1] or built

    def _binding(self, walk: Walk, name: str) -> ast.expr | None:
        """The value of ``name`` where ``walk`` is, when its one binding (in the function,
        else at module level) is a plain assignment (see executed.Scopes)."""
        scopes = self.scopes()
        if scopes is None:
            return None
        if not self._bound(walk.function, name):
            return scopes.module().get(name)
        try:
            func = locate(scopes.tree, walk.function)
        except NoMatch:
            return None
        return scopes.function(func).get(name) if isinstance(func, _Def) else None

    def _op_classes(self, walk: Walk) -> frozenset[str]:
        """The module-level classes whose code uses ``op``: what their methods run, and
        what objects they build do, the model does not follow."""
        if self._classes is None:
            tree = self.tree()
            names = walk.op_names
            self._classes = frozenset(
                stmt.name
                for stmt in ([] if tree is None else _module_level(tree.body))
                if isinstance(stmt, ast.ClassDef)
                and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(stmt))
            )
        return self._classes

    def _a_type(self, walk: Walk, receiver: str | None) -> bool:
        """Whether ``receiver.create(bind)`` makes a type or a sequence (PostgreSQL's
        ``ENUM(...).create(bind)``), not a table or an index: told by the call a name
        bound once is (``user_types = sa.Table(...)`` is a table, ``e = ENUM(...)`` a
        type), else by the name."""
        if receiver is None:
            return False
        made = receiver
        if "." not in receiver:
            value = self._binding(walk, receiver)
            if isinstance(value, ast.Call):
                made = _dotted(value.func) or receiver
        return _typeish(made)

    def decorated(self, decorators: Iterable[str | None]) -> str | None:
        """Why a helper with these decorators (their dotted names, None for one that is
        not a name) may run what its body does not say; None when they only wrap it
        (``contextlib.contextmanager``, ``functools.wraps``...)."""
        for name in decorators:
            if name is None:
                return "a decorator the model does not follow"
            root = name.split(".", 1)[0]
            module = self._module_imports()[0].get(root)
            full = f"{module}{name[len(root) :]}" if module is not None else name
            if full.lstrip(".") not in _WRAPPERS and name not in _WRAPPERS:
                return f"a decorator the model does not follow (`{name}`)"
        return None

    def _imported(self, function: Locator, root: str) -> str | None:
        """The module ``root`` comes from where the function at ``function`` calls it:
        imported in the function, else bound there otherwise (None), else imported at
        module level."""
        found = self._function_imports.get(function)
        if found is None:
            tree = self.tree()
            found = self._function_imports[function] = (
                {} if tree is None else _function_imports(tree, function)
            )
        if root in found:
            return found[root]
        if self._bound(function, root):
            return None
        return self._module_imports()[0].get(root)

    def _bound(self, function: Locator, name: str) -> bool:
        names = self._locals.get(function)
        if names is None:
            tree = self.tree()
            names = self._locals[function] = (
                frozenset() if tree is None else local_names(tree, function)
            )
        return name in names

    def _module_imports(self) -> tuple[dict[str, str], tuple[str, ...]]:
        if self._imports is None:
            tree = self.tree()
            self._imports = ({}, ()) if tree is None else _imports_of(_module_level(tree.body))
        return self._imports


def _locator(walk: Walk, name: str | None) -> Locator:
    """The locator of the call of operation ``name`` where ``walk`` is (of a call of a
    name, tagged as any expression, when ``name`` is None)."""
    tag = "expr" if name is None else f"call:{name}"
    if walk.statement is None:
        return (*walk.function, "call", walk.seen_calls, tag)
    return (*walk.statement, "own", walk.own_calls, tag)


class Entry(Generic[D]):
    """What the functions walked for one entry point (``upgrade``...) share."""

    def __init__(self, role: str, func: D) -> None:
        self.role = role
        self.calls: list[OpCall] = []
        self.entered = {id(func)}

    def enter(self, scope: ModuleScope[D], name: str, caller: Locator) -> D | None:
        """The helper a call of ``name`` runs, the first time it is called from this entry
        point (an entry point is read as one, not as a helper)."""
        if function_role(name) is not None:
            return None
        func = scope.reached(name, caller)
        if func is None or id(func) in self.entered:
            return None
        self.entered.add(id(func))
        return func


# --------------------------------------------------------------------------- unfollowed calls

#: Methods that run SQL on a connection, a session or a cursor.
_EXECUTES = frozenset({"execute", "exec_driver_sql", "executemany", "executescript"})
#: Builtins, and the standard library's ways, to run code or programs nobody can read here.
_RUNS_CODE = frozenset({"exec", "eval", "__import__", "compile"})
_RUNS_CODE_IN = ("importlib", "runpy", "subprocess", "os.system", "os.popen", "os.exec")
#: Packages whose functions build values (types, clauses, dates, ids) and run no DDL of
#: their own, beside the standard library.
_BUILDERS = frozenset(
    {
        *sys.stdlib_module_names,
        *("sqlalchemy", "alembic", "sqlmodel", "geoalchemy2", "sqlalchemy_utils"),
        *("alembic_utils", "alembic_postgresql_enum", "pgvector", "dateutil", "pytz"),
        *("typing_extensions", "six", "psycopg2", "psycopg", "ulid", "uuid6", "citext"),
        # Utilities that compute values (ids, slugs, dates, text, dicts, hashes, files).
        *("dpath", "slugify", "funcy", "oslo_utils", "arrow", "pendulum", "yaml"),
        *("simplejson", "ujson", "orjson", "bcrypt", "passlib", "cryptography", "jwt"),
        *("shortuuid", "nanoid", "inflection", "markdown", "bleach", "babel", "humanize"),
        *("phonenumbers", "pycountry", "sqlparse", "toml", "tomli", "tomllib", "pydantic"),
        *("attrs", "attr", "marshmallow", "jinja2", "werkzeug", "flask", "click", "tqdm"),
        *("requests", "httpx", "boto3", "botocore", "redis", "celery", "structlog"),
        "flask_sqlalchemy",  # SQLAlchemy's session and metadata (create_all is judged apart)
    }
)
#: Decorators that call what they decorate as it is (once, when called).
_WRAPPERS = frozenset(
    {
        *("contextlib.contextmanager", "functools.wraps", "functools.cache"),
        *("functools.lru_cache", "staticmethod", "typing.overload", "typing.no_type_check"),
    }
)


def _judged(full: str, built: bool, shown: str) -> tuple[str, str, str] | None:
    """See ModuleScope.unfollowed: a call of the dotted path ``full`` (``built``: a method
    of what a call of it returned)."""
    top = full.lstrip(".").split(".", 1)[0]
    if full.startswith("<module>."):
        return UNFOLLOWED, shown, "a class whose code uses `op`"
    if full.startswith(".") or top not in _BUILDERS:
        if built:
            return UNFOLLOWED, shown, f"an object from another module (`{full}`)"
        if full.rsplit(".", 1)[-1][:1].isupper():
            return None  # a class: an object is built (its __init__ runs no migration)
        return UNFOLLOWED, shown, f"a function from another module (`{full}`)"
    if any(full == c or full.startswith(c + ".") for c in _RUNS_CODE_IN):
        return UNFOLLOWED, shown, "code that only running it would tell"
    if not built and full.startswith("alembic.op."):
        return UNFOLLOWED, shown, "an operation the model does not read"
    return None


def _typeish(name: str) -> bool:
    """Whether a dotted name looks like a type's or a sequence's (``postgresql.ENUM``,
    ``status_enum``, ``sa.Sequence``)."""
    lowered = name.rsplit(".", 1)[-1].lower()
    return any(word in lowered for word in ("enum", "type", "sequence", "seq", "domain"))


def _module_level(body: Iterable[ast.stmt]) -> Iterable[ast.stmt]:
    """The statements that run at module level (in `if`, `try` and `with` blocks too)."""
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If | ast.Try | ast.TryStar | ast.With):
            stack.extend(node.body)
            stack.extend(getattr(node, "orelse", ()))
            stack.extend(getattr(node, "finalbody", ()))
            for handler in getattr(node, "handlers", ()):
                stack.extend(handler.body)


def _imports_of(statements: Iterable[ast.AST]) -> tuple[dict[str, str], tuple[str, ...]]:
    """The names these statements import, each with the module it comes from
    (``import a.b`` binds ``a`` to ``a``; ``from .x import f`` binds ``f`` to ``.x.f``),
    and the modules of their ``import *`` that are not builders (see _BUILDERS)."""
    names: dict[str, str] = {}
    stars: list[str] = []
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname is None:
                    top = alias.name.split(".", 1)[0]
                    names[top] = top
                else:
                    names[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    if node.level or module.split(".", 1)[0] not in _BUILDERS:
                        stars.append(module)
                else:
                    dot = "" if module.endswith(".") or not module else "."
                    names[alias.asname or alias.name] = f"{module}{dot}{alias.name}"
    return names, tuple(stars)


def _function_imports(tree: ast.Module, function: Locator) -> dict[str, str]:
    """The names the function at ``function`` imports in its own body (not in nested
    functions or classes)."""
    try:
        func = locate(tree, function)
    except NoMatch:
        return {}
    if not isinstance(func, _Def):
        return {}
    found: list[ast.AST] = []
    stack: list[ast.AST] = list(func.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.stmt) and not isinstance(node, _Def | ast.ClassDef):
            stack.extend(n for n in ast.iter_child_nodes(node) if isinstance(n, ast.stmt))
            for handler in getattr(node, "handlers", ()):
                stack.extend(handler.body)
    return _imports_of(found)[0]


def unseen_call(
    role: str,
    name: str,
    ref: int,
    via: tuple[str, ...],
    args: tuple[str, ...],
    guards: tuple[Guard, ...] = (),
    sql: str | None = None,
    statement: Expr = None,
) -> OpCall:
    """What both readers record for a call they do not follow (model.UNFOLLOWED) or SQL
    run on the connection (model.CONNECTION_EXECUTE): no keywords, no batch."""
    return OpCall(
        name=name,
        function=role,
        batch=False,
        keywords=(),
        star_kwargs=False,
        sql=sql,
        ref=ref,
        via=via,
        guards=guards,
        args=args,
        statement=statement,
    )


# --------------------------------------------------------------------------- local names


def local_names(tree: ast.Module, function: Locator) -> frozenset[str]:
    """The names the function at ``function`` binds in its own scope (parameters,
    assignments, loop and ``with`` targets, imports, nested ``def``/``class``, ``except
    ... as``, walrus, match captures; not those declared ``global``/``nonlocal``): a call
    to such a name is not a call to the module-level function of that name. Empty when
    the locator leads to no function."""
    try:
        func = locate(tree, function)
    except NoMatch:
        return frozenset()
    if not isinstance(func, _Def):
        return frozenset()
    args = func.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    declared: set[str] = set()
    stack: list[ast.AST] = list(func.body)
    pop, extend, children = stack.pop, stack.extend, ast.iter_child_nodes
    # `type(...) is` first for the kinds nearly every node is: this walks whole functions.
    while stack:
        node = pop()
        kind = type(node)
        if isinstance(node, ast.Name):
            if type(node.ctx) is not ast.Load:
                names.add(node.id)
        elif kind is ast.Constant:
            continue
        elif kind in _PLAIN:
            extend(children(node))
        elif isinstance(node, _Def | ast.ClassDef):
            # Its body is a scope of its own; decorators, defaults and bases run here.
            names.add(node.name)
            extend(node.decorator_list)
            if isinstance(node, ast.ClassDef):
                extend([*node.bases, *node.keywords])
            else:
                extend(_defaults(node.args))
        elif isinstance(node, ast.Lambda):
            extend(_defaults(node.args))
        elif isinstance(node, _COMPREHENSIONS):
            # Its targets are its own; a walrus inside binds in the function.
            for generator in node.generators:
                extend([generator.iter, *generator.ifs])
            extend([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt])
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        else:
            if isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar):
                if node.name is not None:
                    names.add(node.name)
            elif isinstance(node, ast.MatchMapping) and node.rest is not None:
                names.add(node.rest)
            extend(children(node))
    return frozenset(names - declared)


#: Nodes that bind nothing themselves (the names below them are looked at one by one).
_PLAIN = frozenset(
    {
        *(ast.Call, ast.Attribute, ast.keyword, ast.Expr, ast.Subscript, ast.List, ast.Tuple),
        *(ast.Dict, ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Compare, ast.Assign, ast.If),
        *(ast.For, ast.With, ast.withitem, ast.Return, ast.JoinedStr, ast.FormattedValue),
        *(ast.AugAssign, ast.AnnAssign, ast.Starred, ast.IfExp, ast.Slice, ast.Try, ast.While),
    }
)


def _defaults(args: ast.arguments) -> list[ast.expr]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


# --------------------------------------------------------------------------- guards


def _path_conditions(
    tree: ast.Module, statement: Locator
) -> tuple[list[tuple[ast.expr, bool] | ast.For | ast.AsyncFor | Guard], _Def | None] | None:
    """The conditions on the way from a statement's function down to it (outer first):
    an `if` test and the truth it has there, a loop, or a guard; and the function. None
    when the locator leads nowhere."""
    found: list[tuple[ast.expr, bool] | ast.For | ast.AsyncFor | Guard] = []
    node: object = tree
    holder: object = None
    function: _Def | None = None
    for step in statement:
        if isinstance(step, int):
            if not isinstance(node, list) or not 0 <= step < len(node):
                return None
            for before in node[:step]:
                if isinstance(before, ast.If):
                    # `if <test>: return` leaves the rest of the block to `not <test>`.
                    if _exits(before.body):
                        found.append((before.test, False))
                    if _exits(before.orelse):
                        found.append((before.test, True))
            node = node[step]
            if isinstance(node, _Def):
                found, function = [], node  # a function's conditions are its own
        elif isinstance(step, str):
            holder, node = node, getattr(node, step, None)
            if isinstance(holder, ast.If) and step in ("body", "orelse"):
                found.append((holder.test, step == "body"))
            elif isinstance(holder, ast.For | ast.AsyncFor) and step == "body":
                found.append(holder)
            elif step == "body" and _swallows(holder):
                found.append(Guard(GuardKind.SWALLOWED))
            elif _conditional_step(holder, step):
                found.append(_CONDITION)
        else:
            return None
    return found, function


def guards_at(
    tree: ast.Module,
    statement: Locator,
    call: Locator,
    assignments: dict[int, dict[str, ast.expr]] | None = None,
) -> tuple[Guard, ...]:
    """The guards of the operation call at ``call`` (a locator without its tag), whose
    innermost statement is at ``statement``: the conditions between its function's
    ``def`` and the statement (outer first); a CONDITION guard when some condition there
    guards nothing. Empty when a locator leads nowhere.
    ``assignments`` keeps each function's plain assignments for the next call."""
    walked = _path_conditions(tree, statement)
    if walked is None:
        return ()
    found, function = walked
    if not found or function is None:
        return ()
    guards: list[Guard] = []
    operation: ast.Call | None = None
    assigned: dict[str, ast.expr] | None = None
    for item in found:
        if item is _CONDITION:
            continue
        if isinstance(item, Guard):
            guards.append(item)
            continue
        if isinstance(item, tuple):
            tests: list[ast.Compare | ast.Call] = _holding(*item)
            if not tests:
                continue
        else:
            if assigned is None:
                if assignments is None:
                    assignments = {}
                assigned = assignments.get(id(function))
                if assigned is None:
                    assigned = assignments[id(function)] = _assigned_once(function)
            if not _lists(item.iter, assigned):
                continue
        if operation is None:
            try:
                located = locate(tree, call)
            except NoMatch:
                return ()
            if not isinstance(located, ast.Call):
                return ()
            operation = located
        if isinstance(item, tuple):
            guards.extend(_exists(test, operation) for test in tests)
        else:
            assert assigned is not None
            guards.append(_listed(item, operation, assigned))
    # Conditions that guard nothing still mean it may not run (or run again).
    return tuple(guards) or (_CONDITION,)


#: The guard of an operation under a condition that is no existence test.
_CONDITION = Guard(GuardKind.CONDITION)


def _conditional_step(holder: object, step: str) -> bool:
    """Whether a statement reached through ``holder.step`` may not run (or run again),
    beyond the `if`s and `for`s guards_at reads: `while` and `for` bodies and `else`s,
    `except` handlers, a `try`'s `else`."""
    if isinstance(holder, ast.While | ast.For | ast.AsyncFor) and step in ("body", "orelse"):
        return True
    if isinstance(holder, ast.ExceptHandler) and step == "body":
        return True
    return isinstance(holder, ast.Try | ast.TryStar) and step == "orelse"


def _conditional(tree: ast.Module, statement: Locator) -> bool:
    """Whether the statement at ``statement`` runs under a condition inside its function."""
    walked = _path_conditions(tree, statement)
    return walked is not None and walked[1] is not None and bool(walked[0])


def _exits(body: Sequence[ast.stmt]) -> bool:
    return bool(body) and isinstance(body[-1], _EXITS)


def _holding(test: ast.expr, truth: bool) -> list[ast.Compare | ast.Call]:
    """The existence tests known to hold where ``test`` is ``truth``: `x in y` (true),
    `x not in y` (false), a call of an existence function (true), through `not`, `and`
    (true) and `or` (false)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _holding(test.operand, not truth)
    if isinstance(test, ast.BoolOp):
        if isinstance(test.op, ast.And) is truth:
            return [found for value in test.values for found in _holding(value, truth)]
        return []
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        operator = test.ops[0]
        if (isinstance(operator, ast.In) and truth) or (
            isinstance(operator, ast.NotIn) and not truth
        ):
            return [test]
        return []
    if isinstance(test, ast.Call) and truth and _tests_existence(test.func):
        return [test]
    return []


def _tests_existence(func: ast.expr) -> bool:
    """``has_table``, ``inspector.has_index``, ``table_exists``, ``_index_exists``,
    ``check_exists``, ``columnExists``; not ``table_not_exists`` nor ``is_offline_mode``."""
    if isinstance(func, ast.Attribute):
        name = func.attr
    elif isinstance(func, ast.Name):
        name = func.id
    else:
        return False
    lowered = name.lstrip("_").lower()
    parts = lowered.split("_")
    if any(part in ("not", "no", "missing", "absent") for part in parts):
        return False
    if parts[0] == "has" and len(parts) > 1 and parts[1]:
        return True
    return any(part in ("exist", "exists") for part in parts) or lowered.endswith("exists")


def _exists(test: ast.Compare | ast.Call, operation: ast.Call) -> Guard:
    """What an existence test names, against the operation's arguments: the left operand
    of `in` (what is looked for, not where), every argument of a call."""
    if isinstance(test, ast.Compare):
        named: list[ast.expr] = [test.left]
    else:
        named = [*test.args, *(k.value for k in test.keywords)]
    strings, names = _mentions(named)
    arguments: list[int | str] = []
    for index, arg in enumerate(operation.args):
        if isinstance(arg, ast.Starred):
            break  # later positions are unknown
        if _named(arg, strings, names):
            arguments.append(index)
    arguments.extend(
        k.arg for k in operation.keywords if k.arg is not None and _named(k.value, strings, names)
    )
    return Guard(GuardKind.EXISTS, tuple(arguments), tuple(sorted(strings)))


def _mentions(nodes: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """The string literals and the (dotted) names in ``nodes``; f-strings count as neither."""
    strings: set[str] = set()
    names: set[str] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                strings.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            continue
        elif isinstance(node, ast.expr) and (dotted := _dotted(node)) is not None:
            names.add(dotted)
        else:
            stack.extend(ast.iter_child_nodes(node))
    return strings, names


def _named(arg: ast.expr, strings: set[str], names: set[str]) -> bool:
    if isinstance(arg, ast.Constant):
        return isinstance(arg.value, str) and arg.value in strings
    dotted = _dotted(arg)
    return dotted is not None and dotted in names


#: Inspector methods that list what exists (``inspector.get_indexes("t")``; a module's
#: own ``get_columns(table)`` wrapper goes by the same name).
_LISTINGS = frozenset(
    {
        *("get_table_names", "get_temp_table_names", "get_view_names", "get_temp_view_names"),
        *("get_materialized_view_names", "get_sequence_names", "get_schema_names"),
        *("get_columns", "get_indexes", "get_foreign_keys", "get_unique_constraints"),
        "get_check_constraints",
    }
)


def _lists(iterable: ast.expr, assigned: dict[str, ast.expr], through: int = 1) -> bool:
    """Whether a loop over ``iterable`` goes over what the inspector lists: a listing
    call, a name assigned once from one, or a filter of one (``(i for i in ixs if ...)``)."""
    if isinstance(iterable, ast.Call):
        func = iterable.func
        name = func.attr if isinstance(func, ast.Attribute) else _dotted(func)
        return name in _LISTINGS
    if isinstance(iterable, ast.Name):
        value = assigned.get(iterable.id)
        return through > 0 and value is not None and _lists(value, assigned, through - 1)
    if isinstance(iterable, ast.GeneratorExp | ast.ListComp) and len(iterable.generators) == 1:
        generator = iterable.generators[0]
        return (
            isinstance(generator.target, ast.Name)
            and isinstance(iterable.elt, ast.Name)
            and iterable.elt.id == generator.target.id
            and _lists(generator.iter, assigned, through)
        )
    return False


def _listed(
    loop: ast.For | ast.AsyncFor, operation: ast.Call, assigned: dict[str, ast.expr]
) -> Guard:
    """The operation's arguments that are what the loop lists, or a field of it:
    ``index``, ``index["name"]``, ``fk.name``, ``op.f(index["name"])``, or a name
    assigned once from one (``old_name = index["name"]``)."""
    targets = set(_names_of(loop.target))
    arguments: list[int | str] = []
    for index, arg in enumerate(operation.args):
        if isinstance(arg, ast.Starred):
            break
        if _element(arg, targets, assigned):
            arguments.append(index)
    arguments.extend(
        k.arg
        for k in operation.keywords
        if k.arg is not None and _element(k.value, targets, assigned)
    )
    return Guard(GuardKind.LISTED, tuple(arguments))


def _element(
    expr: ast.expr, targets: set[str], assigned: dict[str, ast.expr], through: int = 1
) -> bool:
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "f"
        and len(expr.args) == 1
        and not expr.keywords
    ):
        expr = expr.args[0]  # op.f(name): the name as written
    while isinstance(expr, ast.Attribute) or (
        isinstance(expr, ast.Subscript)
        and isinstance(expr.slice, ast.Constant)
        and isinstance(expr.slice.value, str)
    ):
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return False
    if expr.id in targets:
        return True
    value = assigned.get(expr.id)
    return through > 0 and value is not None and _element(value, targets, assigned, through - 1)


def _names_of(target: ast.expr) -> Iterable[str]:
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _names_of(element)


def _assigned_once(function: _Def) -> dict[str, ast.expr]:
    """The names the function binds exactly once, by a plain ``name = value``, with the
    value (nested functions and classes are scopes of their own)."""
    bound: dict[str, int] = {}
    values: dict[str, ast.expr] = {}
    stack: list[ast.AST] = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _Def | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            bound[node.id] = bound.get(node.id, 0) + 1
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            values[node.targets[0].id] = node.value
        stack.extend(ast.iter_child_nodes(node))
    return {name: value for name, value in values.items() if bound.get(name) == 1}


def _swallows(holder: object) -> bool:
    """A ``try`` with a handler that catches database errors and never re-raises (no
    ``raise`` anywhere in it: ``if sqlite: warn() else: raise`` swallows the error only on
    some databases), or a ``with`` that suppresses them (``contextlib.suppress(Exception)``)."""
    if isinstance(holder, ast.Try):
        return any(
            _catches(handler.type)
            and not any(isinstance(n, ast.Raise) for s in handler.body for n in ast.walk(s))
            for handler in holder.handlers
        )
    if isinstance(holder, ast.With | ast.AsyncWith):
        for item in holder.items:
            call = item.context_expr
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.attr if isinstance(func, ast.Attribute) else _dotted(func)
            if name == "suppress" and any(
                _catches(a) for a in call.args if not isinstance(a, ast.Starred)
            ):
                return True
    return False


def _catches(kind: ast.expr | None) -> bool:
    """Whether ``except <kind>`` may catch a database error: anything but Python's own
    exceptions other than Exception and BaseException (``except KeyError`` does not)."""
    if kind is None:
        return True
    for item in kind.elts if isinstance(kind, ast.Tuple) else [kind]:
        dotted = _dotted(item)
        if dotted is None:
            return True  # computed: it may be anything
        last = dotted.rsplit(".", 1)[-1]
        if last in ("Exception", "BaseException") or not _builtin_exception(last):
            return True
    return False


def _builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)


# --------------------------------------------------------------------------- op escaping


_OP_AS = re.compile(r"op[ \t]+as\b")  # a literal start keeps the scan fast (see _alone)
#: Names bound by ``as`` (with a leading space: a literal start keeps the scan fast).
_BOUND_AS = re.compile(r" as[ \t]+([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=256)
def _alone(name: str) -> re.Pattern[str]:
    """``name`` other than as ``name.method(...)`` (what precedes it is checked apart:
    a pattern that starts with a literal is searched for many times faster)."""
    return re.compile(rf"{re.escape(name)}\b(?!\s*\.\s*\w+\s*\()")


def _may_escape(text: str, names: Iterable[str]) -> bool:
    """Whether the module's text may use one of ``names`` (``op`` and its aliases) or a
    batch other than by calling a method of it (``x.m(...)``): a name alone, or
    ``x.attr`` not called, outside the lines that import it and the ``as`` that binds
    it. A cheap pass over the text before _escape's exact one over the tree: when it
    finds nothing, nothing can escape. With batches, every name bound by ``as`` counts;
    ``op`` imported under another name gives up at once."""
    if "alembic.op" in text or "import *" in text:
        return True
    for aliased in _OP_AS.finditer(text):  # `from alembic import op as o`
        at = aliased.start()
        if not at or not (text[at - 1].isalnum() or text[at - 1] in "_."):
            return True
    watched = set(names)
    if "batch_alter_table" in text:
        for found in re.finditer("batch_alter_table", text):
            line = text[text.rfind("\n", 0, found.start()) + 1 : found.start()]
            if "with" not in line and "(" not in line:
                return True  # not entered by `with` where it is made
        watched.update(_BOUND_AS.findall(text))
    for name in watched:
        for use in _alone(name).finditer(text):
            at = use.start()
            if at and (text[at - 1].isalnum() or text[at - 1] in "_."):
                continue  # part of another name, or an attribute of something else
            line = text[text.rfind("\n", 0, at) + 1 : at].lstrip()
            if ";" not in line and (
                line.startswith(("from ", "import ")) or line.endswith(("as ", "as\t"))
            ):
                continue  # where it is imported or bound
            return True
    return False


def _escape(func: _Def, op_names: set[str]) -> str | None:
    """See ModuleScope.escapes. ``op`` as a value (``fn = op.drop_table``,
    ``functools.partial(op.drop_table, ...)``, ``{"d": op.drop_table}``, ``self.o = op``, a
    default ``o=op``, a lambda returning it), a batch handed to a call or bound other than
    by ``with op.batch_alter_table(...) as b``: what runs through it only running it tells."""
    nodes = list(ast.walk(func))
    names = set(op_names)
    batches: set[str] = set()
    with_batches: set[int] = set()
    grown = True
    while grown:  # aliases of aliases, in any order
        before = len(names) + len(batches)
        for node in nodes:
            if isinstance(node, ast.ImportFrom) and node.module == "alembic":
                names.update(a.asname or "op" for a in node.names if a.name == "op")
            elif isinstance(node, ast.Import):
                names.update(a.asname for a in node.names if a.name == "alembic.op" and a.asname)
            elif _alias(node, names):
                assert isinstance(node, ast.Assign)
                names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, ast.withitem) and _batch_call(node.context_expr, names):
                with_batches.add(id(node.context_expr))
                if isinstance(node.optional_vars, ast.Name):
                    batches.add(node.optional_vars.id)
                elif node.optional_vars is not None:
                    return "a batch bound in a way the model does not follow"
        grown = len(names) + len(batches) > before
    # A batch made apart can run operations only once entered under a name:
    # `with batch as b:`, `b = stack.enter_context(batch)`, `batch.__enter__()`.
    entered = any(_enters(n) for n in nodes)
    allowed: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Call):
            target = node.func
            if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                allowed.add(id(target.value))  # op.x(...), batch_op.x(...)
            if _batch_call(node, names) and id(node) not in with_batches and entered:
                return "a batch the model does not follow (not bound by `with ... as`)"
            for arg in (*node.args, *(k.value for k in node.keywords)):
                # `helper(op)`: followed or recorded as unfollowed by the readers.
                allowed.update(id(n) for n in _handed(arg) if n.id in names)
        elif _alias(node, names):
            assert isinstance(node, ast.Assign)
            allowed.add(id(node.value))
    for node in nodes:
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and id(node) not in allowed
            and (node.id in names or node.id in batches)
        ):
            if node.id in batches:
                return f"a batch (`{node.id}`) used in a way the model does not follow"
            return f"`{node.id}` used in a way the model does not follow"
    return None


def _enters(node: ast.AST) -> bool:
    """``with <not a call> as x:`` or ``.enter_context(...)``/``.__enter__()``: a context
    manager made elsewhere entered under a name."""
    if isinstance(node, ast.withitem):
        return node.optional_vars is not None and not isinstance(node.context_expr, ast.Call)
    return isinstance(node, ast.Attribute) and node.attr in (
        "enter_context",
        "enter_async_context",
        "__enter__",
    )


def _alias(node: ast.AST, names: set[str]) -> bool:
    """``o = op`` (every target a name): the readers take ``o``'s calls for operations."""
    return (
        type(node) is ast.Assign
        and isinstance(node.value, ast.Name)
        and node.value.id in names
        and all(isinstance(t, ast.Name) for t in node.targets)
    )


def _batch_call(node: ast.expr, names: set[str]) -> bool:
    func = node.func if isinstance(node, ast.Call) else None
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "batch_alter_table"
        and isinstance(func.value, ast.Name)
        and func.value.id in names
    )


def _handed(arg: ast.expr) -> Iterable[ast.Name]:
    """The names a call argument hands over as they are (see the readers' _gives_op)."""
    if isinstance(arg, ast.Starred):
        arg = arg.value
    if isinstance(arg, ast.Name):
        yield arg
    elif isinstance(arg, ast.List | ast.Tuple | ast.Set):
        for element in arg.elts:
            yield from _handed(element)
    elif isinstance(arg, ast.Dict):
        for value in arg.values:
            yield from _handed(value)
