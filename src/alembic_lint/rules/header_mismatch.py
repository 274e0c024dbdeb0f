"""AL103 header-mismatch."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration, Status
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m, raw

REVISION_KEY = "Revision ID:"
REVISES_KEY = "Revises:"


class HeaderMismatch(Rule):
    """
    ## What it does
    Flags a docstring whose `Revision ID:` or `Revises:` line disagrees with the
    `revision` / `down_revision` variables.

    ## Why is this bad?
    Alembic ignores the header (the graph follows the variables), but people read it:
    after a copy-paste or a hand re-parenting the header lies about where the
    migration sits, and the next person to resolve a conflict trusts the lie. About
    one file in twenty in real histories has a stale header.

    ## Fix
    Rewrites the header line from the variables (safe: Alembic never reads it).
    """

    code = "AL103"
    name = "header-mismatch"
    summary = "The docstring's Revision ID / Revises header disagrees with the variables"
    severity = Severity.WARNING
    fixable = True
    valid = [history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m("cccccccccccc", "aaaaaaaaaaaa"),
            raw(
                "bbbbbbbbbbbb_add_users.py",
                '''
                """add users

                Revision ID: bbbbbbbbbbbb
                Revises: aaaaaaaaaaaa  # expect: AL103
                """
                revision = "bbbbbbbbbbbb"
                down_revision = "cccccccccccc"


                def upgrade():
                    pass
                ''',
            ),
            title="re-parented by hand, header left behind",
            fixed=(
                raw(
                    "bbbbbbbbbbbb_add_users.py",
                    '''
                    """add users

                    Revision ID: bbbbbbbbbbbb
                    Revises: cccccccccccc
                    """
                    revision = "bbbbbbbbbbbb"
                    down_revision = "cccccccccccc"


                    def upgrade():
                        pass
                    ''',
                ),
            ),
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            header = migration.header
            actual = _revision(migration)
            if header.revision_id is not None and actual not in (None, header.revision_id):
                yield self.diagnostic(
                    migration,
                    header.revision_id_ref,
                    f"docstring says Revision ID: {header.revision_id}, but revision = '{actual}'",
                )
            expected = _revises(migration)
            if header.revises is not None and expected is not None:
                shown = tuple(p.strip() for p in header.revises.split(",") if p.strip())
                wanted = tuple(expected.split(", ")) if expected else ()
                if shown != wanted:
                    yield self.diagnostic(
                        migration,
                        header.revises_ref,
                        f"docstring says Revises: {header.revises or '(nothing)'}, "
                        f"but down_revision is {expected or 'None'}",
                    )

    def fix(self, diagnostic: Diagnostic, migration: Migration, text: str) -> Fix | None:
        from alembic_lint.fixes import index

        loc = diagnostic.location
        lines = index(text).lines
        if not 0 < loc.line <= len(lines):
            return None
        line = lines[loc.line - 1].rstrip("\r\n")
        is_revision = loc.ref == migration.header.revision_id_ref
        key = REVISION_KEY if is_revision else REVISES_KEY
        value = _revision(migration) if is_revision else _revises(migration)
        at = line.find(key)
        if at == -1 or value is None:
            return None
        start = at + len(key)
        while start < len(line) and line[start] in " \t":
            start += 1
        end = len(line.rstrip())
        for quotes in ('"""', "'''"):
            if line[:end].endswith(quotes):
                end = len(line[: end - 3].rstrip())
        end = max(end, start)
        first = Location(loc.path, loc.line, start + 1, loc.line, start + 1)
        last = Location(loc.path, loc.line, end + 1, loc.line, end + 1)
        return Fix(
            f"Rewrite the header from the variables: {key} {value}".rstrip(),
            (Edit(value, first, last),),
            Applicability.SAFE,
        )


def _revision(migration: Migration) -> str | None:
    return migration.revision_id


def _revises(migration: Migration) -> str | None:
    """The ``Revises:`` text Alembic's template would write, or None if unknowable."""
    down = migration.down_revision
    if down.status is not Status.LITERAL or not all(isinstance(v, str) for v in migration.down_ids):
        return None
    return ", ".join(str(v) for v in migration.down_ids)
