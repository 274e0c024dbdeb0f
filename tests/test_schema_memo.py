"""The schema replay's memo (the language server's): a replay that reuses the steps of the
last one gives exactly what a fresh replay gives, and replays only what changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import pytest

from alembic_lint import engine, graph
from alembic_lint.model import History
from alembic_lint.schema.replay import Memo, Model, replay
from schema_gen import generate

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "fixtures").rglob("versions")
    if p.is_dir() and any(p.rglob("*.py"))
)


def _history(versions: Path) -> History:
    return engine.load_history(str(versions), sorted(versions.rglob("*.py")))


def _same(a: Model, b: Model) -> None:
    assert a.failures == b.failures
    assert a.unreverted == b.unreverted
    assert a.skipped == b.skipped
    assert a.schemas.keys() == b.schemas.keys()
    for node, schema in a.schemas.items():
        assert schema == b.schemas[node]
        assert a.undone[node] == b.undone[node]


def _check_edits(history: History) -> None:
    """Replays with one memo through the history, the history less each of a few
    revisions, and the history again: each must equal a fresh replay, and coming back
    replays only the revision taken out and those above it."""
    memo = Memo()
    full = graph.build(history)
    _same(replay(full, keep=(), memo=memo), replay(full, keep=()))
    assert memo.replayed == len(full.dag) - len(replay(full, keep=()).skipped)
    _same(replay(full, keep=(), memo=memo), replay(full, keep=()))
    assert memo.replayed == 0  # nothing changed: every step remembered
    count = len(history.migrations)
    ids = [m.revision_id for m in history.migrations]
    unique = None not in ids and len(set(ids)) == count
    for k in sorted({0, count // 3, count // 2, count - 1}):
        less = graph.build(
            replace(history, migrations=history.migrations[:k] + history.migrations[k + 1 :])
        )
        _same(replay(less, keep=(), memo=memo), replay(less, keep=()))
        again = graph.build(history)
        fresh = replay(again, keep=())
        _same(replay(again, keep=(), memo=memo), fresh)
        above = nx.descendants(again.dag, k) | {k}
        if unique:  # (with a duplicated id, taking one out moves the other's children)
            assert memo.replayed == len(above - fresh.skipped)


@pytest.mark.parametrize("versions", FIXTURES)
def test_fixture_histories_replay_alike_with_the_memo(versions: str) -> None:
    _check_edits(_history(ROOT / versions))


@pytest.mark.parametrize("seed", range(4))
def test_generated_histories_replay_alike_with_the_memo(tmp_path: Path, seed: int) -> None:
    _check_edits(_history(generate(tmp_path, seed, revisions=40)))


def test_an_edited_file_is_replayed_with_what_stands_on_it(tmp_path: Path) -> None:
    """A file read again (a new Migration, as after an edit) is a new step, even with the
    same text: the memo goes by the very object, never by a guess that it is the same."""
    versions = generate(tmp_path, 7, revisions=30)
    history = _history(versions)
    memo = Memo()
    replay(graph.build(history), keep=(), memo=memo)
    k = len(history.migrations) // 2
    path = Path(history.migrations[k].path)
    reread = _history(versions).migrations[k]
    edited = replace(
        history, migrations=(*history.migrations[:k], reread, *history.migrations[k + 1 :])
    )
    revisions = graph.build(edited)
    _same(replay(revisions, keep=(), memo=memo), replay(revisions, keep=()))
    assert memo.replayed == len(nx.descendants(revisions.dag, k) | {k})
    assert path.exists()


ORGS = "op.create_table('orgs', sa.Column('id', sa.Integer(), primary_key=True))"


def test_failures_at_merges_and_between_heads_are_remembered_right(tmp_path: Path) -> None:
    """Failures that name other revisions (a clash at a merge, with the other line's
    operation) and unreverted downgrades come back numbered for the new graph."""
    from alembic_lint.rules.examples import m
    from test_schema import USERS, load

    add = "op.add_column('users', sa.Column('last_login', sa.DateTime()))"

    def column(name: str) -> str:
        return f"op.add_column('orgs', sa.Column('{name}', sa.Text()))"

    history = load(
        tmp_path,
        m("aaaaaaaaaaaa", upgrade=USERS),
        m("bbbbbbbbbbbb", "aaaaaaaaaaaa", upgrade=add),
        m("cccccccccccc", "aaaaaaaaaaaa", upgrade=add),
        m("dddddddddddd", ("bbbbbbbbbbbb", "cccccccccccc")),
        m("eeeeeeeeeeee", "dddddddddddd", upgrade=ORGS, downgrade="op.drop_table('orgs')"),
        m(
            "ffffffffffff",
            "eeeeeeeeeeee",
            upgrade=column("x"),
            downgrade="op.drop_column('orgs', 'nope')",
        ),
        m(
            "f0f0f0f0f0f0",
            "ffffffffffff",
            upgrade=column("y"),
            downgrade="op.drop_column('orgs', 'x')",
        ),
        m("a1a1a1a1a1a1", "f0f0f0f0f0f0", upgrade=column("z")),
        m("a2a2a2a2a2a2", "f0f0f0f0f0f0", upgrade=column("z")),
    )
    fresh = replay(graph.build(history), keep=())
    assert any(f.merge is not None and f.merge >= 0 and f.other for f in fresh.failures)
    assert any(f.merge == -1 for f in fresh.failures)
    assert any(f.function == "downgrade" for f in fresh.failures)
    assert fresh.unreverted
    _check_edits(history)
