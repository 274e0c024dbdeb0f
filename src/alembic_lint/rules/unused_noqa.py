"""AL900 unused-noqa."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Location, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration, Suppression
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m, raw


class UnusedNoqa(Rule):
    """
    ## What it does
    Flags a `# noqa` comment, or a file-level `# alembic-lint: file-ignore[...]`
    comment, that suppresses nothing: the finding it was written for is gone, its
    codes are misspelt, or it names rules that are not enabled.

    ## Why is this bad?
    A stale suppression silently hides the next real problem on that line. Like
    ruff's `RUF100`, this keeps suppressions honest.

    ## Fix
    Delete the comment, or the codes in it that no longer match a finding.
    """

    code = "AL900"
    name = "unused-noqa"
    summary = "A suppression comment that suppresses nothing"
    severity = Severity.WARNING
    valid = [
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade='op.drop_index("ix_user_email")  # noqa: AL201',
                downgrade='raise NotImplementedError("the index was redundant")',
            )
        )
    ]
    invalid = [
        history(
            m(
                "aaaaaaaaaaaa",
                upgrade=(
                    'op.drop_index("ix_user_email", if_exists=True)  # noqa: AL201  # expect: AL900'
                ),
                downgrade='raise NotImplementedError("the index was redundant")',
            ),
            title="the drop was fixed, the comment stayed",
        ),
        history(
            raw(
                "aaaaaaaaaaaa_x.py",
                """
                # alembic-lint: file-ignore[AL202]  # expect: AL900
                revision = "aaaaaaaaaaaa"
                down_revision = None


                def upgrade():
                    pass
                """,
            ),
            title="a file-level ignore with nothing to ignore",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        return iter(())  # the engine reports unused suppressions after applying them

    def unused(
        self,
        migration: Migration,
        comment: Suppression,
        unmatched: list[str],
        disabled: list[str],
        unknown: list[str],
    ) -> Diagnostic:
        kind = "file-ignore" if comment in migration.file_ignores else "`noqa`"
        details = []
        if unmatched:
            details.append(f"unused: {', '.join(unmatched)}")
        if disabled:
            details.append(f"non-enabled: {', '.join(disabled)}")
        if unknown:
            details.append(f"unknown: {', '.join(unknown)}")
        message = f"Unused {kind} directive" + (f" ({'; '.join(details)})" if details else "")
        location = Location(
            migration.path, comment.line, comment.column, comment.line, comment.end_column
        )
        return Diagnostic(
            location, self.code, self.name, message, self.severity, revision=migration.revision_id
        )
