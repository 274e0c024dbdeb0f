"""AL001 multiple-heads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Option, Rule, related
from alembic_lint.rules._common import EXCERPT, down_ref, excerpt, nearby, who
from alembic_lint.rules.examples import history, m

_H = {"down_revision": "AL001"}


class MultipleHeads(Rule):
    """
    ## What it does
    Flags a history with more than one head on one branch: two or more revisions
    that no other revision names as its `down_revision`. Heads that carry different
    branch labels are separate branches (`upgrade expand@head`) and are fine.

    ## Why is this bad?
    Two branches of the code each added a migration on the same parent. Both
    passed CI on their own; after the merge, `alembic upgrade head` and
    `alembic revision` fail with "Multiple head revisions are present".

    ## Fix
    Write a merge migration (`alembic merge heads`, whose `down_revision` is the
    tuple of the heads), or re-point one branch's first migration at the other
    head so that the history stays linear.
    """

    code = "AL001"
    name = "multiple-heads"
    summary = "More than one head on one branch"
    severity = Severity.ERROR
    graph = True
    alembic_versions = "all: `upgrade head` refuses several heads"
    options = {
        "expected-heads": Option(
            1,
            "How many heads one branch may have before it is reported (for histories "
            "that keep several unlabelled heads on purpose and run `upgrade heads`).",
            minimum=1,
        )
    }
    valid = [
        history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"), title="a linear history"),
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
            m("cccccccccccc", "aaaaaaaaaaaa"),
            m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
            title="a branch closed by a merge migration",
        ),
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", labels=("expand",)),
            m("cccccccccccc", "aaaaaaaaaaaa", labels=("contract",)),
            title="expand/contract heads, each with its own branch label",
        ),
    ]
    invalid = [
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", expect=_H),
            m("cccccccccccc", "aaaaaaaaaaaa", expect=_H),
            title="two migrations written on the same parent",
        ),
        history(
            m("aaaaaaaaaaaa", labels=("expand",)),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", expect=_H),
            m("cccccccccccc", "aaaaaaaaaaaa", expect=_H),
            title="both heads inherit the same label",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        migrations = graph.migrations
        # Duplicates (AL004) and heads whose line has a dangling parent (AL002/AL003) are
        # explained by those rules; counting them here would only repeat the noise.
        below_dangling = graph.below(graph.dangling)
        heads = [
            h
            for h in graph.heads
            if graph.by_id.get(graph.id_of(h)) == h and h not in below_dangling
        ]
        if len(heads) < 2:
            return
        groups: dict[str, list[int]] = defaultdict(list)
        for head in heads:
            labels = graph.labels(head)
            for label in labels or {""}:
                groups[label].append(head)
        expected = self.option("expected-heads")
        assert isinstance(expected, int)
        # Each file whose parent is unknown could absorb one head.
        slack = len(graph.uncertain)
        reported: set[tuple[int, ...]] = set()
        for label, members in sorted(groups.items()):
            key = tuple(members)
            if len(members) - slack <= expected or key in reported:
                continue
            reported.add(key)
            where = f"on branch '{label}'" if label else "on one branch"
            names = excerpt([who(graph, h) for h in members[:EXCERPT]], len(members))
            tail = _divergence(graph, members)
            message = f"{len(members)} heads {where}: {names}; {tail}"
            for index, head in enumerate(members):
                mig = migrations[head]
                # The heads next to this one, not all of them: thousands of heads would
                # make every finding as long as the history.
                others = [
                    related(migrations[o], down_ref(migrations[o]), f"other head {who(graph, o)}")
                    for o in nearby(members, index)
                ]
                yield self.diagnostic(mig, down_ref(mig), message, related=others)


def _divergence(graph: RevisionGraph, heads: list[int]) -> str:
    """Where the heads part ways, and which of them stand alone."""
    rooted = [h for h in heads if graph.has_parent(h)]
    alone = [graph.id_of(h) for h in heads if not graph.has_parent(h)]
    parts = []
    common = graph.nearest_common_ancestors(rooted) if len(rooted) > 1 else []
    if common:
        where = excerpt([graph.id_of(c) for c in common[:EXCERPT]], len(common))
        parts.append(f"they diverge at {where}")
    elif len(rooted) > 1:
        parts.append("they share no ancestor")
    if alone:
        verb = "has" if len(alone) == 1 else "have"
        parts.append(f"{excerpt(alone[:EXCERPT], len(alone))} {verb} no parent in the history")
    return "; ".join(parts)
