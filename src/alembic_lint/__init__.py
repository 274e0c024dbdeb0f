"""alembic-lint: a static linter for Alembic migration histories (no imports, no database)."""

# No imports here, not even `from __future__`: `python -m alembic_lint` imports this package
# while the current directory is still first on sys.path, so any module imported now could
# be a file of the user's (a json.py, a typing.py) run in our place; __main__ drops the
# directory before importing anything. Annotations are strings instead (type checkers
# treat any `TYPE_CHECKING` as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    from alembic_lint.diagnostics import Diagnostic

__version__ = "0.1.0"

__all__ = ["__version__", "lint_paths"]


def lint_paths(paths: "Sequence[str]", *, section: "str | None" = None) -> "list[Diagnostic]":
    """Lint the histories found at ``paths`` with the default rules; returns the findings.

    ``paths`` are what the command line takes (versions directories, directories holding
    alembic.ini, config files). Raises ``alembic_lint.discover.DiscoveryError`` for a path
    or configuration problem. Nothing is imported or executed from the migrations.
    """
    from alembic_lint import dialects, discover, engine

    found: list[Diagnostic] = []
    rules = engine.default_rules()
    for spec in discover.discover(paths, section=section):
        history = engine.load_history(spec.name, spec.files, locations=spec.locations)
        only = [str(p) for p in spec.only] if spec.only is not None else None
        # The target database as the command line finds it (no settings file here).
        config = str(spec.config) if spec.config is not None else None
        target = dialects.configured(None, "", spec.sqlalchemy_url, config)
        if not target.settled:
            target = dialects.from_files(target, (m.dialects for m in history))
        bound = [rule.for_dialect(target.name) for rule in rules]
        found.extend(engine.check_history(history, bound, only=only))
    return found
