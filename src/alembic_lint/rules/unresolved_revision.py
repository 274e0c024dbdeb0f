"""AL101 unresolved-revision."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Status
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m, raw


class UnresolvedRevision(Rule):
    """
    ## What it does
    Flags a file whose `revision` or `down_revision` is not a literal (a name, an
    import, a computation, a conditional assignment), and a `.py` file in the
    versions directory that defines no `revision` or no `down_revision`.

    ## Why is this bad?
    Alembic refuses a file without `revision` ("Could not determine revision id
    from filename") or without `down_revision` (`AttributeError`), so a helper
    module left in the versions directory breaks every command. A value that only
    executing the file can tell hides the file's place in the graph: the linter
    never guesses it, so graph checks that depend on it are skipped.

    ## Fix
    Assign plain string literals (or `None`, or a tuple of strings), as
    `alembic revision` writes them; move helper modules out of the versions
    directory.
    """

    code = "AL101"
    name = "unresolved-revision"
    summary = "`revision` / `down_revision` missing or not a literal"
    severity = Severity.ERROR
    valid = [history(m("aaaaaaaaaaaa"))]
    invalid = [
        history(
            raw(
                "aaaaaaaaaaaa_computed.py",
                """
                from myapp.revisions import PARENT

                revision = "aaaaaaaaaaaa"
                down_revision = PARENT  # expect: AL101


                def upgrade():
                    pass
                """,
            ),
            title="an imported parent",
        ),
        history(
            raw(
                "helpers.py",
                """
                def add_audit_columns(op, table):  # expect: AL101
                    pass
                """,
            ),
            title="a helper module in the versions directory",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            if migration.syntax_error is not None:
                continue
            rev, down = migration.revision, migration.down_revision
            if rev.status is Status.ABSENT and migration.revision_id is None:
                if down.status is Status.ABSENT:
                    message = (
                        f"{migration.filename} defines no `revision` and no `down_revision`: "
                        "Alembic refuses to load a history holding a file that is not a migration"
                    )
                else:
                    message = (
                        "no `revision` variable: Alembic fails with "
                        f"'Could not determine revision id from filename {migration.filename}'"
                    )
                yield self.diagnostic(migration, -1, message)
                continue
            if rev.status is Status.UNRESOLVED:
                yield self.diagnostic(
                    migration,
                    rev.ref,
                    f"`revision` is {rev.reason}: only running the file would tell its value",
                )
            if down.status is Status.ABSENT:
                yield self.diagnostic(
                    migration,
                    rev.ref,
                    "no `down_revision` variable: Alembic fails with AttributeError "
                    "(use `down_revision = None` for a base revision)",
                )
            elif down.status is Status.UNRESOLVED:
                yield self.diagnostic(
                    migration,
                    down.ref,
                    f"`down_revision` is {down.reason}: only running the file would tell its "
                    "value, so the graph findings that depend on it are held back",
                )
