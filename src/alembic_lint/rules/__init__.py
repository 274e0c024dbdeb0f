"""The Rule base class and the registry of every rule module in this package."""

from __future__ import annotations

import copy
import importlib
import pkgutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, ClassVar

from alembic_lint.diagnostics import Diagnostic, Fix, Location, Related, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration, Span
from alembic_lint.rules.examples import Example

if TYPE_CHECKING:
    from alembic_lint.alembic_versions import Version

DOCS_URL = "https://github.com/alembic-lint/alembic-lint/blob/main/docs/rules/{name}.md"


@dataclass(frozen=True, slots=True)
class Option:
    """A per-rule setting under ``[tool.alembic-lint.rules.<name>]``."""

    default: bool | int | str
    help: str
    minimum: int | None = None

    def problem(self, value: object) -> str | None:
        kind = type(self.default)
        if type(value) is not kind:
            return f"expected {kind.__name__}, got {type(value).__name__} {value!r}"
        if self.minimum is not None and isinstance(value, int) and value < self.minimum:
            return f"must be at least {self.minimum}"
        return None


class Rule:
    """Base class: one subclass per rule, carrying its metadata, docs and examples."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity]
    #: In the default selection.
    default: ClassVar[bool] = True
    #: Can produce a fix.
    fixable: ClassVar[bool] = False
    #: Alembic versions the rule's behaviour depends on, for the docs.
    alembic_versions: ClassVar[str] = ""
    valid: ClassVar[Sequence[Example]] = ()
    invalid: ClassVar[Sequence[Example]] = ()
    #: Settings this rule reads (``[tool.alembic-lint.rules.<name>]``).
    options: ClassVar[Mapping[str, Option]] = {}
    #: A graph rule's findings break `alembic upgrade` for everyone: never baselined.
    graph: ClassVar[bool] = False
    #: A rule on the schema model (see the schema package): it reads the whole history as
    #: graph rules do, but its findings are about one operation and may be baselined.
    schema: ClassVar[bool] = False
    #: Needs a base to compare with (``--against``): finds nothing without one.
    needs_branch: ClassVar[bool] = False
    #: The findings depend on the target database: the engine gives the rule each
    #: history's dialect (see dialects.py and :meth:`for_dialect`).
    dialect_sensitive: ClassVar[bool] = False

    def __init__(
        self,
        options: Mapping[str, object] | None = None,
        alembic: Version | None = None,
        dialect: str | None = None,
    ) -> None:
        self.settings = dict(options or {})
        self.alembic = alembic  # the oldest Alembic the project may run; None = the newest
        self.dialect = dialect  # the target database (dialects.NAMES); None = unknown

    def for_dialect(self, dialect: str | None) -> Rule:
        """This rule judging for ``dialect`` (itself when that changes nothing)."""
        if not self.dialect_sensitive or dialect == self.dialect:
            return self
        other = copy.copy(self)
        other.dialect = dialect
        return other

    def option(self, key: str) -> object:
        return self.settings.get(key, self.options[key].default)

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        raise NotImplementedError

    def fix(self, diagnostic: Diagnostic, migration: Migration, text: str) -> Fix | None:
        """The fix for one of this rule's findings, given the file's text (fixable rules)."""
        return None

    def fix_file(self, diagnostic: Diagnostic, history: History) -> Fix | None:
        """The fix for a finding on a file that is not a migration (the head file)."""
        return None

    def diagnostic(
        self,
        migration: Migration,
        ref: int,
        message: str,
        *,
        related: Sequence[Related] = (),
        fix: Fix | None = None,
    ) -> Diagnostic:
        return Diagnostic(
            location=place(migration, ref),
            code=self.code,
            name=self.name,
            # Most findings of a history say the same thing (one per drop): held once.
            message=sys.intern(message),
            severity=self.severity,
            fix=fix,
            related=tuple(related),
            revision=migration.revision_id,
        )

    def diagnostic_at(
        self,
        path: str,
        span: Span | None,
        message: str,
        *,
        revision: str | None = None,
        related: Sequence[Related] = (),
    ) -> Diagnostic:
        """A finding at a known position (or line 1) of any path, even one that exists
        only in a branch's base (a deleted file)."""
        where = span or Span(1, 1, 1, 1)
        return Diagnostic(
            location=Location(path, where.line, where.column, where.end_line, where.end_column),
            code=self.code,
            name=self.name,
            message=message,
            severity=self.severity,
            related=tuple(related),
            revision=revision,
        )

    @classmethod
    def url(cls) -> str:
        return DOCS_URL.format(name=cls.name)

    @classmethod
    def documentation(cls) -> str:
        return _cleandoc(cls.__doc__ or "")


def _cleandoc(doc: str) -> str:
    """``inspect.cleandoc`` without importing ``inspect`` (a noticeable share of start-up)."""
    lines = doc.expandtabs().split("\n")
    indents = [len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()]
    margin = min(indents, default=0)
    cleaned = [lines[0].strip(), *(line[margin:].rstrip() for line in lines[1:])]
    while cleaned and not cleaned[0]:
        cleaned.pop(0)
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return "\n".join(cleaned)


def place(migration: Migration, ref: int) -> Location:
    """The location of a fact; unresolved (``ref`` kept) until the engine resolves spans."""
    if ref < 0:
        return Location(migration.path, 1, 1, 1, 1)
    if migration.spans is not None:
        span = migration.span(ref)
        return Location(
            migration.path, span.line, span.column, span.end_line, span.end_column, ref=ref
        )
    return Location(migration.path, 0, 0, 0, 0, ref=ref)


def related(migration: Migration, ref: int, message: str) -> Related:
    return Related(place(migration, ref), message)


@cache
def registry() -> tuple[type[Rule], ...]:
    """Every Rule subclass defined in the modules of this package, sorted by code."""
    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "examples":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule:
                if obj.code in found and found[obj.code] is not obj:
                    raise RuntimeError(f"two rules use code {obj.code}")
                found[obj.code] = obj
    return tuple(found[code] for code in sorted(found))


def by_code_or_name(key: str) -> type[Rule] | None:
    for rule in registry():
        if key in (rule.code, rule.name):
            return rule
    return None
