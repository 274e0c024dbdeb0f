"""What the schema rules share: the operations the replayed model says fail."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic
from alembic_lint.graph import RevisionGraph
from alembic_lint.rules import Rule, related


def failures(rule: Rule, graph: RevisionGraph, kind: str, state: str) -> Iterator[Diagnostic]:
    """``rule``'s findings: the failing operations of ``kind`` ("missing" or "exists"),
    worded with ``state`` ("does not exist", "already exists")."""
    from alembic_lint.schema import model_of
    from alembic_lint.schema.replay import UNMERGED

    for failure in model_of(graph).failures:
        problem = failure.problem
        if problem.kind != kind:
            continue
        change = problem.change
        where = "" if failure.function == "upgrade" else " in `downgrade()`"
        if failure.merge is None:
            merged = ""
        elif failure.merge == UNMERGED:
            merged = ", once the heads are merged (or upgraded together): another does the same"
        else:
            merged = (
                f", once merged at {graph.id_of(failure.merge)} with a branch that does the same"
            )
        found = []
        if failure.other is not None:
            # The clashing operation on the other line: where the finding goes when only
            # that file is reported on (--against, --stdin-filename).
            node, clash = failure.other
            place = related(graph.migrations[node], clash.ref, f"also in {graph.id_of(node)}")
            found.append(place)
        yield rule.diagnostic(
            graph.migrations[failure.node],
            change.ref,
            f"`{change.op}()`{where}: {problem.what} {state} at revision "
            f"{graph.id_of(failure.node)}{merged}",
            related=found,
        )
