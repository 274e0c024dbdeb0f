"""The static schema model agrees with a real database (SQLite), revision by revision."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.schema_db import run
from tests.schema_gen import generate


@pytest.mark.parametrize("seed", range(6))
def test_generated_history_matches_sqlite(tmp_path: Path, seed: int) -> None:
    generate(tmp_path / "project", seed, revisions=30)
    (tmp_path / "work").mkdir()
    outcome = run(tmp_path / "project", tmp_path / "work")
    assert outcome.compared == outcome.revisions
    assert outcome.exact_tables > 0
