"""alembic-lint: a static linter for Alembic migration histories (no imports, no database)."""

from __future__ import annotations

from collections.abc import Sequence

__version__ = "0.1.0"

__all__ = ["__version__", "lint_paths"]


def lint_paths(paths: Sequence[str], *, section: str | None = None) -> list[object]:
    """Lint the histories found at ``paths`` with the default rules; returns the diagnostics.

    Raises ``alembic_lint.discover.DiscoveryError`` for a path or configuration problem.
    """
    from alembic_lint import discover, engine

    found: list[object] = []
    rules = engine.default_rules()
    for spec in discover.discover(paths, section=section):
        history = engine.load_history(spec.name, spec.files, locations=spec.locations)
        only = [str(p) for p in spec.only] if spec.only is not None else None
        found.extend(engine.check_history(history, rules, only=only))
    return found
