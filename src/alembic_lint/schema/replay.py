"""Replay every revision's changes along the graph: the schema at each revision, and the
operations that would fail on a database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from alembic_lint.graph import RevisionGraph
from alembic_lint.model import Migration
from alembic_lint.schema.apply import Problem, apply
from alembic_lint.schema.changes import Change, SchemaChanges
from alembic_lint.schema.objects import Schema, Table

#: The schema at a base: tables the history never mentions are not known either way.
BEFORE_HISTORY = Schema(rest="it may be there from before the history")


@dataclass(frozen=True, slots=True)
class Failure:
    """An operation of revision ``node``'s ``function`` that fails on any database."""

    node: int
    function: str  # "upgrade" or "downgrade"
    problem: Problem
    #: The merge point where it fails (the revision alone was fine), if that is the case,
    #: and the operation of the other line it clashes with (its revision and change).
    merge: int | None = None
    other: tuple[int, Change] | None = None


@dataclass(frozen=True, slots=True)
class Unreverted:
    """Revision ``node``'s ``downgrade()`` does not bring the schema back: ``what`` says
    how (one sentence each), ``change`` is where to point (the first related operation)."""

    node: int
    what: tuple[str, ...]
    change: Change | None


@dataclass
class Model:
    """The replayed history: schemas (at the heads, or at every revision when kept),
    failures and unreverted downgrades."""

    graph: RevisionGraph
    schemas: dict[int, Schema] = field(default_factory=dict)
    #: After a revision's upgrade and then its downgrade (kept like ``schemas``).
    undone: dict[int, Schema] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    unreverted: list[Unreverted] = field(default_factory=list)
    #: Revisions the model could not place (a cycle): nothing is said about them.
    skipped: frozenset[int] = frozenset()

    def at(self, node: int) -> Schema | None:
        return self.schemas.get(node)


@dataclass(eq=False)
class _Step:
    """What replaying one revision gave, told without the graph's node numbers (those of
    the next graph may differ): the schema after it and after its downgrade, and the
    failures and unreverted downgrade met there, naming revisions by their Migration."""

    migration: Migration  # kept alive: its id() is part of the key (see Memo)
    after: Schema
    undone: Schema
    failures: tuple[tuple[Failure, Migration, Migration | None, Migration | None], ...]
    unreverted: tuple[Unreverted, ...]


@dataclass(eq=False)
class Memo:
    """The steps of the last replay, for the next one of a history that changed a little
    (the language server checks again on every edit, and one edit changes one file). A
    revision whose file is the very same Migration object, whose doubt is the same and
    whose parents' steps are the same ones gets the same schema and the same findings
    without being replayed: what a revision's step gives depends on nothing else."""

    #: (id of the Migration, why doubtful, parents' tokens) -> token.
    tokens: dict[tuple[int, str | None, tuple[int, ...]], int] = field(default_factory=dict)
    steps: dict[int, _Step] = field(default_factory=dict)
    counter: int = 0  # the last token given
    #: Revisions replayed (not taken from the memo) by the last replay, for the tests.
    replayed: int = 0


def replay(
    graph: RevisionGraph, *, keep: Iterable[int] | None = None, memo: Memo | None = None
) -> Model:
    """Replay ``graph``'s history from its bases. Schemas are kept for the heads and for
    ``keep`` (None: every revision). With ``memo``, revisions whose step is in it are not
    replayed again, and ``memo`` is left holding this replay's steps."""
    dag = graph.dag
    migrations = graph.migrations
    # Plain dictionaries of the graph's edges (down_revision and depends_on): the walks
    # below run for every revision, and networkx's views cost ten times a dict.
    pred: dict[int, list[int]] = {n: list(dag._pred[n]) for n in dag.nodes}
    succ: dict[int, list[int]] = {n: list(dag._succ[n]) for n in dag.nodes}
    order = _order(pred, succ)
    placed = set(order)
    # Revisions in a cycle, and those above one, cannot be placed: nothing is said of them.
    skipped = frozenset(n for n in dag.nodes if n not in placed)
    wanted = set(graph.heads) | (set(order) if keep is None else set(keep))
    doubtful = _doubtful(graph)
    model = Model(graph, skipped=skipped)
    states: dict[int, Schema] = {}
    remaining = {n: len(succ[n]) for n in order}
    per_file: dict[int, SchemaChanges] = {}

    def file_changes(node: int) -> SchemaChanges:
        found = per_file.get(node)
        if found is None:
            found = per_file[node] = _changes(migrations[node])
        return found

    position = {n: i for i, n in enumerate(order)}
    tokens: dict[int, int] = {}
    if memo is not None:
        old_tokens, old_steps = memo.tokens, memo.steps
        memo.tokens, memo.steps, memo.replayed = {}, {}, 0
        node_of = {id(m): n for n, m in enumerate(migrations)}
    for node in order:
        parents = sorted(pred[node], key=position.__getitem__)
        if memo is not None:
            key = (id(migrations[node]), doubtful.get(node), tuple(tokens[p] for p in parents))
            token = old_tokens.get(key)
            step = None if token is None else old_steps.get(token)
            if step is not None and step.migration is migrations[node]:
                assert token is not None
                tokens[node] = token
                memo.tokens[key] = token
                memo.steps[token] = step
                _recall(model, step, node_of)
                states[node] = step.after
                if node in wanted:
                    model.schemas[node] = step.after
                    model.undone[node] = step.undone
                _release(parents, remaining, states, memo)
                continue
            failures_before, unreverted_before = len(model.failures), len(model.unreverted)
        before = _start(pred, node, parents, states, file_changes, position, model.failures)
        why = doubtful.get(node)
        if why is not None:
            before = before.all_unsure(why)
        done = file_changes(node)
        after = before
        for change in done.upgrade:
            after, problems = apply(after, change)
            model.failures.extend(Failure(node, "upgrade", p) for p in problems)
        undone = _downgrade(model, node, done.reverses, before, after, done.upgrade, done.downgrade)
        states[node] = after
        if node in wanted:
            model.schemas[node] = after
            model.undone[node] = undone
        if memo is not None:
            memo.counter += 1
            token = tokens[node] = memo.counter
            memo.tokens[key] = token
            memo.steps[token] = _Step(
                migrations[node],
                after,
                undone,
                _kept(model.failures[failures_before:], migrations),
                tuple(model.unreverted[unreverted_before:]),
            )
            memo.replayed += 1
        _release(parents, remaining, states, memo)
    heads = sorted((n for n in placed if not succ[n] and n in states), key=position.__getitem__)
    if len(heads) > 1:
        # Several heads are merged sooner or later (or upgraded together, `alembic upgrade
        # heads`): what clashes between their lines fails then, whichever comes first.
        _start(pred, UNMERGED, heads, states, file_changes, position, model.failures)
    return model


#: ``Failure.merge`` of a clash between heads not merged yet.
UNMERGED = -1


def _release(
    parents: Sequence[int], remaining: dict[int, int], states: dict[int, Schema], memo: Memo | None
) -> None:
    """Let go of the schemas no child still needs (a memo keeps them in its steps)."""
    for parent in parents:
        remaining[parent] -= 1
        if remaining[parent] == 0:
            states.pop(parent, None)


def _kept(
    failures: Sequence[Failure], migrations: Sequence[Migration]
) -> tuple[tuple[Failure, Migration, Migration | None, Migration | None], ...]:
    """``failures`` with the revisions they name as Migrations (see _Step)."""
    return tuple(
        (
            f,
            migrations[f.node],
            migrations[f.merge] if f.merge is not None and f.merge != UNMERGED else None,
            migrations[f.other[0]] if f.other is not None else None,
        )
        for f in failures
    )


def _recall(model: Model, step: _Step, node_of: dict[int, int]) -> None:
    """A remembered step's failures and unreverted downgrade, numbered for this graph."""
    node = node_of[id(step.migration)]
    for failure, at, merge, other in step.failures:
        model.failures.append(
            replace(
                failure,
                node=node_of[id(at)],
                merge=failure.merge if merge is None else node_of[id(merge)],
                other=None
                if failure.other is None or other is None
                else (node_of[id(other)], failure.other[1]),
            )
        )
    model.unreverted.extend(replace(u, node=node) for u in step.unreverted)


def _order(pred: dict[int, list[int]], succ: dict[int, list[int]]) -> list[int]:
    """The revisions parents first (ties in load order); those in or above a cycle are left
    out (they never run out of unplaced parents)."""
    import heapq

    waiting = {n: len(parents) for n, parents in pred.items()}
    ready = [n for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for child in succ[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)
    return order


def _changes(migration: Migration) -> SchemaChanges:
    """A file's changes; a file the readers could not read (a syntax error, unreadable)
    may have done anything."""
    if migration.changes is not None and migration.syntax_error is None:
        return migration.changes
    unknown = (Change("unknown", None, -1, "", why="a file it cannot read"),)
    return SchemaChanges(unknown, unknown)


def _doubtful(graph: RevisionGraph) -> dict[int, str]:
    """Revisions whose ancestry is not all known: a parent that names nothing, or one only
    executing the file would tell."""
    found: dict[int, str] = {}
    for bad in graph.bad_refs:
        found.setdefault(bad.node, f"a {bad.attribute} that names no revision")
    for node in graph.uncertain:
        found.setdefault(node, "a down_revision only executing the file would tell")
    return found


def _start(
    pred: dict[int, list[int]],
    node: int,
    parents: Sequence[int],
    states: dict[int, Schema],
    file_changes: Callable[[int], SchemaChanges],
    position: dict[int, int],
    failures: list[Failure],
) -> Schema:
    """The schema before ``node``: its parent's, or at a merge point (or a dependency),
    the first parent's with the other lines' revisions replayed on top.

    At a merge, an operation of one line that fails on what the other line did, in
    whichever order the two are applied (both add the same column, both drop the same
    index), goes to ``failures``: each line was fine alone, the merge is not."""
    if not parents:
        # A table no migration creates may be there from before the history (a project
        # that adopted Alembic on an existing database): only what the history itself
        # creates is known not to exist before it is created.
        return BEFORE_HISTORY
    first = parents[0]
    start = states.get(first)
    if start is None:
        return BEFORE_HISTORY.all_unsure("a parent it could not replay")
    if len(parents) == 1:
        return start
    lines = _divergence(pred, parents, position)
    extra = {n for n, bits in lines.items() if not bits & 1}
    start, forward = _replay_line(start, extra, file_changes, position)
    # The other order: the first parent's own revisions on top of each other parent's.
    for index, parent in enumerate(parents[1:], 1):
        other_start = states.get(parent)
        if other_start is None:
            continue
        bit = 1 << index
        own = {n for n, bits in lines.items() if bits & 1 and not bits & bit}
        _, backward = _replay_line(other_start, own, file_changes, position)
        clashes = {(p.kind, p.what.casefold()): (r, p.change) for r, p in backward}
        for revision, problem in forward:
            if not lines[revision] & bit:
                continue
            other = clashes.get((problem.kind, problem.what.casefold()))
            if other is not None:
                failures.append(Failure(revision, "upgrade", problem, merge=node, other=other))
    return start


def _divergence(
    pred: dict[int, list[int]], parents: Sequence[int], position: dict[int, int]
) -> dict[int, int]:
    """The revisions that some of ``parents``' lines stand on (the parent itself and
    everything below it, down_revision and depends_on edges) and others do not, each with
    the lines it is in (bit ``i`` for ``parents[i]``). The walk goes down from the parents,
    children before parents, only until every line has met: not each line to the bases."""
    import heapq

    every = (1 << len(parents)) - 1
    bits: dict[int, int] = {}
    for index, parent in enumerate(parents):
        bits[parent] = bits.get(parent, 0) | (1 << index)
    heap = [(-position[p], p) for p in bits]
    heapq.heapify(heap)
    # Revisions waiting in the heap that not every line holds: none left, the lines met.
    apart = sum(1 for b in bits.values() if b != every)
    found: dict[int, int] = {}
    while heap and apart:
        _, node = heapq.heappop(heap)
        mine = bits[node]  # complete: every child in the walk came out of the heap first
        if mine != every:
            apart -= 1
            found[node] = mine
        for parent in pred[node]:
            old = bits.get(parent)
            if old is None:
                bits[parent] = mine
                heapq.heappush(heap, (-position[parent], parent))
                apart += mine != every
            elif old | mine != old:
                bits[parent] = old | mine
                apart -= old | mine == every
    return found


def _replay_line(
    start: Schema,
    revisions: set[int],
    file_changes: Callable[[int], SchemaChanges],
    position: dict[int, int],
) -> tuple[Schema, list[tuple[int, Problem]]]:
    """``start`` with the upgrades of ``revisions`` applied in graph order, and the
    problems met on the way (with the revision whose operation met them)."""
    met: list[tuple[int, Problem]] = []
    for revision in sorted(revisions, key=position.__getitem__):
        for change in file_changes(revision).upgrade:
            start, problems = apply(start, change)
            met.extend((revision, p) for p in problems)
    return start, met


def _touched(*changes: Sequence[Change]) -> set[str] | None:
    """The (case-folded) tables some of ``changes`` name; None when one may touch any."""
    found: set[str] = set()
    for group in changes:
        for change in group:
            if change.table is None:
                return None
            found.add(change.table.casefold())
            if change.action == "rename_table" and change.name:
                found.add(change.name.casefold())
    return found


def _downgrade(
    model: Model,
    node: int,
    reverses: bool,
    before: Schema,
    after: Schema,
    upgrade: Sequence[Change],
    downgrade: Sequence[Change],
) -> Schema:
    """Replay ``downgrade`` after ``after``; record failures and what it does not undo.
    Returns the schema it leaves."""
    undone = after
    failed = False
    for change in downgrade:
        undone, problems = apply(undone, change)
        model.failures.extend(Failure(node, "downgrade", p) for p in problems)
        failed = failed or bool(problems)
    if failed or not reverses:
        return undone  # an empty or irreversible downgrade is missing-downgrade's to report
    what = differences(before, after, undone, _touched(upgrade, downgrade))
    if what:
        model.unreverted.append(Unreverted(node, tuple(what), downgrade[0] if downgrade else None))
    return undone


def differences(
    before: Schema, after: Schema, undone: Schema, touched: set[str] | None = None
) -> list[str]:
    """How ``undone`` (after upgrade and downgrade) differs from ``before``, in what the
    model knows exactly; one phrase each, about the downgrade (``after`` is the schema
    between the two, which tells what the upgrade did). Only the tables in ``touched``
    (case-folded; None: all) can differ."""
    found: list[str] = []
    if touched is None:
        keys = set(before.tables) | set(undone.tables)
    else:  # (not every table of the schema: a history's schema grows with it)
        keys = {k for k in touched if k in before.tables or k in undone.tables}
    for key in sorted(keys):
        was, now = before.tables.get(key), undone.tables.get(key)
        if (was is now or was == now) and (key in before.unsure) == (key in undone.unsure):
            # Untouched by the revision (the very same object), or put back exactly as it
            # was (most downgrades): nothing below could differ.
            continue
        exists_before, exists_now = before.has_table(key), undone.has_table(key)
        if exists_before is None or exists_now is None:
            continue
        between = after.table(key)
        if exists_before and not exists_now:
            assert was is not None
            if after.has_table(key) is False:
                found.append(f"does not recreate table {was.name} that upgrade() drops")
            else:
                found.append(f"drops table {was.name}, which was there before upgrade()")
        elif exists_now and not exists_before:
            assert now is not None
            if after.has_table(key) is True:
                found.append(f"does not drop table {now.name} that upgrade() creates")
            else:
                found.append(f"creates table {now.name}, which upgrade() does not drop")
        elif was is not None and now is not None and not (was.unsure or now.unsure):
            found.extend(_table_differences(was, between, now))
    return found


def _table_differences(was: Table, between: Table | None, now: Table) -> Iterable[str]:
    between_columns = set() if between is None else {c.name.casefold() for c in between.columns}

    def by_upgrade(present: bool, column: str) -> bool:
        """Whether the upgrade left the column ``present`` (it did what is being undone)."""
        if between is None or between.unsure:
            return False
        return (column.casefold() in between_columns) == present

    was_columns = {c.name.casefold(): c for c in was.columns}
    now_columns = {c.name.casefold() for c in now.columns}
    for column in was.columns:
        if column.name.casefold() not in now_columns:
            if by_upgrade(False, column.name):
                yield f"does not re-add column {was.name}.{column.name} that upgrade() drops"
            else:
                yield f"drops column {was.name}.{column.name}, which upgrade() does not add"
    for column in now.columns:
        old = was_columns.get(column.name.casefold())
        if old is None:
            if by_upgrade(True, column.name):
                yield f"does not drop column {now.name}.{column.name} that upgrade() adds"
            else:
                yield f"adds column {now.name}.{column.name}, which upgrade() does not drop"
        elif None not in (old.nullable, column.nullable) and old.nullable != column.nullable:
            state = "nullable" if column.nullable else "NOT NULL"
            yield f"leaves column {now.name}.{column.name} {state}"
    if was.vague or now.vague:
        return
    # A name given on one side and left to a convention or the database on the other is
    # the same index or constraint when it is on the same columns (PostgreSQL names an
    # unnamed unique constraint `<table>_<columns>_key`; autogenerate then writes it out).
    for what, old_items, new_items in (
        ("index", _indexes(was), _indexes(now)),
        ("constraint", _uniques(was), _uniques(now)),
    ):
        unnamed_old = {shape for name, shape in old_items if name is None}
        unnamed_new = {shape for name, shape in new_items if name is None}
        named_old = {name.casefold(): (name, shape) for name, shape in old_items if name}
        named_new = {name.casefold(): (name, shape) for name, shape in new_items if name}
        for key in sorted(named_old.keys() - named_new.keys()):
            name, shape = named_old[key]
            if shape not in unnamed_new:
                yield f"does not recreate {what} {name} on {was.name}"
        for key in sorted(named_new.keys() - named_old.keys()):
            name, shape = named_new[key]
            if shape not in unnamed_old:
                yield f"does not drop {what} {name} on {now.name}"


def _indexes(table: Table) -> list[tuple[str | None, tuple[object, ...]]]:
    return [
        (i.name, (tuple(c.casefold() if c else None for c in i.columns), i.unique))
        for i in table.indexes
    ]


def _uniques(table: Table) -> list[tuple[str | None, tuple[object, ...]]]:
    return [
        (c.name, tuple(x.casefold() for x in c.columns))
        for c in table.constraints
        if c.kind == "unique"
    ]
