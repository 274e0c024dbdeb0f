"""AL005 revision-cycle."""

from __future__ import annotations

from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History, Migration
from alembic_lint.rules import Rule, related
from alembic_lint.rules._common import EXCERPT, excerpt, who
from alembic_lint.rules.examples import history, m


class RevisionCycle(Rule):
    """
    ## What it does
    Flags revisions that are their own ancestors, through `down_revision`,
    `depends_on`, or both, including a revision that names itself.

    ## Why is this bad?
    Alembic refuses the whole history ("Cycle is detected in revisions",
    "Self-loop is detected in revisions", "Dependency cycle is detected").
    Cycles usually come from hand re-parenting during a rebase.

    ## Fix
    Re-point one `down_revision` of the cycle at the revision that should really
    come before it.
    """

    code = "AL005"
    name = "revision-cycle"
    summary = "Revisions form a cycle"
    severity = Severity.ERROR
    graph = True
    valid = [history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "cccccccccccc", expect={"down_revision": "AL005"}),
            m("cccccccccccc", "bbbbbbbbbbbb", expect={"down_revision": "AL005"}),
            title="two revisions naming each other",
        ),
        history(
            m("aaaaaaaaaaaa", "aaaaaaaaaaaa", expect={"down_revision": "AL005"}),
            title="a self-loop",
        ),
        history(
            m("aaaaaaaaaaaa"),
            m(
                "bbbbbbbbbbbb",
                "aaaaaaaaaaaa",
                depends="cccccccccccc",
                expect={"depends_on": "AL005"},
            ),
            m("cccccccccccc", "bbbbbbbbbbbb", expect={"down_revision": "AL005"}),
            title="a cycle through depends_on",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for cycle in graph.cycles():
            members = set(cycle)
            edges = {n: _edge(graph, graph.migrations[n], members) for n in cycle}
            names = ", ".join(who(graph, n) for n in cycle) if len(cycle) <= EXCERPT else ""
            for node in cycle:
                migration = graph.migrations[node]
                ref, attribute, _ = edges[node]
                if len(cycle) == 1:
                    message = f"revision {graph.id_of(node)} names itself in {attribute}"
                    yield self.diagnostic(migration, ref, message)
                    continue
                if names:
                    message = f"revision cycle through {attribute}: {names}"
                    others = [o for o in cycle if o != node]
                else:
                    # A long cycle: each finding names the stretch of it that starts here
                    # (following each revision's parent in the cycle), not all of it.
                    others = _stretch(node, edges)
                    shown = [who(graph, n) for n in (node, *others)]
                    message = (
                        f"revision cycle of {len(cycle)} revisions through {attribute}: "
                        + excerpt(shown, len(cycle))
                    )
                places = [
                    related(
                        graph.migrations[o], graph.migrations[o].down_revision.ref, who(graph, o)
                    )
                    for o in others
                ]
                yield self.diagnostic(migration, ref, message, related=places)
        for node in graph.empty_depends_bases:
            migration = graph.migrations[node]
            element = migration.depends_on.elements[0]
            yield self.diagnostic(
                migration,
                element.ref,
                'depends_on = "" on a base revision: Alembic no longer counts it as a base and '
                "stops with 'Dependency cycle is detected'; use None",
            )


def _stretch(node: int, edges: dict[int, tuple[int, str, int | None]]) -> list[int]:
    """Up to ``EXCERPT - 1`` revisions after ``node``, each the parent of the one before
    inside the cycle (a group that is not one simple cycle may come back early)."""
    found: list[int] = []
    here = edges[node][2]
    while here is not None and here != node and here not in found and len(found) < EXCERPT - 1:
        found.append(here)
        here = edges[here][2]
    return found


def _edge(
    graph: RevisionGraph, migration: Migration, members: set[int]
) -> tuple[int, str, int | None]:
    """The element of down_revision (else depends_on) that stays inside the cycle, and the
    revision it names."""
    for binding in (migration.down_revision, migration.depends_on):
        for element in binding.elements:
            value = element.value
            if not isinstance(value, str):
                continue
            target = graph.by_id.get(value)
            if target is None and value in graph.label_owner:
                owner = graph.label_owner[value]
                # down_revision goes to the labelled file; depends_on to its id's winner
                target = (
                    owner if binding.name == "down_revision" else graph.by_id[graph.id_of(owner)]
                )
            if target in members or (len(members) == 1 and value == migration.revision_id):
                return element.ref, binding.name, target
    return migration.down_revision.ref, "down_revision", None
