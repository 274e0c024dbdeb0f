"""AL001 multiple-heads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RefKind, RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Option, Rule, related
from alembic_lint.rules._common import EXCERPT, down_ref, excerpt, nearby, who
from alembic_lint.rules.examples import history, m, raw
from alembic_lint.rules.missing_parent import suggest

_H = {"down_revision": "AL001"}


class MultipleHeads(Rule):
    """
    ## What it does
    Flags a history with more than one head on one branch: two or more revisions
    that no other revision names as its `down_revision`. Heads that carry different
    branch labels are separate branches (`upgrade expand@head`) and are fine.

    Other problems in the history do not hide the heads. A base with
    `down_revision = ""` (which Alembic read as None before 1.13) or a line that
    starts at a deleted revision still has its heads, and all of them are named.
    Only what the files leave unknown holds a head back: a `down_revision` that
    only running the file would tell (an imported constant, AL101) may name any
    revision but its own descendants, so the heads it could name are not counted;
    and a `down_revision` naming a revision that is not there (AL002), once
    corrected, may name one of the heads (the "parent that never existed" was, in
    one real history, meant to be the other head), so a fork is reported only when
    it has more heads than such corrections could close.

    `branch_labels` that only running a file would tell (bound by a
    `from models import *` above them, or from an imported name) are inherited by
    every revision after that file: heads that both descend from it carry the same
    labels, so they are on one branch whatever the value is. A head with a label of
    its own beside one without is not reported: the unknown labels may be none,
    and then they are two branches.

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
        history(
            m("aaaaaaaaaaaa"),
            raw(
                "bbbbbbbbbbbb_backfill.py",
                """
                from peewee import *

                revision = "bbbbbbbbbbbb"
                down_revision = "aaaaaaaaaaaa"
                """,
            ),
            m("cccccccccccc", "bbbbbbbbbbbb", labels=("reporting",)),
            m("dddddddddddd", "bbbbbbbbbbbb"),
            title="a labelled head beside an unlabelled one, below labels that may be none",
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
        history(
            m("aaaaaaaaaaaa", "", expect={"down_revision": "AL002"}),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa"),
            m("cccccccccccc", "bbbbbbbbbbbb", expect=_H),
            m("dddddddddddd", "bbbbbbbbbbbb", expect=_H),
            title='a fork above a base written with `down_revision = ""` (before Alembic 1.13)',
        ),
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa", expect=_H),
            m("cccccccccccc", "aaaaaaaaaaaa", expect=_H),
            m("dddddddddddd", "ffffffffffff", expect={"down_revision": "AL002"}),
            m("eeeeeeeeeeee", "dddddddddddd", expect=_H),
            title="three heads, one on a line whose first parent was deleted",
        ),
        history(
            m("aaaaaaaaaaaa"),
            raw(
                "bbbbbbbbbbbb_backfill.py",
                """
                from peewee import *

                revision = "bbbbbbbbbbbb"
                down_revision = "aaaaaaaaaaaa"
                """,
            ),
            m("cccccccccccc", "bbbbbbbbbbbb", expect=_H),
            m("dddddddddddd", "bbbbbbbbbbbb", expect=_H),
            title="a fork below a file whose `import *` may bind `branch_labels`",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        migrations = graph.migrations
        # Only heads that no unknown value could take away (a missing parent or a `""`
        # anywhere takes none away); duplicates are AL004's to explain.
        heads = [h for h in graph.certain_heads() if graph.by_id.get(graph.id_of(h)) == h]
        if len(heads) < 2:
            return
        # Heads on one branch: those sharing a label, and those without one whose labels,
        # should an unknown ancestor bring some, would come from the same places.
        groups: dict[tuple[str, tuple[int, ...]], list[int]] = defaultdict(list)
        for head in heads:
            labels = graph.labels(head)
            if labels:
                for label in labels:
                    groups[(label, ())].append(head)
            else:
                groups[("", tuple(sorted(graph.label_sources(head))))].append(head)
        expected = self.option("expected-heads")
        assert isinstance(expected, int)
        fixes = _corrections(graph)
        # Which files to correct each head's line holds (bit i: fixes[i]): a correction
        # cannot name a head it is, or is an ancestor of (that would be a cycle).
        holding = graph.lines_holding([node for node, _ in fixes]) if fixes else {}
        reported: set[tuple[int, ...]] = set()
        for (label, _), members in sorted(groups.items()):
            key = tuple(members)
            # Each parent to correct may, corrected, name one of these heads.
            in_every = -1
            for head in members:
                in_every &= holding.get(head, 0)
            chosen = set(members)
            slack = sum(
                not in_every >> i & 1
                if meant is None
                else meant in chosen and not holding.get(meant, 0) >> i & 1
                for i, (_, meant) in enumerate(fixes)
            )
            if len(members) - slack <= expected or key in reported:
                continue
            reported.add(key)
            tail = _divergence(graph, members)
            if history.branch is None:
                where = f"on branch '{label}'" if label else "on one branch"
                names = excerpt([who(graph, h) for h in members[:EXCERPT]], len(members))
                message = f"{len(members)} heads {where}: {names}; {tail}"
            else:
                # The branch's heads first: that is where the reader is.
                mine = _on_branch(graph, members)
                order = sorted(members, key=lambda h: h not in mine)
                names = excerpt([who(graph, h) for h in order[:EXCERPT]], len(members))
                if len(members) == 2:
                    names = " and ".join(who(graph, h) for h in order)
                where = f" on branch '{label}'" if label else ""
                message = f"{len(members)} heads{where}, {names}; {tail}{_fix(graph, members)}"
            for index, head in enumerate(members):
                mig = migrations[head]
                # The heads next to this one, not all of them: thousands of heads would
                # make every finding as long as the history.
                others = [
                    related(migrations[o], down_ref(migrations[o]), f"other head {who(graph, o)}")
                    for o in nearby(members, index)
                ]
                yield self.diagnostic(mig, down_ref(mig), message, related=others)


def _fix(graph: RevisionGraph, heads: list[int]) -> str:
    """On a predicted merge with the branch's head and one other: the rebase that fixes it."""
    mine = [h for h in heads if h in _on_branch(graph, heads)]
    others = [h for h in heads if h not in mine]
    if len(mine) == 1 and len(others) == 1:
        return f"; fix: alembic-lint rebase --onto {graph.id_of(others[0])}"
    return ""


def _on_branch(graph: RevisionGraph, heads: list[int]) -> set[int]:
    """Those of ``heads`` on whose line (the head and its ancestors) the branch added or
    changed a revision (one pass over the graph for all: RevisionGraph.lines_holding)."""
    branch = graph.history.branch
    assert branch is not None
    changed = [n for n in graph.dag.nodes if branch.here(graph.migrations[n].path)]
    holding = graph.lines_holding(changed) if changed else {}
    return {h for h in heads if holding.get(h, 0)}


def _corrections(graph: RevisionGraph) -> list[tuple[int, int | None]]:
    """The parents to correct, each as the file that names it and the revision it most
    likely means (what AL002's "did you mean" names: a typo, a pasted filename), or None
    when it may mean any (a parent that never existed, a missing `down_revision`)."""
    found: list[tuple[int, int | None]] = []
    for bad in graph.wrong_parents:
        hint = suggest(str(bad.element.value), graph) if bad.kind is RefKind.MISSING else None
        found.append((bad.node, graph.by_id.get(hint) if hint is not None else None))
    found += [(node, None) for node in graph.absent_parents]
    return found


def _divergence(graph: RevisionGraph, heads: list[int]) -> str:
    """Where the heads part ways, which of them stand apart, and which lines reach a
    parent that is not there."""
    parts = []
    apart: list[str] = []  # rooted in the history, but meeting no other head's line
    alone: list[str] = []  # no parent at all (a base that is also a head)
    for cluster in graph.meeting(heads):  # heads whose lines meet
        if len(cluster) > 1:
            common = graph.nearest_common_ancestors(cluster)
            names = excerpt([graph.id_of(h) for h in cluster[:EXCERPT]], len(cluster))
            subject = "they" if len(cluster) == len(heads) else names
            if common:
                where = excerpt([graph.id_of(c) for c in common[:EXCERPT]], len(common))
                parts.append(f"{subject} diverge at {where}")
            else:
                parts.append(f"{subject} have no common ancestor")
            continue
        (head,) = cluster
        rid = graph.id_of(head)
        missing = _missing_parent(graph, head)
        if missing is None:
            (apart if graph.has_parent(head) else alone).append(rid)
        elif missing[1] == head:
            parts.append(f"{rid}'s parent '{missing[0]}' is not in the history")
        else:
            parts.append(
                f"{rid} descends from '{missing[0]}' (named by "
                f"{graph.migrations[missing[1]].filename}), which is not in the history"
            )
    if apart and len(apart) == len(heads):
        parts.append("they share no ancestor")
    elif apart:
        verb = "shares" if len(apart) == 1 else "share"
        parts.append(f"{excerpt(apart[:EXCERPT], len(apart))} {verb} no ancestor with the others")
    if alone:
        verb = "has" if len(alone) == 1 else "have"
        parts.append(f"{excerpt(alone[:EXCERPT], len(alone))} {verb} no parent in the history")
    if len(parts) > EXCERPT:  # thousands of heads on lines apart: as many sentences
        parts = [*parts[:EXCERPT], f"and {len(parts) - EXCERPT} more"]
    return "; ".join(parts)


def _missing_parent(graph: RevisionGraph, head: int) -> tuple[str, int] | None:
    """The first parent named in the line of ``head`` (it and its ancestors) that is not in
    the history, and the revision naming it."""
    wrong = graph.wrong_parents
    holding = graph.lines_holding([bad.node for bad in wrong]).get(head, 0) if wrong else 0
    if not holding:
        return None
    first = wrong[(holding & -holding).bit_length() - 1]  # the lowest bit: the first named
    return str(first.element.value), first.node
