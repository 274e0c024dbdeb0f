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

        model = graph.derived["schema"] = replay(graph, keep=())
    return model
