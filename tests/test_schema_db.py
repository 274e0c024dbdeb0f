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
