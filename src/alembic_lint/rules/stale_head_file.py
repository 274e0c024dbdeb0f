"""AL015 stale-head-file."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Edit, Fix, Location, Severity
from alembic_lint.graph import RevisionGraph, build
from alembic_lint.headfile import content, listed
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m, raw


class StaleHeadFile(Rule):
    """
    ## What it does
    With the `head-file` setting (e.g. `head-file = "db/migrations/head.txt"`): flags
    that file when it does not list exactly the history's current head(s), one per
    line.

    ## Why is this bad?
    Two pull requests that each add a migration on the same parent are each fine on
    their own: the history breaks only when both are merged, and CI ran on each alone.
    With a head file, each branch also changes the file's line to its own new head, so
    git (and every code host's merge button) refuses to merge the second branch until it
    is rebased on the first: the race is closed by a merge conflict. This rule keeps the
    file honest; `alembic-lint merge` and `alembic-lint rebase` keep it current.

    ## Fix
    `--fix` writes the current heads into the file (and creates it if missing).
    """

    code = "AL015"
    name = "stale-head-file"
    summary = "The head file does not list the current head(s)"
    severity = Severity.ERROR
    graph = True
    fixable = True
    valid = [
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
            raw("head.txt", "bbbbbbbbbbbb\n"),
            head_file="head.txt",
            title='`head.txt` with `head-file = "db/migrations/versions/head.txt"`',
        )
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
            raw("head.txt", "aaaaaaaaaaaa  # expect: AL015\n"),
            head_file="head.txt",
            title="a migration added without updating the head file",
            fixed=(raw("head.txt", "bbbbbbbbbbbb\n"),),
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        if history.head_file is None or graph.uncertain or graph.dangling:
            return
        path, text = history.head_file
        heads = sorted(set(graph.head_ids()))
        if text is None:
            message = f"the head file is missing; it must list {_ids(heads)} (--fix writes it)"
        elif sorted(set(listed(text))) != heads:
            was = _ids(sorted(set(listed(text)))) or "nothing"
            message = (
                f"the head file lists {was}, but the head of the history is {_ids(heads)} "
                "(--fix rewrites it)"
            )
        else:
            return
        yield self.diagnostic_at(path, None, message)

    def fix_file(self, diagnostic: Diagnostic, history: History) -> Fix | None:
        if history.head_file is None:
            return None
        path, text = history.head_file
        lines = (text or "").splitlines(keepends=True)
        start = Location(path, 1, 1, 1, 1)
        end = Location(path, len(lines) + 1, 1, len(lines) + 1, 1)
        heads = build(history).head_ids()
        return Fix(
            "list the current heads", (Edit(content(heads), start, end),), creates=text is None
        )


def _ids(heads: list[str]) -> str:
    return ", ".join(heads)
