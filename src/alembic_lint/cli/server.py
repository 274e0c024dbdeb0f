"""`alembic-lint server`: the language server, over standard input and output."""

from __future__ import annotations

from pathlib import Path

import click

from alembic_lint.cli import UserError, cli

INSTALL_HINT = "the language server needs pygls: pip install 'alembic-lint[server]'"


@cli.command("server")
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Settings file (default: the nearest pyproject.toml with [tool.alembic-lint] "
    "above each workspace folder).",
)
def server_command(config_file: str | None) -> int:
    """Run the language server (LSP over standard input and output) for an editor."""
    try:
        # Only here: the rest of the command line never loads pygls (nor needs it installed).
        from alembic_lint.server import serve
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] in ("pygls", "lsprotocol"):
            raise UserError(INSTALL_HINT) from None
        raise
    return serve(Path(config_file).absolute() if config_file else None)
