"""`alembic-lint schema`: the schema at the head(s), or at a revision, without a database."""

from __future__ import annotations

import click

from alembic_lint.cli import EXIT_OK, UserError, cli, one_history


@cli.command("schema")
@click.argument("path", required=False)
@click.option("--at", "at", metavar="REVISION", help="The revision to show (default: the heads).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(("text", "json", "mermaid")),
    default="text",
    show_default=True,
    help="Output format (mermaid: an ER diagram to paste into docs or a pull request).",
)
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
def schema_command(
    path: str | None, at: str | None, output_format: str, section: str | None
) -> int:
    """Show the schema the migrations at PATH build, worked out from their operations
    without a database: tables, columns (types as written), nullability, defaults, keys,
    indexes and constraints. What the model cannot read exactly is marked unsure."""
    from alembic_lint import graph
    from alembic_lint.reporters.schema import RENDERERS, Shown
    from alembic_lint.schema.replay import replay

    _, history = one_history(path, section, "schema")
    revisions = graph.build(history)
    if at is not None:
        try:
            wanted = [revisions.by_id[revisions.resolve(at)]]
        except graph.UnknownRevision as exc:
            raise UserError(str(exc)) from None
    else:
        wanted = list(revisions.heads)
        if not wanted:
            raise UserError(
                "the history has no head (no revisions, or every one is in a cycle)"
                if history.migrations
                else "the history has no revisions yet"
            )
    model = replay(revisions, keep=wanted)
    shown = []
    for node in wanted:
        schema = model.at(node)
        if schema is None:
            raise UserError(f"revision {revisions.id_of(node)} is in a cycle: no schema to show")
        role = "head" if node in revisions.heads else "revision"
        shown.append(Shown(revisions.id_of(node), role, schema))
    click.echo(RENDERERS[output_format](shown), nl=False)
    return EXIT_OK
