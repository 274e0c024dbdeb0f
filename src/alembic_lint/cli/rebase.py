"""`alembic-lint rebase`: put the other branch on top of a head."""

from __future__ import annotations

from pathlib import Path

import click

from alembic_lint.cli import (
    EXIT_OK,
    UserError,
    cli,
    looks_like_path,
    missing,
    one_history,
    refresh_head_file,
)
from alembic_lint.printable import printable


@cli.command("rebase")
@click.argument("path", required=False)
@click.argument("revision", required=False)
@click.option("--onto", required=True, metavar="HEAD", help="The head to put the branch on.")
@click.option("--dry-run", is_flag=True, help="Print the diff; write nothing.")
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
def rebase_command(
    path: str | None, revision: str | None, onto: str, dry_run: bool, section: str | None
) -> int:
    """Linearize: re-point the bottom of REVISION's branch (default: the other head) at
    --onto, editing its down_revision and Revises: line, without running Alembic."""
    from alembic_lint import graph, rebase

    if path is not None and missing(path):
        # `rebase REVISION --onto HEAD` run from the project: the first argument is no PATH
        if revision is not None or looks_like_path(path):
            raise UserError(f"{path}: no such file or directory")
        revision, path = path, None
    spec, history = one_history(path, section, "rebase")
    try:
        change = rebase.plan(graph.build(history), onto, revision)
        cwd = Path.cwd()
        shown = change.path.relative_to(cwd) if change.path.is_relative_to(cwd) else change.path
        if not dry_run:
            rebase.write(change)
    except rebase.RebaseError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot rewrite the revision: {exc.strerror or exc}") from None
    if dry_run:
        click.echo(rebase.diff(change, printable(shown.as_posix())), nl=False)
        return EXIT_OK
    click.echo(
        printable(
            f"{shown}: {change.revision} now revises {change.new_parent} (was {change.old_parent})"
        )
    )
    refresh_head_file(spec)
    return EXIT_OK
