"""`alembic-lint rule CODE|NAME` and `rule --all`: the rules explained."""

from __future__ import annotations

import click

from alembic_lint.cli import EXIT_OK, UserError, cli


@cli.command("rule")
@click.argument("key", required=False, metavar="CODE|NAME")
@click.option("--all", "show_all", is_flag=True, help="List every rule.")
def rule_command(key: str | None, show_all: bool) -> int:
    """Explain a rule (`alembic-lint rule AL201`), or list them all (`--all`)."""
    from alembic_lint import docs
    from alembic_lint.rules import by_code_or_name, registry

    if show_all or key is None:
        if key is not None:
            raise UserError("give a rule or --all, not both")
        click.echo(docs.rule_listing(registry()), nl=False)
        return EXIT_OK
    found = by_code_or_name(key)
    if found is None:
        raise UserError(f"unknown rule {key!r} (see `alembic-lint rule --all`)")
    click.echo(docs.rule_page(found), nl=False)
    return EXIT_OK
