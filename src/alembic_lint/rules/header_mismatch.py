"""AL103 header-mismatch."""

from __future__ import annotations

import re
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
    Flags a docstring whose `Revision ID:` or `Revises:` line names other revisions
    than the `revision` / `down_revision` variables.

    The `Revises:` line is read as a set of ids: order, quotes, brackets, commas and
    whitespace do not matter, so a merge written as a tuple (`Revises: ('a', 'b')`,
    as older Alembic templates wrote it) or with its parents in another order agrees
    with `down_revision = ("a", "b")`. A base may say nothing (`Revises: `, what
    Alembic's template writes), `None` (older templates) or `-`, or leave the line
    out. An id that differs, is missing or is extra is reported (a prefix of the
    right id too: Alembic never writes one).

    ## Why is this bad?
    Alembic ignores the header (the graph follows the variables), but people read it:
    after a copy-paste or a hand re-parenting the header lies about where the
    migration sits, and the next person to resolve a conflict trusts the lie. About
    one file in twenty in real histories has a stale header.

    ## Fix
    Rewrites the header line as Alembic's template writes it from the variables
    (`Revises: a, b` in `down_revision`'s order, `Revises: ` for a base). Safe:
    Alembic never reads it.
    """

    code = "AL103"
    name = "header-mismatch"
    summary = "The docstring's Revision ID / Revises header disagrees with the variables"
    severity = Severity.WARNING
    fixable = True
    valid = [
        history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa")),
        history(
            raw(
                "aaaaaaaaaaaa_initial.py",
                '''
                """initial

                Revision ID: aaaaaaaaaaaa
                Revises: None
                Create Date: 2015-01-08 23:14:00.000000

                """
                revision = "aaaaaaaaaaaa"
                down_revision = None
                ''',
            ),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
            m("cccccccccccc", "aaaaaaaaaaaa"),
            raw(
                "dddddddddddd_merge.py",
                '''
                """merge

                Revision ID: dddddddddddd
                Revises: ('cccccccccccc', 'bbbbbbbbbbbb')
                Create Date: 2015-03-02 10:00:00.000000

                """
                revision = "dddddddddddd"
                down_revision = ("bbbbbbbbbbbb", "cccccccccccc")
                ''',
            ),
            title="an older template's headers: `None` for a base, a merge as a tuple "
            "(in any order)",
        ),
    ]
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
            rid = header.revision_id
            if rid is not None and actual not in (None, rid) and _ids(rid) != {actual}:
                yield self.diagnostic(
                    migration,
                    header.revision_id_ref,
                    f"docstring says Revision ID: {rid}, but revision = '{actual}'",
                )
            expected = _revises(migration)
            if header.revises is None or expected is None:
                continue
            # `down_revision = ""` is AL002's: its header has nothing better to say.
            if header_parents(header.revises) != set(migration.down_ids) - {""}:
                said = header.revises or "(nothing)"
                if not header_parents(header.revises):
                    said += " (a base)"
                yield self.diagnostic(
                    migration,
                    header.revises_ref,
                    f"docstring says Revises: {said}, "
                    f"but down_revision is {expected or 'None (a base)'}",
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
        # What Alembic's template renders: the key, one space, the value, nothing after
        # (`Revises: ` for a base) but the docstring's closing quotes if they are there.
        end = len(line)
        for quotes in ('"""', "'''"):
            if line.rstrip().endswith(quotes):
                end = len(line.rstrip()[:-3].rstrip())
        end = max(end, start)
        if line[start:end].startswith(" "):
            start, content = start + 1, value  # the space that is there stays
        else:
            content = " " + value
        first = Location(loc.path, loc.line, start + 1, loc.line, start + 1)
        last = Location(loc.path, loc.line, end + 1, loc.line, end + 1)
        return Fix(
            f"Rewrite the header from the variables: {key} {value}".rstrip(),
            (Edit(content, first, last),),
            Applicability.SAFE,
        )


#: What separates ids in a header line: commas, whitespace, brackets and quotes (a tuple
#: repr, `(u'a', u'b')` from Python 2 included).
_NOT_ID = re.compile(r"(?:[\s,()\[\]{}'\"]|(?<![\w.])[uUbBrR]{1,2}(?=['\"]))+")
#: How a base is written by hand or by older templates (today's writes nothing).
_NO_PARENT = frozenset({"None", "none", "-"})


def header_parents(text: str) -> set[str]:
    """The revision ids a ``Revises:`` header names, in any order and notation: Alembic's
    template writes ``Revises: a, b`` (``${down_revision | comma,n}``, nothing for a
    base); older templates and people wrote ``None``, ``-`` or ``('a', 'b')``."""
    ids = _ids(text)
    return set() if len(ids) == 1 and ids <= _NO_PARENT else ids


def _ids(text: str) -> set[str]:
    return {part for part in _NOT_ID.split(text) if part}


def _revision(migration: Migration) -> str | None:
    return migration.revision_id


def _revises(migration: Migration) -> str | None:
    """The ``Revises:`` text Alembic's template would write, or None if unknowable."""
    down = migration.down_revision
    if down.status is not Status.LITERAL or not all(isinstance(v, str) for v in migration.down_ids):
        return None
    return ", ".join(str(v) for v in migration.down_ids)
