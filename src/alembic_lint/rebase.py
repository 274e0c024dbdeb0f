"""Linearize two branches (``rebase``): re-point a branch's bottom revision at another head.

The edit is made by ``parse.repoint_edit`` (LibCST, byte-preserving); nothing is imported
or executed.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic_lint import parse
from alembic_lint.atomic import RefusedWrite, rewrite
from alembic_lint.checking import read_bytes
from alembic_lint.graph import RevisionGraph, UnknownRevision
from alembic_lint.scaffold import heads_problem
from alembic_lint.source import text_of

__all__ = ["RebaseError", "RebasePlan", "diff", "plan", "write"]


class RebaseError(Exception):
    """A one-line reason why nothing was written (the CLI prints it and exits 2)."""


@dataclass(frozen=True, slots=True)
class RebasePlan:
    path: Path  # the bottom revision's file
    revision: str  # the bottom revision's id
    old_parent: str
    new_parent: str  # the --onto head
    before: bytes
    after: bytes


def _resolve(graph: RevisionGraph, given: str) -> str:
    try:
        return graph.resolve(given)
    except UnknownRevision as exc:
        raise RebaseError(str(exc)) from None


def plan(
    graph: RevisionGraph,
    onto: str,
    revision: str | None = None,
    *,
    reader: Callable[[str], bytes] | None = None,
) -> RebasePlan:
    """What re-pointing the branch holding ``revision`` at head ``onto`` changes
    (``reader``: where the file's bytes come from, the disk by default)."""
    problem = heads_problem(graph)
    if problem is not None:
        raise RebaseError(f"cannot tell the heads: {problem}")
    heads = list(dict.fromkeys(graph.head_ids()))
    onto_id = _resolve(graph, onto)
    if onto_id not in heads:
        raise RebaseError(f"--onto {onto_id} is not a head revision")
    onto_node = graph.by_id[onto_id]
    onto_line = graph.ancestors(onto_node) | {onto_node}
    if revision is None:
        others = [h for h in heads if h != onto_id]
        if not others:
            raise RebaseError(f"only one head ({onto_id}): nothing to rebase")
        if len(others) != 1:
            raise RebaseError(f"there are {len(heads)} heads; name the REVISION to rebase")
        rev_id = others[0]
    else:
        rev_id = _resolve(graph, revision)
    rev_node = graph.by_id[rev_id]
    if rev_id == onto_id:
        raise RebaseError(f"{rev_id} is the --onto head itself: nothing to rebase")
    if rev_node in onto_line:
        raise RebaseError(
            f"{rev_id} is an ancestor of {onto_id}: rebasing it onto {onto_id} would create a cycle"
        )
    branch = (graph.ancestors(rev_node) | {rev_node}) - onto_line
    migrations = graph.migrations
    for node in sorted(branch):
        if len(migrations[node].down_ids) > 1:
            raise RebaseError(
                f"the branch of {rev_id} contains the merge {graph.id_of(node)}; "
                "rebase works on a linear branch"
            )
    bottoms = [n for n in branch if not (set(_parents(graph, n)) & branch)]
    if len(bottoms) != 1:
        raise RebaseError(f"cannot find one bottom revision on the branch of {rev_id}")
    bottom = bottoms[0]
    bottom_id = graph.id_of(bottom)
    if bottom in graph.ancestors(onto_node) or bottom == onto_node:
        raise RebaseError(f"{onto_id} descends from {bottom_id}: rebasing would create a cycle")
    migration = migrations[bottom]
    parents = migration.down_ids
    if len(parents) != 1 or not isinstance(parents[0], str):
        raise RebaseError(
            f"{migration.filename}: down_revision of {bottom_id} is not a single revision id"
        )
    old_parent = parents[0]
    path = Path(migration.path)
    try:
        before = reader(migration.path) if reader is not None else read_bytes(str(path))
    except OSError as exc:
        raise RebaseError(f"cannot read {path}: {exc.strerror or exc}") from None
    refusal = parse.unsafe_for_libcst(str(path), before)
    if refusal is not None:
        raise RebaseError(f"{migration.filename}: not edited: {refusal}; edit it by hand")
    after = parse.repoint_edit(before, onto_id, old_parent)
    if after is None:
        raise RebaseError(
            f"{migration.filename}: down_revision is not a plain string literal; edit it by hand"
        )
    return RebasePlan(path, bottom_id, old_parent, onto_id, before, after)


def _parents(graph: RevisionGraph, node: int) -> list[int]:
    return [graph.by_id[p] for p in graph.migrations[node].down_ids if p in graph.by_id]


def diff(change: RebasePlan, shown: str) -> str:
    """A unified diff of the edit, with ``shown`` as both file names."""
    lines = difflib.unified_diff(
        text_of(change.before).splitlines(keepends=True),
        text_of(change.after).splitlines(keepends=True),
        fromfile=f"a/{shown}",
        tofile=f"b/{shown}",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def write(change: RebasePlan) -> None:
    """Replace the file atomically if it has not changed (see :func:`atomic.rewrite`: links,
    owner and mode are kept)."""
    try:
        rewrite(change.path, change.after, expected=change.before)
    except RefusedWrite as exc:
        raise RebaseError(f"{exc}; nothing written") from None
    except OSError as exc:
        raise RebaseError(f"{change.path}: cannot write: {exc.strerror or exc}") from None
