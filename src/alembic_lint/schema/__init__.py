"""The schema at every revision, statically: the operations replayed along the graph."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic_lint.graph import RevisionGraph
    from alembic_lint.schema.replay import Model


def model_of(graph: RevisionGraph) -> Model:
    """The replayed history of ``graph``, worked out once for all the rules that read it."""
    model = graph.derived.get("schema")
    if model is None:
        from alembic_lint.schema.replay import replay

        # A caller that checks the same history again and again (the language server)
        # leaves a Memo in "schema-memo": what did not change is not replayed again.
        memo = graph.derived.get("schema-memo")
        model = graph.derived["schema"] = replay(graph, keep=(), memo=memo)
    return model
