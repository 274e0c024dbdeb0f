"""Shared helpers: write example histories to disk and lint them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from alembic_lint import engine
from alembic_lint.diagnostics import Diagnostic
from alembic_lint.rules import Rule
from alembic_lint.rules.examples import Example


@pytest.fixture(autouse=True)
def cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache home of the test's own (the cache's key and default directories live
    there): a test must neither write to the user's ~/.cache nor see another test's."""
    home = tmp_path_factory.mktemp("cache-home")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "alembic-lint"


def write_example(example: Example, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for file in example.files:
        (directory / file.filename).write_text(file.source, encoding="utf-8")
    return directory


def lint_dir(directory: Path, rules: Iterable[Rule] | None = None) -> list[Diagnostic]:
    files = sorted(p for p in directory.iterdir() if p.suffix == ".py")
    history = engine.load_history(str(directory), files)
    return engine.check_history(
        history, list(rules) if rules is not None else engine.default_rules()
    )


def triples(diagnostics: Sequence[Diagnostic]) -> set[tuple[str, int, str]]:
    return {(Path(d.location.path).name, d.location.line, d.code) for d in diagnostics}


@pytest.fixture
def lint(tmp_path: Path):  # type: ignore[no-untyped-def]
    def run(example: Example, rules: Iterable[Rule] | None = None) -> list[Diagnostic]:
        return lint_dir(write_example(example, tmp_path / "versions"), rules)

    return run
