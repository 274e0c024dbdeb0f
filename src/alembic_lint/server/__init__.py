"""``alembic-lint server``: a language server over the same engine, rules and fixes as the CLI."""

from alembic_lint.server.app import serve

__all__ = ["serve"]
