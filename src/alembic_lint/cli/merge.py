"""`alembic-lint merge`: write a merge revision of the heads, like `alembic merge`."""

from __future__ import annotations

import difflib
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


@cli.command("merge")
@click.argument("path", required=False)
@click.argument("heads", nargs=-1)
@click.option("-m", "--message", metavar="MESSAGE", help="Message (default: 'merge heads').")
@click.option(
    "--dry-run", is_flag=True, help="Print the file that would be written; write nothing."
)
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
def merge_command(
    path: str | None,
    heads: tuple[str, ...],
    message: str | None,
    dry_run: bool,
    section: str | None,
) -> int:
    """Write a merge revision of the heads (or HEADS) of the history at PATH, like
    `alembic merge heads`, without running Alembic."""
    from alembic_lint import graph, scaffold

    if path is not None and missing(path):
        if looks_like_path(path):
            raise UserError(f"{path}: no such file or directory")
        # `merge HEAD HEAD` run from the project: the first HEAD is not a PATH
        heads = (path, *heads)
        path = None
    spec, history = one_history(path, section, "merge")
    try:
        written, text = scaffold.merge(spec, graph.build(history), heads, message, dry_run=dry_run)
    except scaffold.ScaffoldError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:
        raise UserError(f"cannot write the merge revision: {exc.strerror or exc}") from None
    shown = written.relative_to(Path.cwd()) if written.is_relative_to(Path.cwd()) else written
    if dry_run:
        # the new file as a diff, like `rebase --dry-run` and `--diff` show their changes
        lines = text.splitlines(keepends=True)
        diff = difflib.unified_diff(
            [], lines, fromfile="/dev/null", tofile=f"b/{printable(str(shown))}"
        )
        click.echo("".join(line if line.endswith("\n") else line + "\n" for line in diff), nl=False)
        return EXIT_OK
    click.echo(printable(str(shown)))
    refresh_head_file(spec)
    return EXIT_OK
