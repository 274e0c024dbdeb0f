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
    Flags the alembic-lint codes (`AL...`) of a `# noqa` comment, or a file-level
    `# alembic-lint: file-ignore[...]` comment, that suppress nothing: the finding
    they were written for is gone, they are misspelt, or they name rules that are
    not enabled.

    A migration file is linted by other tools too, so a `# noqa` is judged only
    for alembic-lint's own codes, as ruff judges only the codes it owns: the codes
    of other tools (`# noqa: F401`, `I001`, `S608`) and a bare `# noqa` are never
    reported, and in `# noqa: E501, AL201` only `AL201` is. A file-ignore comment
    is alembic-lint's alone, so all of it is judged.

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
        ),
        history(
            raw(
                "bbbbbbbbbbbb_backfill_plans.py",
                """
                from alembic import op
                import sqlalchemy as sa
                from myapp.models import Plan  # noqa: F401
                from myapp import settings  # noqa

                revision = "bbbbbbbbbbbb"
                down_revision = None


                def upgrade():
                    table = settings.PLAN_TABLE
                    op.execute(f"UPDATE {table} SET tier = 'free'")  # noqa: S608, E501
                    op.drop_index("ix_plans_legacy", if_exists=True)  # noqa: E501,I001


                def downgrade():
                    raise NotImplementedError("the old tiers are gone")
                """,
            ),
            title="`noqa` comments written for ruff or flake8, and a bare `noqa`",
        ),
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
            m(
                "aaaaaaaaaaaa",
                upgrade=(
                    'op.drop_index("ix_user_email", if_exists=True)  # noqa: F401, AL201'
                    "  # expect: AL900"
                ),
                downgrade='raise NotImplementedError("the index was redundant")',
            ),
            title="a comment shared with another tool: only `AL201` is reported",
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

    @staticmethod
    def owns(code: str) -> bool:
        """Whether a `# noqa` code is alembic-lint's to judge (`AL` and digits, known or
        not: `AL999` is a misspelt code of ours, `F401` another tool's)."""
        return code.startswith("AL") and code[2:].isdigit()

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
