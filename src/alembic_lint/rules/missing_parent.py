"""AL002 missing-parent."""

from __future__ import annotations

import os
from collections.abc import Iterator

from alembic_lint.diagnostics import Diagnostic, Severity
from alembic_lint.graph import RefKind, RevisionGraph
from alembic_lint.model import History
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import history, m

_E = {"down_revision": "AL002"}


class MissingParent(Rule):
    """
    ## What it does
    Flags a `down_revision` that names a revision no file in the history defines,
    a branch label instead of a revision id, or the empty string.

    ## Why is this bad?
    Alembic fails to load the whole history (`KeyError: 'zzzz9999'`): every
    command breaks, not just the upgrade that reaches this file. The usual causes
    are a typo, a filename pasted instead of an id, or a parent deleted later.
    `down_revision = ""` was accepted by old Alembic versions and is rejected
    since 1.13 (`KeyError: ''`); a base revision needs `None`.

    ## Fix
    Point `down_revision` at the intended parent; the message suggests a likely
    id when one exists (an id contained in the value, or one a typo away).
    """

    code = "AL002"
    name = "missing-parent"
    summary = "`down_revision` names a revision that does not exist"
    severity = Severity.ERROR
    graph = True
    alembic_versions = '`down_revision = ""` fails since 1.13'
    valid = [history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaaa"))]
    invalid = [
        history(m("aaaaaaaaaaaa"), m("bbbbbbbbbbbb", "aaaaaaaaaaab", expect=_E), title="a typo"),
        history(
            m("aaaaaaaaaaaa"),
            m("bbbbbbbbbbbb", "aaaaaaaaaaaa_add_users", expect=_E),
            title="a filename pasted instead of an id",
        ),
        history(m("aaaaaaaaaaaa", "", expect=_E), title="an empty string instead of None"),
        history(
            m("aaaaaaaaaaaa", labels="core"),
            m("bbbbbbbbbbbb", "core", expect=_E),
            title="a branch label instead of an id",
        ),
    ]

    def check(self, history: History, graph: RevisionGraph) -> Iterator[Diagnostic]:
        for bad in graph.bad_refs:
            if bad.attribute != "down_revision" or bad.kind is RefKind.NOT_STR:
                continue
            migration = graph.migrations[bad.node]
            if bad.kind is RefKind.MISSING:
                if len(migration.down_revision.elements) > 1 or not _certain(graph):
                    continue  # merges are AL003; unknown ids could be the parent
                message = f"down_revision '{bad.element.value}' names no revision in this history"
                hint = suggest(str(bad.element.value), graph)
                if hint:
                    message += f"; did you mean '{hint}'?"
                message += deleted_in(history, str(bad.element.value))
            elif bad.kind is RefKind.EMPTY:
                message = (
                    'down_revision is "", which Alembic 1.13 and later look up as an id and '
                    "fail on (KeyError: ''; older versions read it as None); "
                    "use None for a base revision"
                )
            else:
                owner = graph.label_owner[str(bad.element.value)]
                message = (
                    f"down_revision '{bad.element.value}' is a branch label, not a revision id; "
                    f"use '{graph.id_of(owner)}'"
                )
            yield self.diagnostic(migration, bad.element.ref, message)


def deleted_in(history: History, revision: str) -> str:
    """``; X was defined in F, deleted in C (...); restore it with: ...`` when the
    history's git repository knows where it went, else nothing."""
    deletion = history.archive.deleted(revision) if history.archive is not None else None
    return f"; {deletion.describe(revision)}" if deletion is not None else ""


def _certain(graph: RevisionGraph) -> bool:
    """Missing is certain only when every file's own id is known (a module that defines
    neither `revision` nor `down_revision` has none to know: it is no revision)."""
    return not graph.unknown_ids


#: Work (ids looked at, distance cells worked out) spent over one graph on suggestions:
#: every missing parent against every id would grow with the square of the history
#: (thousands of dangling parents in thousands of revisions); past this (a few tenths of a
#: second), no more suggestions.
SUGGEST_BUDGET = 500_000


def suggest(missing: str, graph: RevisionGraph) -> str | None:
    """A likely intended id: one contained in the value (a pasted filename), or a typo away."""
    if missing not in graph.suggestions:
        graph.suggestions[missing] = _suggest(missing, graph)
    return graph.suggestions[missing]


def _suggest(missing: str, graph: RevisionGraph) -> str | None:
    if graph.suggest_spent >= SUGGEST_BUDGET:
        return None
    ids = [i for i in graph.by_id if i]
    near = [i for i in ids if abs(len(i) - len(missing)) <= 2]
    cost = len(ids) + len(near) * len(missing) * 5  # the cells of the banded distances
    if graph.suggest_spent + cost > SUGGEST_BUDGET:
        graph.suggest_spent = SUGGEST_BUDGET  # spent: the next ones are not even looked at
        return None
    graph.suggest_spent += cost
    stem = os.path.splitext(os.path.basename(missing))[0]
    contained = sorted((i for i in ids if len(i) >= 4 and i in stem), key=len, reverse=True)
    if contained:
        return contained[0]
    best: tuple[int, str] | None = None
    for candidate in near:
        distance = _distance(missing, candidate, limit=2)
        if distance <= 2 and (best is None or (distance, candidate) < best):
            best = (distance, candidate)
    return best[1] if best else None


def _distance(a: str, b: str, *, limit: int) -> int:
    """Levenshtein distance when it is at most ``limit``, else ``limit + 1``: only the
    cells within ``limit`` of the diagonal are worked out (a path through any other cell
    costs more than ``limit``)."""
    over = limit + 1
    if abs(len(a) - len(b)) > limit:
        return over
    previous = [j if j <= limit else over for j in range(len(b) + 1)]
    for i, ca in enumerate(a, start=1):
        low, high = max(1, i - limit), min(len(b), i + limit)
        current = [over] * (len(b) + 1)
        current[0] = i if i <= limit else over
        for j in range(low, high + 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != b[j - 1]), over
            )
        if min(current[low - 1 : high + 1]) > limit:
            return over
        previous = current
    return previous[-1]
