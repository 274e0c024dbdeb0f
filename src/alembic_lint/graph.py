"""The only module that imports networkx: a History -> heads, bases, merges, cycles.

Semantics follow ``alembic.script.revision.RevisionMap`` exactly (ALEMBIC_FACTS section 3),
including its quirks: the last-loaded file wins an id, duplicate ids stay in ``heads``,
``depends_on`` edges do not remove a head, ``""`` is not a base.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

from alembic_lint.model import Element, History, Migration, Status


class RefKind(Enum):
    MISSING = "missing"  # names nothing
    LABEL = "label"  # a down_revision naming a branch label (Alembic: KeyError)
    EMPTY = "empty"  # down_revision = "" (Alembic >= 1.13: KeyError: '')
    NOT_STR = "not-str"  # an id that is not a string


class UnknownRevision(LookupError):
    """A revision given on the command line names no revision (or several)."""


@dataclass(frozen=True, slots=True)
class BadRef:
    """A ``down_revision`` / ``depends_on`` element that does not name a revision."""

    node: int  # index of the referring migration in the history
    attribute: str  # "down_revision" or "depends_on"
    element: Element
    kind: RefKind


@dataclass(frozen=True, slots=True)
class LabelClash:
    """A branch label declared again, by another revision or as a revision id."""

    label: str
    node: int  # the revision declaring it
    other: int  # the revision (or id owner) that already has it
    with_id: bool  # the label equals a revision id


@dataclass
class RevisionGraph:
    """A history's revisions as a graph: heads, bases, merges, cycles."""

    history: History
    #: parent -> child edges between migration indices; attribute ``kind`` is "down" or "depends".
    #: nx.DiGraph, made by build() (networkx is imported only then). An edge carries
    #: ``down=True`` and/or ``depends=True``: one graph, no copies per edge kind.
    dag: Any = None
    by_id: dict[str, int] = field(default_factory=dict)  # id -> winning (last-loaded) index
    label_owner: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    bad_refs: list[BadRef] = field(default_factory=list)
    label_clashes: list[LabelClash] = field(default_factory=list)
    heads: tuple[int, ...] = ()  # Alembic's heads, load order (depends_on ignored)
    real_heads: tuple[int, ...] = ()  # depends_on edges remove a head too
    bases: tuple[int, ...] = ()
    real_bases: tuple[int, ...] = ()
    #: Revision ids or parents that only executing a file would tell (graph verdicts are partial).
    uncertain: list[int] = field(default_factory=list)
    #: Files whose ``down_revision`` is not known (not a literal, or not recovered from a
    #: file that does not parse): it may name any revision, several at once.
    open_parents: list[int] = field(default_factory=list)
    #: Files read in full that bind no ``down_revision`` (Alembic: AttributeError): the
    #: one to be written may name any revision.
    absent_parents: list[int] = field(default_factory=list)
    #: Files whose revision id is not known: any missing parent may be one of them. (Not a
    #: module that defines neither ``revision`` nor ``down_revision``: it is no revision.)
    unknown_ids: list[int] = field(default_factory=list)
    #: Bases with ``depends_on = ""``: never "real" bases, so Alembic reports a dependency cycle.
    empty_depends_bases: tuple[int, ...] = ()
    #: What rules derive from the graph and share (e.g. the schema model), by name.
    derived: dict[str, Any] = field(default_factory=dict)
    #: Work already spent on "did you mean" ids, and the answers (several rules ask about
    #: the same missing parent; see rules.missing_parent.suggest).
    suggest_spent: int = 0
    suggestions: dict[str, str | None] = field(default_factory=dict, repr=False)
    _ancestors: dict[int, frozenset[int]] = field(default_factory=dict, repr=False)
    _holding: dict[tuple[int, ...], dict[int, int]] = field(default_factory=dict, repr=False)

    @property
    def migrations(self) -> tuple[Migration, ...]:
        return self.history.migrations

    def id_of(self, node: int) -> str:
        rid = self.migrations[node].revision_id
        return rid if rid is not None else "?"

    @cached_property
    def dangling(self) -> frozenset[int]:
        """Revisions with a down_revision that names nothing: their place is unknown."""
        return frozenset(b.node for b in self.bad_refs if b.attribute == "down_revision")

    def resolve(self, given: str) -> str:
        """An exact id, or a unique prefix of four or more characters (like Alembic);
        raises :class:`UnknownRevision` with Alembic's wording otherwise."""
        if given in self.by_id:
            return given
        if len(given) < 4:
            raise UnknownRevision(
                f"No such revision {given!r}; give at least four characters of a partial id"
            )
        matches = sorted(rid for rid in self.by_id if rid.startswith(given))
        if not matches:
            raise UnknownRevision(f"No such revision {given!r}")
        if len(matches) > 1:
            raise UnknownRevision(f"Multiple revisions start with {given!r}: {', '.join(matches)}")
        return matches[0]

    def head_ids(self) -> list[str]:
        return [self.id_of(n) for n in self.heads]

    def base_ids(self) -> list[str]:
        return [self.id_of(n) for n in self.bases]

    @cached_property
    def down_graph(self) -> nx.DiGraph:
        """The down_revision edges only: a view of ``dag``, not a copy."""
        import networkx as nx

        dag = self.dag
        return nx.subgraph_view(dag, filter_edge=lambda u, v: dag[u][v].get("down", False))

    @cached_property
    def branch_points(self) -> tuple[int, ...]:
        return tuple(n for n in self.down_graph if self.down_graph.out_degree(n) > 1)

    @cached_property
    def merge_points(self) -> tuple[int, ...]:
        return tuple(
            n
            for n, m in enumerate(self.migrations)
            if n in self.dag and m.down_revision.known and len(m.down_revision.elements) > 1
        )

    def ancestors(self, node: int) -> set[int]:
        """Down-revision ancestors (depends_on not followed). Worked out once per node (the
        rules ask for a head's several times), by a walk over the graph's own adjacency:
        networkx's walk through the filtered view of down_revision edges took ten times
        as long."""
        found = self._ancestors.get(node)
        if found is None:
            parents = self.dag.pred
            seen = {node}
            stack = [node]
            while stack:
                for parent, edge in parents[stack.pop()].items():
                    if parent not in seen and edge.get("down", False):
                        seen.add(parent)
                        stack.append(parent)
            # A cycle back to ``node`` does not make it its own ancestor (nx.ancestors).
            seen.discard(node)
            found = self._ancestors[node] = frozenset(seen)
        return set(found)

    def labels(self, node: int) -> frozenset[str]:
        """Branch labels a revision carries: its own and those of all its ancestors.

        Only labels whose values are known: a revision whose ``branch_labels`` only
        running it would tell is one of :meth:`label_sources`.
        """
        names, bits = self._label_bits
        return frozenset(names[i] for i in _bit_indices(bits.get(node, 0)))

    @cached_property
    def _label_bits(self) -> tuple[list[str], dict[int, int]]:
        """Every label, and for each revision the set (bits of that list) of the labels it
        carries: one pass for the whole graph, where asking each head for its ancestors'
        labels would cost heads times revisions."""
        names: dict[str, int] = {}
        seeds: dict[int, int] = {}
        for node in self.dag.nodes:
            for label in sorted({str(v) for v in self.migrations[node].label_ids}):
                seeds[node] = seeds.get(node, 0) | 1 << names.setdefault(label, len(names))
        return list(names), self._spread(seeds, down=True)

    def below(self, nodes: Iterable[int]) -> set[int]:
        """``nodes`` and every revision descending from one of them (down_revision edges)."""
        children = self._down_children
        found = {n for n in nodes if n in children}
        pending = list(found)
        while pending:
            for child in children[pending.pop()]:
                if child not in found:
                    found.add(child)
                    pending.append(child)
        return found

    def has_parent(self, node: int) -> bool:
        """Whether another revision is the down_revision parent of ``node``."""
        return any(p != node for p in self._down_parents.get(node, ()))

    def lines_holding(self, nodes: Sequence[int]) -> dict[int, int]:
        """For each revision, which of ``nodes`` are it or its ancestors, as bits (bit ``i``
        for ``nodes[i]``): one pass over the graph, where asking each head for its
        ancestors costs heads times revisions. Kept per ``nodes``."""
        key = tuple(nodes)
        found = self._holding.get(key)
        if found is None:
            seeds: dict[int, int] = {}
            for index, node in enumerate(key):
                seeds[node] = seeds.get(node, 0) | 1 << index
            found = self._holding[key] = self._spread(seeds, down=True)
        return found

    def meeting(self, heads: Sequence[int]) -> list[list[int]]:
        """``heads`` in groups whose lines (each head and its ancestors) meet, directly or
        through another's; each group in the order of ``heads``, the groups in the order
        of their first head. Lines that share a revision are joined through the edges
        inside them (union-find): linear, where comparing lines pairwise is not."""
        parents = self._down_parents
        inside = set(heads)
        pending = list(inside)
        while pending:  # every revision in some head's line
            for parent in parents.get(pending.pop(), ()):
                if parent not in inside:
                    inside.add(parent)
                    pending.append(parent)
        root = {n: n for n in inside}

        def find(node: int) -> int:
            while root[node] != node:
                root[node] = root[root[node]]
                node = root[node]
            return node

        for node in inside:
            for parent in parents.get(node, ()):
                a, b = find(node), find(parent)
                if a != b:
                    root[a] = b
        groups: dict[int, list[int]] = {}
        for head in heads:
            groups.setdefault(find(head), []).append(head)
        return list(groups.values())  # dicts keep the order of each group's first head

    @cached_property
    def _down_parents(self) -> dict[int, list[int]]:
        """Each revision's down_revision parents, through the graph's own adjacency (the
        filtered networkx view is ten times slower to walk)."""
        return {
            node: [p for p, edge in parents.items() if edge.get("down", False)]
            for node, parents in self.dag.pred.items()
        }

    @cached_property
    def _down_children(self) -> dict[int, list[int]]:
        children: dict[int, list[int]] = {node: [] for node in self._down_parents}
        for node, parents in self._down_parents.items():
            for parent in parents:
                children[parent].append(node)
        return children

    @cached_property
    def _down_order(self) -> list[int] | None:
        """Parents before children (down_revision edges); None when a cycle forbids it."""
        parents, children = self._down_parents, self._down_children
        waiting = {node: len(p) for node, p in parents.items()}
        ready = [node for node, count in waiting.items() if count == 0]
        order: list[int] = []
        while ready:
            node = ready.pop()
            order.append(node)
            for child in children[node]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
        return order if len(order) == len(parents) else None

    def _spread(self, seeds: dict[int, int], *, down: bool) -> dict[int, int]:
        """For each revision, the union of the bit sets ``seeds`` gives its ancestors and
        itself (``down``: from parents to children), or its descendants and itself. Linear
        in the graph (bit sets are machine words until there are many seeds); revisions in a
        cycle share their sets."""
        order = self._down_order
        if order is None:
            return self._spread_condensed(seeds, down=down)
        near = self._down_parents if down else self._down_children
        bits: dict[int, int] = {}
        for node in order if down else reversed(order):
            found = seeds.get(node, 0)
            for other in near[node]:
                found |= bits[other]
            bits[node] = found
        return bits

    def _spread_condensed(self, seeds: dict[int, int], *, down: bool) -> dict[int, int]:
        """:meth:`_spread` through the graph of its cycles (each one node), for a history
        with a cycle."""
        import networkx as nx

        condensed = nx.condensation(self.down_graph)
        members: dict[int, list[int]] = {}
        for node, group in condensed.graph["mapping"].items():
            members.setdefault(group, []).append(node)
        order = list(nx.topological_sort(condensed))
        if not down:
            order.reverse()
        near = condensed.predecessors if down else condensed.successors
        group_bits: dict[int, int] = {}
        for group in order:
            bits = 0
            for node in members[group]:
                bits |= seeds.get(node, 0)
            for other in near(group):
                bits |= group_bits[other]
            group_bits[group] = bits
        return {n: group_bits[g] for n, g in condensed.graph["mapping"].items()}

    def branches(self) -> dict[tuple[str, frozenset[int]], list[int]]:
        """The heads by branch: a head with known labels is on each of their branches;
        one without is on the unlabelled branch of the revisions whose unknown
        ``branch_labels`` it inherits (two heads below the same ones carry the same)."""
        found: dict[tuple[str, frozenset[int]], list[int]] = defaultdict(list)
        for head in self.heads:
            labels = sorted(self.labels(head))
            if labels:
                for label in labels:
                    found[(label, frozenset())].append(head)
            else:
                found[("", self.unknown_labels_above(head))].append(head)
        return dict(found)

    def unknown_labels_above(self, node: int) -> frozenset[int]:
        """The revisions in the line of ``node`` (it and its ancestors) whose
        ``branch_labels`` only running them would tell."""
        unknown = self._unknown_labels
        holding = self.lines_holding(unknown).get(node, 0) if unknown else 0
        return frozenset(unknown[i] for i in _bit_indices(holding))

    @cached_property
    def _unknown_labels(self) -> tuple[int, ...]:
        return tuple(n for n in self.dag.nodes if _labels_unknown(self.migrations[n]))

    def certain_heads(self) -> tuple[int, ...]:
        """The heads that stay heads whatever the unknown values turn out to be.

        A head stops being one only when some file names it in ``down_revision``. Known
        references were all followed; one that names nothing names no head either (see
        :attr:`wrong_parents` for what its correction may do). What is left: a file whose
        ``down_revision`` is unknown may name any head but its own descendants (that would
        be a cycle), several at once as a merge; and a file whose id is unknown but whose
        ``down_revision`` names a head is that head's child (unless a duplicate of its id
        hides it: then it is not certain either way).
        """
        if any(n in self.unknown_ids for n in self.open_parents):
            return ()  # a file of unknown id and unknown parent may name any head
        named = {
            value
            for n in self.unknown_ids
            if self.migrations[n].down_revision.known
            for value in self.migrations[n].down_ids
        }
        # A head is certain when every file of unknown parent is the head or in its line
        # (naming it would be a cycle): it holds all of them.
        opens = self.open_parents
        holding = self.lines_holding(opens) if opens else {}
        every = (1 << len(opens)) - 1
        return tuple(
            head
            for head in self.heads
            if self.id_of(head) not in named and (not opens or holding.get(head, 0) == every)
        )

    @cached_property
    def wrong_parents(self) -> tuple[BadRef, ...]:
        """``down_revision`` elements that name nothing (not ``""``, which Alembic before
        1.13 read as None, nor a branch label, which stands for its revision): mistakes
        whose correction names one revision, and may name a head (the parent that never
        existed was, in one real history, meant to be the other head)."""
        return tuple(
            b
            for b in self.bad_refs
            if b.attribute == "down_revision" and b.kind in (RefKind.MISSING, RefKind.NOT_STR)
        )

    def label_sources(self, node: int) -> frozenset[int]:
        """The revisions in the line of ``node`` (itself and its ancestors) through which
        it may have more branch labels than :meth:`labels` says: those whose
        ``branch_labels`` are unknown, those whose parent is unknown, and those whose
        parent is wrong or absent when its correction may bring labels (some revision
        has labels, or a file's id is unknown). Two heads with the
        same sources and no known label would gain the same labels, if any: one branch."""
        sources = self._label_sources
        holding = self.lines_holding(sources)
        return frozenset(sources[i] for i in _bit_indices(holding.get(node, 0)))

    @cached_property
    def _label_sources(self) -> tuple[int, ...]:
        sources = [*self.open_parents, *self._unknown_labels]
        corrected = [b.node for b in self.wrong_parents] + self.absent_parents
        if corrected and (
            self.unknown_ids
            or self.label_owner
            or any(m.branch_labels.status is Status.UNRESOLVED for m in self.migrations)
        ):
            sources += corrected
        return tuple(sources)

    def cycles(self) -> list[list[int]]:
        """Strongly connected groups through down_revision and depends_on, self-loops included."""
        import networkx as nx

        result: list[list[int]] = []
        for component in nx.strongly_connected_components(self.dag):
            if len(component) > 1:
                result.append(sorted(component))
        loops = {u for u, _ in nx.selfloop_edges(self.dag)}
        for n, m in enumerate(self.migrations):
            rid = m.revision_id
            if rid is not None and (rid in m.down_ids or rid in m.depends_ids):
                loops.add(n)
        result.extend([n] for n in loops)
        return sorted(result)

    def nearest_common_ancestors(self, nodes: Iterable[int]) -> list[int]:
        """The lowest revisions that are ancestors of every node (where the heads diverge)."""
        chosen = list(dict.fromkeys(nodes))
        if not chosen:
            return []
        below = self._spread({n: 1 << i for i, n in enumerate(chosen)}, down=False)
        every = (1 << len(chosen)) - 1
        common = {n for n, bits in below.items() if bits == every}
        if not common:
            return []
        # The lowest ones: no child of theirs is itself a common ancestor (linear, not cubic;
        # the children through the graph's own adjacency, as in ancestors()).
        children = self.dag.succ
        return sorted(
            c
            for c in common
            if not any(s in common and e.get("down", False) for s, e in children[c].items())
        )


def could_name(node: int, head: int, line: set[int]) -> bool:
    """Whether a ``down_revision`` of ``node`` could name ``head`` (whose ancestors are
    ``line``) without making a cycle."""
    return node != head and node not in line


def _bit_indices(bits: int) -> Iterator[int]:
    while bits:
        low = bits & -bits
        yield low.bit_length() - 1
        bits ^= low


def _labels_unknown(migration: Migration) -> bool:
    return migration.branch_labels.status is Status.UNRESOLVED


def build(history: History) -> RevisionGraph:
    import networkx as nx

    graph = RevisionGraph(history, dag=nx.DiGraph())
    migrations = history.migrations
    seen: dict[str, list[int]] = defaultdict(list)
    for index, migration in enumerate(migrations):
        rid = migration.revision_id
        down = migration.down_revision.status
        absent = down is Status.ABSENT and migration.syntax_error is None
        if rid is None:
            problem = migration.syntax_error
            if problem is None or not problem.defines_nothing:
                graph.uncertain.append(index)
                if not _defines_neither(migration):
                    graph.unknown_ids.append(index)
                    if absent:
                        graph.absent_parents.append(index)
                    elif down is not Status.LITERAL:
                        graph.open_parents.append(index)
            continue
        if down is not Status.LITERAL:
            graph.uncertain.append(index)
            (graph.absent_parents if absent else graph.open_parents).append(index)
        seen[rid].append(index)
        graph.by_id[rid] = index  # the last-loaded file wins, as in Alembic
        graph.dag.add_node(index)
    graph.duplicates = {rid: nodes for rid, nodes in seen.items() if len(nodes) > 1}

    _map_labels(graph)
    nodes = list(graph.dag.nodes)  # load order

    heads = dict.fromkeys(nodes)
    real_heads = dict.fromkeys(nodes)
    # Alembic builds edges from every value of its map: the winner of each id, and the
    # revision that declared each branch label (which may be a duplicate's loser).
    sources = list(dict.fromkeys([*graph.by_id.values(), *graph.label_owner.values()]))
    for child in sources:
        migration = migrations[child]
        for element in migration.down_revision.elements:
            target = _resolve_down(graph, child, element)
            if target is None:
                continue
            _link(graph.dag, target, child, "down")
            heads.pop(target, None)
            real_heads.pop(target, None)
        for element in _effective_depends(migration):
            target = _resolve_depends(graph, child, element)
            if target is None:
                continue
            _link(graph.dag, target, child, "depends")
            real_heads.pop(target, None)
    # Other losers of a duplicate id get no edges, but Alembic resolves every file's
    # depends_on, and their parents are broken all the same once the duplicate is fixed.
    for index in nodes:
        if index in sources:
            continue
        for element in migrations[index].down_revision.elements:
            _resolve_down(graph, index, element, record_only=True)
        for element in _effective_depends(migrations[index]):
            _resolve_depends(graph, index, element)

    graph.heads = tuple(heads)
    graph.real_heads = tuple(real_heads)
    graph.bases = tuple(
        n for n in nodes if migrations[n].down_revision.known and not migrations[n].down_ids
    )
    graph.real_bases = tuple(n for n in graph.bases if not migrations[n].depends_ids)
    # Alembic then finds the id unreachable from every real base, unless another file with
    # the same id is a real base.
    graph.empty_depends_bases = tuple(
        n
        for n in graph.bases
        if migrations[n].depends_on.known
        and migrations[n].depends_ids == ("",)
        and not any(
            other in graph.real_bases for other in graph.duplicates.get(graph.id_of(n), [n])
        )
    )
    return graph


def _defines_neither(migration: Migration) -> bool:
    """A module read in full that binds neither ``revision`` nor ``down_revision`` (a helper
    module in the versions directory): Alembic refuses it, and it is no revision."""
    return (
        migration.syntax_error is None
        and migration.revision.status is Status.ABSENT
        and migration.down_revision.status is Status.ABSENT
    )


def _link(dag: Any, parent: int, child: int, kind: str) -> None:
    if dag.has_edge(parent, child):
        dag[parent][child][kind] = True
    else:
        dag.add_edge(parent, child, **{kind: True})


def _map_labels(graph: RevisionGraph) -> None:
    for index in graph.dag.nodes:
        migration = graph.migrations[index]
        for value in migration.label_ids:
            label = str(value)
            if label in graph.by_id:
                graph.label_clashes.append(LabelClash(label, index, graph.by_id[label], True))
            elif label in graph.label_owner:
                graph.label_clashes.append(
                    LabelClash(label, index, graph.label_owner[label], False)
                )
            else:
                graph.label_owner[label] = index


def _resolve_down(
    graph: RevisionGraph, child: int, element: Element, *, record_only: bool = False
) -> int | None:
    value = element.value
    kind: RefKind | None = None
    target: int | None = None
    if not isinstance(value, str):
        kind = RefKind.NOT_STR
    elif value in graph.by_id:
        target = graph.by_id[value]
    elif value in graph.label_owner:
        # Alembic resolves it through its map while building edges (then fails later).
        kind = RefKind.LABEL
        target = graph.label_owner[value]
    elif value == "":
        kind = RefKind.EMPTY
    else:
        kind = RefKind.MISSING
    if kind is not None:
        graph.bad_refs.append(BadRef(child, "down_revision", element, kind))
    return None if record_only else target


def _effective_depends(migration: Migration) -> tuple[Element, ...]:
    """Alembic ignores ``depends_on`` when it normalises to nothing or to ``""``."""
    elements = migration.depends_on.elements
    if len(elements) == 1 and elements[0].value == "":
        return ()
    return elements


def _resolve_depends(graph: RevisionGraph, child: int, element: Element) -> int | None:
    value = element.value
    if isinstance(value, str):
        if value in graph.by_id:
            return graph.by_id[value]
        if value in graph.label_owner:
            # A label resolves to the declaring revision's id, hence to that id's winner.
            return graph.by_id[graph.id_of(graph.label_owner[value])]
    kind = RefKind.NOT_STR if not isinstance(value, str) else RefKind.MISSING
    graph.bad_refs.append(BadRef(child, "depends_on", element, kind))
    return None
