"""AL100 syntax-error."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m, raw


class SyntaxError_(Rule):
    """
    ## What it does
    Flags a file in the versions directory that cannot be read or parsed: a syntax
    error, Python 2 code, a binary file, bytes that are not valid in the file's
    encoding, or a file that cannot be opened. The verdict is CPython's (the one
    Alembic's import meets), limits included: more than 200 nested brackets, or an
    expression nested too deeply to compile. Also a file that is not analysed: one
    larger than 4 MB, or one whose reading crashed the process that read it; and a
    named pipe, a device or a symlink loop named like a migration (never read).

    ## Why is this bad?
    Alembic imports every file to build the history, so one file that does not
    import breaks every command, not only the upgrade that would run it.

    The linter still recovers the file's `revision`, `down_revision`,
    `branch_labels` and `depends_on` when they are plain literals, so the rest of
    the history is checked without false missing parents or extra heads.

    ## Fix
    Make the file compile under the Python that runs Alembic
    (`python -m py_compile FILE` shows the error), save it as UTF-8 or declare
    its encoding in a `# -*- coding: ... -*-` line, and move anything that is not
    a migration out of the versions directory.
    """

    code = "AL100"
    name = "syntax-error"
    summary = "The file cannot be parsed"
    severity = Severity.ERROR
    valid = [history(m("aaaaaaaaaaaa"))]
    invalid = [
        history(
            raw(
                "aaaaaaaaaaaa_py2.py",
                """
                revision = 'aaaaaaaaaaaa'
                down_revision = None


                def upgrade():
                    print 'adding users'  # expect: AL100
                """,
            ),
            title="a Python 2 file",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for migration in history:
            problem = migration.syntax_error
            if problem is not None:
                yield self.diagnostic(migration, problem.ref, problem.message)
