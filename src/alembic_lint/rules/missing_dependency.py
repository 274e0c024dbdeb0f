"""AL006 missing-dependency."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RefKind, RevisionGraph
from alembic_lint.model import History, Status
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m
from alembic_lint.rules.missing_parent import _certain, suggest


class MissingDependency(Rule):
    """
    ## What it does
    Flags a `depends_on` entry that names neither a revision id nor a branch label.
    Held back while some file's id or branch label is known only by running it
    (AL101): that value may be the one named.

    ## Why is this bad?
    Alembic fails to load the history with a bare `KeyError` (no warning first),
    so every command breaks. `depends_on` matches ids and labels exactly; the
    partial ids accepted by `alembic revision --depends-on` are expanded when the
    file is written, never when it is read.

    ## Fix
    Name the full revision id or the branch label the migration depends on.
    """

    code = "AL006"
    name = "missing-dependency"
    summary = "`depends_on` names a revision or label that does not exist"
    severity = Severity.ERROR
    graph = True
    valid = [
        history(
            m("aaaaaaaaaaaa", labels="core"),
            m("bbbbbbbbbbbb", depends="core"),
            m("cccccccccccc", depends=["aaaaaaaaaaaa"], labels="other"),
        )
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", depends="aaaa", expect={"depends_on": "AL006"}),
            title="a partial id",
        )
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        # depends_on may name a branch label too, and a label only running its file
        # would tell may be the one named.
        if not _certain(graph) or any(
            m.branch_labels.status is Status.UNRESOLVED for m in graph.migrations
        ):
            return
        for bad in graph.bad_refs:
            if bad.attribute != "depends_on" or bad.kind is not RefKind.MISSING:
                continue
            message = f"depends_on '{bad.element.value}' names no revision or branch label"
            hint = suggest(str(bad.element.value), graph)
            if hint:
                message += f"; did you mean '{hint}'?"
            yield self.diagnostic(graph.migrations[bad.node], bad.element.ref, message)
