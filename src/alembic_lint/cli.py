"""Command line: parse options, call the engine, pick a reporter, return the exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from alembic_lint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UserError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


class _DefaultGroup(click.Group):
    """``alembic-lint [OPTIONS] PATHS`` runs ``check``; other subcommands are named."""

    default_command = "check"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alembic-lint")
def cli() -> None:
    """Lint Alembic migration histories without importing them.

    Run `alembic-lint [PATH]...` (the `check` command) on a versions directory, a
    directory holding alembic.ini, or an alembic.ini / pyproject.toml file. With no
    PATH, the configuration in the current directory is used.
    """


def _formats() -> list[str]:
    from alembic_lint.reporters import renderers

    return sorted(renderers())


@cli.command()
@click.argument("paths", nargs=-1)
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["concise", "json"]),
    default="concise",
    show_default=True,
    help="Output format.",
)
def check(paths: tuple[str, ...], section: str | None, output_format: str) -> int:
    """Check the migration histories at PATHS."""
    from alembic_lint import discover, engine
    from alembic_lint.reporters import Report, renderers

    try:
        specs = discover.discover(list(paths), section=section)
    except discover.DiscoveryError as exc:
        raise UserError(str(exc)) from None
    rules = engine.default_rules()
    diagnostics = []
    checked = 0
    for spec in specs:
        if not spec.files:
            click.echo(f"alembic-lint: warning: no migration files in {spec.name}", err=True)
            continue
        history = engine.load_history(spec.name, spec.files, locations=spec.locations)
        only = [str(p) for p in spec.only] if spec.only is not None else None
        checked += len(spec.files) if spec.only is None else len(spec.only)
        diagnostics.extend(engine.check_history(history, rules, only=only))
    text = renderers()[output_format](diagnostics, Report(cwd=os.getcwd(), checked=checked))
    click.echo(text, nl=False)
    return EXIT_FINDINGS if diagnostics else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = cli.main(args=args, prog_name="alembic-lint", standalone_mode=False)
    except UserError as exc:
        click.echo(f"alembic-lint: error: {exc}", err=True)
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR if exc.exit_code == 2 else exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    except BrokenPipeError:
        return EXIT_ERROR
    return result if isinstance(result, int) else EXIT_OK
