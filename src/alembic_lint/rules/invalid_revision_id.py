"""AL102 invalid-revision-id."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration, Status
from alembic_lint.rules import Option, Rule
from alembic_lint.rules.examples import history, m

#: Characters ``Revision.verify_rev_id`` rejects.
ILLEGAL = "@-+:"
#: Names that break Alembic's symbol resolution (`history`/`upgrade` end in AssertionError).
RESERVED = ("base", "head", "heads")
#: ``alembic_version.version_num`` is ``String(32)``.
MAX_LENGTH = 32

_E = {"revision": "AL102"}


class InvalidRevisionId(Rule):
    """
    ## What it does
    Flags a revision id that Alembic rejects or chokes on: one containing `@`,
    `-`, `+` or `:`, the names `head`, `heads` and `base`, an empty id, an id
    longer than 32 characters, and ids that are not strings.

    ## Why is this bad?
    Illegal characters stop Alembic from loading the history. Reserved names
    break `upgrade` and `history` with a bare `AssertionError`. Alembic never
    checks the length, but its `alembic_version.version_num` column is
    `VARCHAR(32)`: PostgreSQL rejects the upgrade that records a longer id
    ("value too long for type character varying(32)") and rolls it back.

    ## Fix
    Use a short id of letters, digits and underscores; Alembic writes 12
    lowercase hex characters.
    """

    code = "AL102"
    name = "invalid-revision-id"
    summary = "A revision id Alembic rejects or cannot store"
    severity = Severity.ERROR
    options = {
        "max-length": Option(
            MAX_LENGTH,
            "The width of your `alembic_version.version_num` column, if you made it wider.",
            minimum=1,
        )
    }
    valid = [history(m("aaaaaaaaaaaa"), m("0002_add_users", "aaaaaaaaaaaa"))]
    invalid = [
        history(m("aaaa-1111", expect=_E), title="a hyphen"),
        history(m("head", expect=_E), title="a reserved name"),
        history(
            m("20260101_add_a_very_long_descriptive_name", expect=_E),
            title="longer than alembic_version.version_num",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            rev = migration.revision
            if rev.status is Status.LITERAL:
                limit = self.option("max-length")
                assert isinstance(limit, int)
                message = problem(rev.value, limit)
                if message:
                    ref = rev.elements[0].ref if rev.elements else rev.ref
                    yield self.diagnostic(migration, ref, message)
            yield from self._references(migration)

    def _references(self, migration: Migration) -> Iterator[Diagnostic]:
        for binding in (migration.down_revision, migration.depends_on, migration.branch_labels):
            for element in binding.elements:
                if not isinstance(element.value, str):
                    yield self.diagnostic(
                        migration,
                        element.ref,
                        f"{binding.name} holds {element.value!r} "
                        f"({type(element.value).__name__}); ids and labels must be strings",
                    )


def problem(value: object, max_length: int = MAX_LENGTH) -> str | None:
    if not isinstance(value, str):
        return (
            f"revision must be a string, not {type(value).__name__} (Alembic fails with TypeError)"
        )
    bad = sorted(set(value) & set(ILLEGAL))
    if bad:
        return f"Character(s) '{', '.join(bad)}' not allowed in revision identifier '{value}'"
    if value in RESERVED:
        return f"revision id '{value}' is a reserved symbol in Alembic ({', '.join(RESERVED)})"
    if value == "":
        return "revision id is empty"
    if len(value) > max_length:
        return (
            f"revision id is {len(value)} characters; alembic_version.version_num holds "
            f"{max_length}, so the upgrade fails on PostgreSQL"
        )
    return None
