"""What the schema rules share: the operations the replayed model says fail."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic
from alembic_lint.graph import RevisionGraph
from alembic_lint.rules import Rule


def failures(rule: Rule, graph: RevisionGraph, kind: str, state: str) -> Iterator[Diagnostic]:
    """``rule``'s findings: the failing operations of ``kind`` ("missing" or "exists"),
    worded with ``state`` ("does not exist", "already exists")."""
    from alembic_lint.schema import model_of

    for failure in model_of(graph).failures:
        problem = failure.problem
        if problem.kind != kind:
            continue
        change = problem.change
        where = "" if failure.function == "upgrade" else " in `downgrade()`"
        merged = (
            ""
            if failure.merge is None
            else f", once merged at {graph.id_of(failure.merge)} with a branch that does the same"
        )
        yield rule.diagnostic(
            graph.migrations[failure.node],
            change.ref,
            f"`{change.op}()`{where}: {problem.what} {state} at revision "
            f"{graph.id_of(failure.node)}{merged}",
        )
