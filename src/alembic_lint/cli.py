"""Command line: parse options, call the engine, pick a reporter, return the exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from alembic_lint import __version__

if TYPE_CHECKING:
    from alembic_lint.discover import HistorySpec
    from alembic_lint.engine import Reader

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


FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
#: Formats read by programs: never coloured.
MACHINE_FORMATS = ("json", "sarif", "github", "gitlab")


def use_color(output_format: str, to_file: bool) -> bool:
    """Colour only on a terminal, never with NO_COLOR or for machine formats; FORCE_COLOR forces."""
    if output_format in MACHINE_FORMATS or to_file or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return sys.stdout.isatty()


def repository_root(start: str) -> str:
    """The nearest directory holding ``.git`` (paths for code hosts are relative to it)."""
    current = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return os.path.abspath(start)
        current = parent


@cli.command()
@click.argument("paths", nargs=-1)
@click.option(
    "-n", "--name", "section", metavar="SECTION", help="ini section to read (like alembic -n)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="concise",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write the report to FILE.",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help="Lint standard input as the file PATH (give `-` as the only PATH), in the context of "
    "its history on disk; report findings for that file only.",
)
def check(
    paths: tuple[str, ...],
    section: str | None,
    output_format: str,
    output_file: str | None,
    exit_zero: bool,
    stdin_filename: str | None,
) -> int:
    """Check the migration histories at PATHS."""
    from alembic_lint import __version__, discover, engine
    from alembic_lint.reporters import Report, RuleInfo, renderers
    from alembic_lint.rules import registry

    reader: Reader = engine.read_bytes
    specs: list[HistorySpec]
    try:
        if stdin_filename is not None:
            if paths not in ((), ("-",)):
                raise UserError("with --stdin-filename, give `-` (or nothing) as PATH")
            specs, reader = _stdin_history(stdin_filename, section)
        else:
            if "-" in paths:
                raise UserError("`-` (standard input) needs --stdin-filename PATH")
            specs = discover.discover(list(paths), section=section)
    except discover.DiscoveryError as exc:
        raise UserError(str(exc)) from None

    rules = engine.default_rules()
    diagnostics = []
    sources: dict[str, str] = {}
    checked = 0
    for spec in specs:
        if not spec.files:
            click.echo(f"alembic-lint: warning: no migration files in {spec.name}", err=True)
            continue
        history = engine.load_history(
            spec.name, spec.files, locations=spec.locations, reader=reader
        )
        only = [str(p) for p in spec.only] if spec.only is not None else None
        checked += len(spec.files) if spec.only is None else len(spec.only)
        diagnostics.extend(
            engine.check_history(
                history,
                rules,
                reader=reader,
                only=only,
                sources=sources if output_format == "full" else None,
            )
        )
    report = Report(
        cwd=os.getcwd(),
        root=repository_root(os.getcwd()),
        checked=checked,
        color=use_color(output_format, output_file is not None),
        version=__version__,
        rules=[
            RuleInfo(
                code=r.code,
                name=r.name,
                summary=r.summary,
                documentation=r.documentation(),
                severity=r.severity,
                url=r.url(),
                default=r.default,
                fixable=r.fixable,
            )
            for r in registry()
        ],
        sources=sources,
    )
    text = renderers()[output_format](diagnostics, report)
    if output_file is not None:
        try:
            with open(output_file, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise UserError(f"{output_file}: cannot write: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False, color=report.color or None)
    return EXIT_FINDINGS if diagnostics and not exit_zero else EXIT_OK


def _stdin_history(filename: str, section: str | None) -> tuple[list[HistorySpec], Reader]:
    """The history of ``filename``'s directory, with ``filename`` read from standard input."""
    from dataclasses import replace
    from pathlib import Path

    from alembic_lint import discover, engine

    target = Path(os.path.abspath(filename))
    if not target.parent.is_dir():
        raise UserError(f"{filename}: directory {target.parent} does not exist")
    (spec,) = discover.discover([str(target.parent)], section=section)
    files = [f for f in spec.files if f.resolve() != target.resolve()]
    siblings = [i for i, f in enumerate(files) if f.parent == target.parent]
    position = next(
        (i for i in siblings if files[i].name > target.name),
        siblings[-1] + 1 if siblings else len(files),
    )
    files.insert(position, target)
    data = sys.stdin.buffer.read()

    def reader(path: str) -> bytes:
        return data if path == str(target) else engine.read_bytes(path)

    return [replace(spec, files=tuple(files), only=frozenset([target]))], reader


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
