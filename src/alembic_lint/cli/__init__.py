"""Command line: parse options, call the engine, pick a reporter, return the exit code.

One module per command (check, rule, merge, graph, rebase); this one holds the group,
what they share, and :func:`run`."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from alembic_lint import __version__
from alembic_lint.entry import main as main
from alembic_lint.printable import printable

if TYPE_CHECKING:
    from alembic_lint.discover import HistorySpec
    from alembic_lint.model import History

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
            if args and not args[0].startswith("-") and missing(args[0]):
                import difflib

                close = difflib.get_close_matches(args[0], list(self.commands), n=1, cutoff=0.75)
                if close:  # `alembic-lint grpah`: a command, mistyped, not a PATH
                    raise UserError(
                        f"{args[0]}: no such file or directory "
                        f"(did you mean `alembic-lint {close[0]}`?)"
                    )
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="alembic-lint")
def cli() -> None:
    """Lint Alembic migration histories without importing them.

    Run `alembic-lint [PATH]...` (the `check` command) on a versions directory, a
    directory holding alembic.ini, or an alembic.ini / pyproject.toml file. With no
    PATH, the configuration in the current directory is used. `alembic-lint check --help`
    lists the options (formats, settings, baseline, cache).
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


def warn(message: str) -> None:
    """One line on standard error; the run goes on."""
    click.echo(f"alembic-lint: warning: {printable(message)}", err=True)


def repository_root(start: str) -> str:
    """The nearest directory holding ``.git`` (paths for code hosts are relative to it)."""
    from alembic_lint.atomic import work_tree

    return work_tree(start)


def missing(path: str) -> bool:
    """Whether nothing is at ``path``; UserError when it cannot be looked at (a directory
    on the way that we may not enter is not "no such file")."""
    if not path.strip():
        raise UserError(f"{path!r}: an empty PATH (give . for the current directory)")
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    except ValueError:
        raise UserError(f"{path!r}: a path cannot hold a NUL character") from None
    return False


def looks_like_path(argument: str) -> bool:
    """Whether a PATH-or-revision argument can only be a path (a revision id holds no
    directory separator and no config file suffix)."""
    separators = {os.sep, os.altsep or os.sep}
    return any(s in argument for s in separators) or argument.endswith((".ini", ".toml", ".py"))


def one_history(path: str | None, section: str | None, command: str) -> tuple[HistorySpec, History]:
    """The one history at ``path`` (else the project's), read, for commands that edit it."""
    from alembic_lint import discover, engine

    try:
        specs = discover.discover([path] if path else [], section=section, warn=warn)
    except discover.DiscoveryError as exc:
        raise UserError(str(exc)) from None
    if len(specs) != 1:
        raise UserError(f"{command} works on one history; give one PATH")
    (spec,) = specs
    return spec, engine.load_history(spec.name, spec.files, locations=spec.locations)


def refresh_head_file(spec: HistorySpec) -> None:
    """After ``merge`` or ``rebase``: rewrite the ``head-file`` setting's file (if this
    history has one) with the heads the history has now, and say so."""
    from alembic_lint import config, engine, graph, headfile

    try:
        settings = config.load(config.find(Path.cwd()))
    except config.ConfigError as exc:
        raise UserError(str(exc)) from None
    path = settings.head_file_for(spec.locations)
    if path is None:
        return
    spec = discover_again(spec)
    history = engine.load_history(spec.name, spec.files, locations=spec.locations)
    heads = graph.build(history).head_ids()
    try:
        if headfile.update(path, heads):
            shown = os.path.relpath(path)
            click.echo(f"{shown}: now lists {', '.join(sorted(set(heads)))}")
    except OSError as exc:
        raise UserError(f"cannot write the head file {path}: {exc.strerror or exc}") from None


def discover_again(spec: HistorySpec) -> HistorySpec:
    """``spec`` with its files listed again (after a command added one)."""
    from dataclasses import replace

    from alembic_lint import discover

    files = discover.list_version_files(
        spec.locations, recursive=spec.recursive, sourceless=spec.sourceless
    )
    return replace(spec, files=tuple(files))


def run(args: list[str]) -> int:
    """The CLI proper (``alembic_lint.entry.main`` first tries to replay a report)."""
    try:
        result = cli.main(args=args, prog_name="alembic-lint", standalone_mode=False)
    except UserError as exc:
        click.echo(f"alembic-lint: error: {printable(str(exc))}", err=True)
        return EXIT_ERROR
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        click.echo(f"alembic-lint: error: {printable(usage_message(exc))}", err=True)
        return EXIT_ERROR if exc.exit_code in (1, 2) else exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_ERROR
    return result if isinstance(result, int) else EXIT_OK


_QUOTED_OPTION = re.compile(r"'(-[^'\s]*)'")


def usage_message(exc: click.ClickException) -> str:
    """Click's message on one line, in our words: ``no such option --bogus (did you mean
    --jobs?)``, ``invalid value for --format: ...``, ``missing option --onto``."""
    if isinstance(exc, click.NoSuchOption):
        text = f"no such option {exc.option_name}"
        if exc.possibilities:
            text += f" (did you mean {' or '.join(sorted(exc.possibilities))}?)"
        return text
    text = " ".join(exc.format_message().split())
    text = _QUOTED_OPTION.sub(r"\1", text).rstrip(".")
    return text[:1].lower() + text[1:]


# The commands register themselves on the group as they are imported.
from alembic_lint.cli import check as _check  # noqa: E402
from alembic_lint.cli import graph as _graph  # noqa: E402
from alembic_lint.cli import merge as _merge  # noqa: E402
from alembic_lint.cli import rebase as _rebase  # noqa: E402
from alembic_lint.cli import rule as _rule  # noqa: E402
from alembic_lint.cli import schema as _schema  # noqa: E402
from alembic_lint.cli import server as _server  # noqa: E402

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "UserError", "cli", "main", "run", "warn"]
del _check, _graph, _merge, _rebase, _rule, _schema, _server
