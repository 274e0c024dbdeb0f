"""The static schema model agrees with real databases (SQLite and PostgreSQL), revision by
revision: real Alembic upgrades (and downgrades) each revision, SQLAlchemy's inspector
reflects the result, and everything the model claims to know must match."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.schema_db import Postgres, PostgresServer, SQLite, project_for, run
from tests.schema_gen import generate
from tests.test_schema import (
    HELPER_MODULE,
    HOSTILE,
    HOSTILE_POSTGRES,
    SEEN,
    UNSEEN,
    hostile_files,
)

ROOT = Path(__file__).resolve().parents[1]
#: The fixture histories real Alembic can upgrade one revision at a time (the others are
#: deliberately broken: missing parents, cycles, duplicate ids) and what they need.
FIXTURES_POSTGRES = [
    "fixtures/seeds/two_heads_same_parent/versions",
    "fixtures/seeds/healthy_merge/versions",
    "fixtures/seeds/drop_index_not_idempotent/versions",
    "fixtures/seeds/drop_index_not_idempotent_fixed/versions",
    "fixtures/seeds/flask_migrate_merge/versions",
]


@pytest.fixture
def work() -> Iterator[Path]:
    """A directory in memory when the machine has one: SQLite commits are fsyncs."""
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as name:
        yield Path(name)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else None) as name:
        try:
            server = PostgresServer(Path(name))
        except RuntimeError as exc:
            pytest.fail(
                f"{exc}; these tests start a real PostgreSQL server: install Debian's "
                "postgresql package (.ci/run does)",
                pytrace=False,
            )
        try:
            yield server.url
        finally:
            server.stop()


@pytest.mark.parametrize("seed", range(3))
def test_generated_history_matches_sqlite(work: Path, seed: int) -> None:
    generate(work / "project", seed, revisions=30)
    (work / "db").mkdir()
    outcome = run(work / "project", SQLite(work / "db"))
    assert outcome.compared == outcome.revisions
    assert outcome.undone >= outcome.revisions // 2
    assert outcome.exact_tables > 0


@pytest.mark.parametrize("seed", [4])
def test_generated_history_matches_postgres(work: Path, postgres: str, seed: int) -> None:
    generate(work / "project", seed, revisions=20)
    backend = Postgres(postgres)
    try:
        outcome = run(work / "project", backend, prefix=f"g{seed}")
    finally:
        backend.close()
    assert outcome.compared == outcome.revisions and outcome.exact_tables > 0


@pytest.mark.parametrize("fixture", FIXTURES_POSTGRES)
def test_fixture_history_matches_postgres(work: Path, postgres: str, fixture: str) -> None:
    project = project_for(ROOT / fixture, work / "project")
    backend = Postgres(postgres)
    try:
        outcome = run(project, backend, prefix=fixture.split("/")[-2][:20])
    finally:
        backend.close()
    assert outcome.compared == outcome.revisions and outcome.exact_tables > 0


def test_fixture_history_matches_sqlite(work: Path) -> None:
    project = project_for(ROOT / "fixtures/seeds/two_heads_same_parent/versions", work / "p")
    (work / "db").mkdir()
    outcome = run(project, SQLite(work / "db"))
    assert outcome.compared == outcome.revisions and outcome.exact_tables > 0


@pytest.mark.parametrize("seed", [0, 1, 2, 4])
def test_generated_histories_are_read_to_the_end(work: Path, seed: int) -> None:
    """The comparisons above check what the model claims; this, that the generated data
    statements (f-strings, names, Core on sa.table()) and constant names leave it claiming
    everything: nothing in a generated history is unsure."""
    from alembic_lint import engine

    versions = generate(work / "project", seed, revisions=30 if seed < 4 else 20)
    history = engine.load_history(str(versions), sorted(versions.glob("*.py")))
    unknown = [
        (m.filename, c.op, c.why)
        for m in history
        for c in (*m.changes.upgrade, *m.changes.downgrade)  # type: ignore[union-attr]
        if c.action == "unknown" or c.partial
    ]
    assert unknown == []
    assert any(o.statement is not None for m in history for o in m.ops)


RENAMES = {
    "aaaaaaaaaaaa": (
        "op.create_table('users', sa.Column('id', sa.Integer(), nullable=False),\n"
        "    sa.Column('email', sa.String(40), nullable=True),\n"
        "    sa.PrimaryKeyConstraint('id'),\n"
        "    sa.UniqueConstraint('email', name='uq_users_email'))\n"
        "op.create_index('ix_users_email', 'users', ['email'])\n"
        "op.create_table('orders', sa.Column('id', sa.Integer(), nullable=False),\n"
        "    sa.Column('user_id', sa.Integer(), nullable=True),\n"
        "    sa.PrimaryKeyConstraint('id', name='pk_orders'),\n"
        "    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_orders_user'))\n"
        "op.create_index('ix_orders_user_id', 'orders', ['user_id'], unique=True)",
        "op.drop_table('orders')\nop.drop_table('users')",
    ),
    "bbbbbbbbbbbb": (
        "op.execute('ALTER INDEX ix_users_email RENAME TO ix_users_mail')\n"
        "op.execute('ALTER TABLE users RENAME CONSTRAINT uq_users_email TO uq_users_mail')\n"
        "op.execute('ALTER TABLE orders RENAME CONSTRAINT fk_orders_user TO fk_orders_users')\n"
        "op.execute('ALTER INDEX pk_orders RENAME TO orders_pk')\n"
        "op.execute('ALTER INDEX IF EXISTS users_pkey RENAME TO pk_users')\n"
        "op.execute('ALTER TABLE orders RENAME CONSTRAINT orders_pk TO pk_orders_2')",
        "op.execute('ALTER TABLE orders RENAME CONSTRAINT pk_orders_2 TO pk_orders')\n"
        "op.execute('ALTER INDEX pk_users RENAME TO users_pkey')\n"
        "op.execute('ALTER TABLE orders RENAME CONSTRAINT fk_orders_users TO fk_orders_user')\n"
        "op.execute('ALTER TABLE users RENAME CONSTRAINT uq_users_mail TO uq_users_email')\n"
        "op.execute('ALTER INDEX ix_users_mail RENAME TO ix_users_email')",
    ),
    "cccccccccccc": (
        "op.drop_index('ix_users_mail', table_name='users')\n"
        "op.drop_constraint('uq_users_mail', 'users', type_='unique')\n"
        "op.create_index('ix_orders_user', 'orders', ['user_id'])",
        "op.drop_index('ix_orders_user', table_name='orders')\n"
        "op.create_unique_constraint('uq_users_mail', 'users', ['email'])\n"
        "op.create_index('ix_users_mail', 'users', ['email'])",
    ),
}


def test_index_and_constraint_renames_match_postgres(work: Path, postgres: str) -> None:
    """ALTER INDEX ... RENAME TO and ALTER TABLE ... RENAME CONSTRAINT, of names the
    model knows and of names the database gave: what it claims after them is so."""
    from alembic_lint.rules.examples import m

    versions = work / "versions"
    versions.mkdir()
    down = None
    for rev, (upgrade, downgrade) in RENAMES.items():
        file = m(rev, down, upgrade=upgrade, downgrade=downgrade)
        (versions / file.filename).write_text(file.source)
        down = rev
    project = project_for(versions, work / "project")
    backend = Postgres(postgres)
    try:
        outcome = run(project, backend, prefix="renames")
    finally:
        backend.close()
    assert outcome.compared == outcome.revisions == 3 and outcome.exact_tables == 6


def _hostile_project(work: Path, name: str) -> Path:
    """An Alembic project around the hostile history ``name`` (tests/test_schema.py), with
    the project's own module some of its migrations import (Alembic puts the project on
    the path)."""
    versions = work / "versions"
    versions.mkdir()
    for file in hostile_files(name):
        (versions / file.filename).write_text(file.source)  # type: ignore[attr-defined]
    project = project_for(versions, work / "project")
    (project / "migration_helpers.py").write_text(HELPER_MODULE)
    return project


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_history_runs_on_sqlite(work: Path, name: str) -> None:
    """The histories the model once reported (tests/test_schema.py HOSTILE) upgrade and
    downgrade on a real database: what was reported works. Whatever the model still
    claims about them holds there."""
    project = _hostile_project(work, name)
    (work / "db").mkdir()
    outcome = run(project, SQLite(work / "db"))
    assert outcome.compared == outcome.undone == outcome.revisions == len(HOSTILE[name])


@pytest.mark.parametrize("name", sorted(HOSTILE_POSTGRES) + sorted(UNSEEN) + sorted(SEEN))
def test_hostile_history_runs_on_postgres(work: Path, postgres: str, name: str) -> None:
    project = _hostile_project(work, name)
    backend = Postgres(postgres)
    try:
        outcome = run(project, backend, prefix=name)
    finally:
        backend.close()
    assert outcome.compared == outcome.undone == outcome.revisions
