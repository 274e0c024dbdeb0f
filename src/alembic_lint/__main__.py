"""``python -m alembic_lint``."""

from alembic_lint.entry import main

if __name__ == "__main__":
    raise SystemExit(main())
